import type { ClaimedDelivery, DeliveryOutcome, OutboxEntry, OutboxEventState, OutboxSinkStats, OutboxStore } from '../../core/ports/outbox-store.ts';

interface Delivery {
  attempts: number;
  nextAttemptAt: number;
  leaseOwner: string | null;
  leaseUntil: number;
  state: 'pending' | 'delivered' | 'dead';
  settledAt: number | null;
  lastError: string | null;
}

interface Row {
  readonly entry: OutboxEntry;
  readonly deliveries: Map<string, Delivery>;
}

/**
 * The outbox in process memory: the same semantics as the SQL adapter (it passes the same
 * contract suite), but gone at restart. Every method runs without an intervening `await`, so a
 * claim is atomic. Ids are UUID v7, so insertion order is id order within one process; claims
 * sort anyway.
 */
export class MemoryOutboxStore implements OutboxStore {
  readonly #rows = new Map<string, Row>();

  async append(entries: readonly OutboxEntry[]): Promise<void> {
    for (const e of entries) {
      if (this.#rows.has(e.id)) continue;
      const deliveries = new Map<string, Delivery>();
      for (const sink of e.sinks)
        deliveries.set(sink, { attempts: 0, nextAttemptAt: 0, leaseOwner: null, leaseUntil: 0, state: 'pending', settledAt: null, lastError: null });
      this.#rows.set(e.id, { entry: { ...e, sinks: [...e.sinks] }, deliveries });
    }
  }

  async claim(sink: string, owner: string, now: number, leaseMs: number, limit: number): Promise<ClaimedDelivery[]> {
    const due: [string, Row, Delivery][] = [];
    for (const [id, row] of this.#rows) {
      const d = row.deliveries.get(sink);
      if (d && d.state === 'pending' && d.nextAttemptAt <= now && d.leaseUntil <= now) due.push([id, row, d]);
    }
    due.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return due.slice(0, limit).map(([id, { entry }, d]) => {
      d.leaseOwner = owner;
      d.leaseUntil = now + leaseMs;
      d.attempts++;
      return { id, type: entry.type, envelope: entry.envelope, createdAt: entry.createdAt, attempts: d.attempts };
    });
  }

  async settle(sink: string, owner: string, now: number, outcome: DeliveryOutcome): Promise<void> {
    const get = (id: string) => {
      const d = this.#rows.get(id)?.deliveries.get(sink);
      return d && d.state === 'pending' ? d : undefined;
    };
    for (const id of outcome.delivered) {
      const d = get(id);
      if (d) Object.assign(d, { state: 'delivered', settledAt: now, leaseOwner: null, leaseUntil: 0 });
    }
    for (const r of outcome.retry) {
      const d = get(r.id);
      if (d && d.leaseOwner === owner) Object.assign(d, { nextAttemptAt: r.nextAttemptAt, lastError: r.error, leaseOwner: null, leaseUntil: 0 });
    }
    for (const r of outcome.dead) {
      const d = get(r.id);
      if (d && d.leaseOwner === owner) Object.assign(d, { state: 'dead', settledAt: now, lastError: r.error, leaseOwner: null, leaseUntil: 0 });
    }
  }

  async stats(): Promise<OutboxSinkStats[]> {
    const by = new Map<string, { pending: number; oldest: number }>();
    for (const { entry, deliveries } of this.#rows.values()) {
      for (const [sink, d] of deliveries) {
        if (d.state !== 'pending') continue;
        const s = by.get(sink) ?? { pending: 0, oldest: entry.createdAt };
        s.pending++;
        s.oldest = Math.min(s.oldest, entry.createdAt);
        by.set(sink, s);
      }
    }
    return [...by].map(([sink, s]) => ({ sink, pending: s.pending, oldestCreatedAt: s.oldest }));
  }

  async recent(tenantId: string, query: { readonly limit: number; readonly before?: string; readonly type?: string }): Promise<OutboxEventState[]> {
    const rows = [...this.#rows.values()]
      .filter(
        ({ entry: e }) => e.tenantId === tenantId && (query.before === undefined || e.id < query.before) && (query.type === undefined || e.type === query.type),
      )
      .sort((a, b) => (a.entry.id < b.entry.id ? 1 : a.entry.id > b.entry.id ? -1 : 0))
      .slice(0, query.limit);
    return rows.map(({ entry: e, deliveries }) => ({
      id: e.id,
      type: e.type,
      envelope: e.envelope,
      createdAt: e.createdAt,
      deliveries: [...deliveries]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([sink, d]) => ({
          sink,
          state: d.state,
          attempts: d.attempts,
          nextAttemptAt: d.nextAttemptAt,
          settledAt: d.settledAt,
          lastError: d.lastError === null ? null : d.lastError.slice(0, 500),
        })),
    }));
  }

  async deadLetters(): Promise<{ sink: string; dead: number }[]> {
    const by = new Map<string, number>();
    for (const { deliveries } of this.#rows.values()) for (const [sink, d] of deliveries) if (d.state === 'dead') by.set(sink, (by.get(sink) ?? 0) + 1);
    return [...by].map(([sink, dead]) => ({ sink, dead }));
  }

  async purgeSettled(before: number): Promise<number> {
    let n = 0;
    for (const [id, row] of this.#rows) {
      for (const [sink, d] of row.deliveries) if (d.state !== 'pending' && d.settledAt !== null && d.settledAt < before) row.deliveries.delete(sink);
      if (row.deliveries.size === 0) {
        this.#rows.delete(id);
        n++;
      }
    }
    return n;
  }
}

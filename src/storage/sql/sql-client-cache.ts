/** Most clients kept: past it the oldest entry goes (a bound on memory, S20). */
export const CLIENT_CACHE_MAX_ENTRIES = 10_000;

interface Entry {
  /** The row as read (decoded on every hit, so each caller gets its own copy). */
  readonly row: readonly unknown[];
  readonly until: number;
}

/**
 * Clients read recently, so that client authentication on PostgreSQL and MariaDB does not cost a
 * network round trip per request. Only found clients are kept: a client created on another
 * instance works at once, and random client ids cannot fill the cache.
 *
 * Staleness: a mutation through this process (any store built on the same connection) drops the
 * entry at once; a mutation on another instance is seen once the entry's TTL has run out, so a
 * disabled or deleted client, or a rotated secret, stops working everywhere within `ttlMs`
 * (docs/scaling.md). Time is monotonic (`performance.now`), not the injectable clock: the bound is
 * about real elapsed time.
 *
 * A read that began before an invalidation must not put the old row back: every invalidation
 * bumps `epoch`, and `put` keeps a row only if no invalidation happened since its read began.
 */
export class ClientCache {
  readonly ttlMs: number;
  readonly #max: number;
  readonly #entries = new Map<string, Entry>();
  #epoch = 0;

  constructor(ttlMs: number, max = CLIENT_CACHE_MAX_ENTRIES) {
    this.ttlMs = ttlMs;
    this.#max = max;
  }

  /** The invalidation count, taken before a read whose result may be `put`. */
  get epoch(): number {
    return this.#epoch;
  }

  get(tenantId: string, clientId: string): readonly unknown[] | undefined {
    const k = key(tenantId, clientId);
    const e = this.#entries.get(k);
    if (!e) return undefined;
    if (performance.now() < e.until) return e.row;
    this.#entries.delete(k);
    return undefined;
  }

  put(tenantId: string, clientId: string, row: readonly unknown[], epochAtRead: number): void {
    if (this.ttlMs <= 0 || epochAtRead !== this.#epoch) return;
    const k = key(tenantId, clientId);
    this.#entries.delete(k);
    if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(k, { row, until: performance.now() + this.ttlMs });
  }

  invalidate(tenantId: string, clientId: string): void {
    this.#epoch++;
    this.#entries.delete(key(tenantId, clientId));
  }

  /** Drops every entry (after a unit of work that wrote clients has ended: sql-unit-of-work.ts). */
  clear(): void {
    this.#epoch++;
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}

const key = (tenantId: string, clientId: string) => `${tenantId}\u0000${clientId}`;

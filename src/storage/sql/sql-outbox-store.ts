import { sql, type Kysely, type Transaction } from 'kysely';
import type {
  ClaimedDelivery,
  DeliveryOutcome,
  OutboxDeliveryState,
  OutboxEntry,
  OutboxEventState,
  OutboxSinkStats,
  OutboxStore,
} from '../../core/ports/outbox-store.ts';
import type { Database, SqlKind } from './schema.ts';
import { storeTransaction } from './sql-transaction.ts';

/** Longest stored `last_error` (the column is varchar(500)). */
const MAX_ERROR = 500;

/**
 * The outbox in SQL. A claim is one transaction that selects the due deliveries of a sink in
 * event id order and leases them:
 * - PostgreSQL and MariaDB (10.6+) lock the selected rows with `FOR UPDATE SKIP LOCKED`, so
 *   concurrent relays take disjoint batches instead of waiting for each other;
 * - SQLite starts every transaction with BEGIN IMMEDIATE (error-mapping-dialect.ts): one writer
 *   at a time across processes, so the select-then-update cannot interleave.
 * A lease that ran out (`lease_until <= now`) makes the row claimable again: that is how a crashed
 * relay's batch is retried. InnoDB may pick one of two racing transactions (a claim and an append
 * meeting on gap locks) as deadlock victim; it is run again (retryOnDeadlock).
 */
export class SqlOutboxStore implements OutboxStore {
  readonly #db: Kysely<Database>;
  readonly #kind: SqlKind;
  constructor(db: Kysely<Database>, kind: SqlKind) {
    this.#db = db;
    this.#kind = kind;
  }

  async append(entries: readonly OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await storeTransaction(this.#db, this.#kind, async (trx) => {
      const events = trx
        .insertInto('outbox_events')
        .values(entries.map((e) => ({ id: e.id, tenant_id: e.tenantId, type: e.type, envelope: e.envelope, created_at: e.createdAt })));
      await (this.#kind === 'mysql' ? events.onDuplicateKeyUpdate({ id: sql`id` }) : events.onConflict((oc) => oc.doNothing())).execute();
      const rows = entries.flatMap((e) =>
        e.sinks.map((sink) => ({ sink, event_id: e.id, state: 'pending', attempts: 0, next_attempt_at: 0, lease_owner: null, lease_until: 0 })),
      );
      if (rows.length === 0) return;
      const deliveries = trx.insertInto('outbox_deliveries').values(rows);
      await (this.#kind === 'mysql' ? deliveries.onDuplicateKeyUpdate({ sink: sql`sink` }) : deliveries.onConflict((oc) => oc.doNothing())).execute();
    });
  }

  async claim(sink: string, owner: string, now: number, leaseMs: number, limit: number): Promise<ClaimedDelivery[]> {
    // An idle relay polls: a plain read first, so that finding nothing takes no lock (on SQLite,
    // BEGIN IMMEDIATE would take the database's write lock every poll).
    const any = await this.#db
      .selectFrom('outbox_deliveries')
      .select('event_id')
      .where('sink', '=', sink)
      .where('state', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .where('lease_until', '<=', now)
      .limit(1)
      .executeTakeFirst();
    if (!any) return [];
    return storeTransaction(this.#db, this.#kind, async (trx) => {
      let due = trx
        .selectFrom('outbox_deliveries')
        .select(['event_id', 'attempts'])
        .where('sink', '=', sink)
        .where('state', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .where('lease_until', '<=', now)
        .orderBy('event_id')
        .limit(limit);
      if (this.#kind !== 'sqlite') due = due.forUpdate().skipLocked();
      const rows = await due.execute();
      if (rows.length === 0) return [];
      const ids = rows.map((r) => r.event_id);
      await trx
        .updateTable('outbox_deliveries')
        .set({ lease_owner: owner, lease_until: now + leaseMs, attempts: sql`attempts + 1` })
        .where('sink', '=', sink)
        .where('event_id', 'in', ids)
        .execute();
      const events = new Map(
        (await trx.selectFrom('outbox_events').select(['id', 'type', 'envelope', 'created_at']).where('id', 'in', ids).execute()).map((e) => [e.id, e]),
      );
      const out: ClaimedDelivery[] = [];
      for (const r of rows) {
        const e = events.get(r.event_id);
        if (e) out.push({ id: e.id, type: e.type, envelope: e.envelope, createdAt: Number(e.created_at), attempts: Number(r.attempts) + 1 });
      }
      return out;
    });
  }

  async settle(sink: string, owner: string, now: number, outcome: DeliveryOutcome): Promise<void> {
    if (outcome.delivered.length + outcome.retry.length + outcome.dead.length === 0) return;
    await storeTransaction(this.#db, this.#kind, async (trx) => {
      if (outcome.delivered.length) {
        await trx
          .updateTable('outbox_deliveries')
          .set({ state: 'delivered', settled_at: now, lease_owner: null, lease_until: 0 })
          .where('sink', '=', sink)
          .where('event_id', 'in', [...outcome.delivered])
          .where('state', '=', 'pending')
          .execute();
      }
      for (const r of outcome.retry) {
        await this.#owned(trx, sink, owner, r.id)
          .set({ next_attempt_at: r.nextAttemptAt, last_error: r.error.slice(0, MAX_ERROR), lease_owner: null, lease_until: 0 })
          .execute();
      }
      for (const r of outcome.dead) {
        await this.#owned(trx, sink, owner, r.id)
          .set({ state: 'dead', settled_at: now, last_error: r.error.slice(0, MAX_ERROR), lease_owner: null, lease_until: 0 })
          .execute();
      }
    });
  }

  #owned(trx: Transaction<Database>, sink: string, owner: string, id: string) {
    return trx
      .updateTable('outbox_deliveries')
      .where('sink', '=', sink)
      .where('event_id', '=', id)
      .where('state', '=', 'pending')
      .where('lease_owner', '=', owner);
  }

  async stats(): Promise<OutboxSinkStats[]> {
    const rows = await this.#db
      .selectFrom('outbox_deliveries as d')
      .innerJoin('outbox_events as e', 'e.id', 'd.event_id')
      .select((eb) => ['d.sink', eb.fn.countAll().as('pending'), eb.fn.min('e.created_at').as('oldest')])
      .where('d.state', '=', 'pending')
      .groupBy('d.sink')
      .execute();
    return rows.map((r) => ({ sink: r.sink, pending: Number(r.pending), oldestCreatedAt: r.oldest === null ? null : Number(r.oldest) }));
  }

  async recent(tenantId: string, query: { readonly limit: number; readonly before?: string; readonly type?: string }): Promise<OutboxEventState[]> {
    // The primary key (a UUID v7) orders by creation; one page of events, then their deliveries.
    let q = this.#db
      .selectFrom('outbox_events')
      .select(['id', 'type', 'envelope', 'created_at'])
      .where('tenant_id', '=', tenantId)
      .orderBy('id', 'desc')
      .limit(query.limit);
    if (query.before !== undefined) q = q.where('id', '<', query.before);
    if (query.type !== undefined) q = q.where('type', '=', query.type);
    const events = await q.execute();
    if (events.length === 0) return [];
    const rows = await this.#db
      .selectFrom('outbox_deliveries')
      .select(['event_id', 'sink', 'state', 'attempts', 'next_attempt_at', 'settled_at', 'last_error'])
      .where(
        'event_id',
        'in',
        events.map((e) => e.id),
      )
      .orderBy('sink')
      .execute();
    const by = new Map<string, OutboxDeliveryState[]>();
    for (const r of rows) {
      const list = by.get(r.event_id) ?? [];
      list.push({
        sink: r.sink,
        state: r.state as OutboxDeliveryState['state'],
        attempts: Number(r.attempts),
        nextAttemptAt: Number(r.next_attempt_at),
        settledAt: r.settled_at === null ? null : Number(r.settled_at),
        lastError: r.last_error,
      });
      by.set(r.event_id, list);
    }
    return events.map((e) => ({ id: e.id, type: e.type, envelope: e.envelope, createdAt: Number(e.created_at), deliveries: by.get(e.id) ?? [] }));
  }

  async deadLetters(): Promise<{ sink: string; dead: number }[]> {
    const rows = await this.#db
      .selectFrom('outbox_deliveries')
      .select((eb) => ['sink', eb.fn.countAll().as('dead')])
      .where('state', '=', 'dead')
      .groupBy('sink')
      .execute();
    return rows.map((r) => ({ sink: r.sink, dead: Number(r.dead) }));
  }

  async purgeSettled(before: number): Promise<number> {
    await this.#db.deleteFrom('outbox_deliveries').where('state', 'in', ['delivered', 'dead']).where('settled_at', '<', before).execute();
    const r = await this.#db
      .deleteFrom('outbox_events')
      .where('created_at', '<', before)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('outbox_deliveries as d').select(sql`1`.as('one')).whereRef('d.event_id', '=', 'outbox_events.id'))),
      )
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

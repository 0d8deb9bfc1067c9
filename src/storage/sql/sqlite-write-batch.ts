import { GatehouseError } from '../../core/errors.ts';
import { mapStoreError } from './sql-errors.ts';

/** The better-sqlite3 calls the SQLite fast path makes (structural: the driver loads lazily). */
export interface SqliteHandle {
  readonly open: boolean;
  readonly inTransaction: boolean;
  prepare(sql: string): SqliteStatement;
}

export interface SqliteStatement {
  raw(toggle?: boolean): SqliteStatement;
  get(...params: unknown[]): unknown;
  run(...params: unknown[]): { readonly changes: number };
}

/** One queued single-statement write. */
export interface HotWrite {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** What became of one write: the rows it changed, or the error that refused it. */
export type WriteOutcome = { readonly changes: number } | { readonly error: unknown };

/** Most writes committed in one transaction: bounds how long one commit holds its thread. */
export const MAX_BATCH = 128;

/**
 * Runs `writes` on `db` and commits them together: one BEGIN IMMEDIATE … COMMIT instead of one
 * autocommit each (a single write runs alone). A commit costs a WAL append of every page it
 * dirtied, with its locks; sharing it cuts the cost per write, and the WAL (hence checkpoints
 * and their fsyncs) grows more slowly.
 *
 * Each statement keeps its own outcome: a constraint violation (a duplicate key) rolls back that
 * statement only (SQLite's default ON CONFLICT ABORT) and refuses that write alone. An error that
 * ends the transaction (SQLITE_FULL, SQLITE_IOERR, …) or a failed COMMIT refuses every write:
 * none of them was committed. Errors come back as the driver threw them (mapped by the caller).
 */
export function commitWrites(db: SqliteHandle, prepare: (sql: string) => SqliteStatement, writes: readonly HotWrite[]): WriteOutcome[] {
  if (writes.length === 1) {
    const [w] = writes as [HotWrite];
    try {
      return [{ changes: prepare(w.sql).run(...w.params).changes }];
    } catch (error) {
      return [{ error }];
    }
  }
  const failAll = (error: unknown): WriteOutcome[] => {
    if (db.inTransaction) {
      try {
        prepare('rollback').run();
      } catch {
        /* the first error is the one to report */
      }
    }
    return writes.map(() => ({ error }));
  };
  try {
    prepare('begin immediate').run();
  } catch (e) {
    return failAll(e);
  }
  const outcomes: WriteOutcome[] = [];
  for (const w of writes) {
    try {
      outcomes.push({ changes: prepare(w.sql).run(...w.params).changes });
    } catch (error) {
      // SQLite rolled back the whole transaction, not just the statement: nothing is kept.
      if (!db.inTransaction) return failAll(error);
      outcomes.push({ error });
    }
  }
  try {
    prepare('commit').run();
  } catch (e) {
    return failAll(e);
  }
  return outcomes;
}

/** Prepared statements by SQL text, for one connection. */
export function statementCache(db: SqliteHandle): (sql: string) => SqliteStatement {
  const cache = new Map<string, SqliteStatement>();
  return (sql) => {
    let s = cache.get(sql);
    if (!s) cache.set(sql, (s = db.prepare(sql)));
    return s;
  };
}

/** Where the hot path's single-statement writes go on SQLite (this thread or a writer thread). */
export interface HotWriter {
  /**
   * Queues one write; resolves to the rows it changed once committed. `viaKysely` runs the same
   * write through Kysely, for when a Kysely transaction holds this thread's connection.
   */
  run(sql: string, params: readonly unknown[], viaKysely: () => Promise<number>): Promise<number>;
  /** Commits what is queued, then stops taking writes. */
  close(): Promise<void>;
  /** Transactions committed and the writes they carried (tests and diagnostics). */
  readonly stats: { transactions: number; writes: number };
}

interface Pending extends HotWrite {
  readonly viaKysely: () => Promise<number>;
  readonly resolve: (changes: number) => void;
  readonly reject: (e: unknown) => void;
}

export const storeClosed = () => new GatehouseError('GH_STORE_UNAVAILABLE', 'SQLite store is closed');

/**
 * Group commit on the event-loop thread's own connection (`:memory:` databases, and the fallback
 * when no writer thread can run). Writes issued during one event-loop turn (every request parsed
 * in it) commit together on the next `setImmediate`; each resolves only after its COMMIT.
 */
export class InThreadWriter implements HotWriter {
  readonly #db: SqliteHandle;
  readonly #reads: { end(): void };
  readonly #prepare: (sql: string) => SqliteStatement;
  #pending: Pending[] = [];
  readonly stats = { transactions: 0, writes: 0 };

  /** `reads`: the hot path's shared read transaction on `db`, ended before each commit. */
  constructor(db: SqliteHandle, reads: { end(): void }) {
    this.#db = db;
    this.#reads = reads;
    this.#prepare = statementCache(db);
  }

  run(sql: string, params: readonly unknown[], viaKysely: () => Promise<number>): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ sql, params, viaKysely, resolve, reject });
      if (this.#pending.length === 1) setImmediate(() => this.#flush());
    });
  }

  async close(): Promise<void> {
    while (this.#pending.length > 0) this.#flush();
  }

  #flush(): void {
    const batch = this.#pending.splice(0, MAX_BATCH);
    if (this.#pending.length > 0) setImmediate(() => this.#flush());
    if (batch.length === 0) return;
    if (!this.#db.open) {
      for (const w of batch) w.reject(storeClosed());
      return;
    }
    this.#reads.end();
    // A Kysely transaction (key rotation, migration) holds the connection: queue behind it.
    if (this.#db.inTransaction) {
      for (const w of batch) w.viaKysely().then(w.resolve, w.reject);
      return;
    }
    const outcomes = commitWrites(this.#db, this.#prepare, batch);
    if (outcomes.some((o) => 'changes' in o)) {
      this.stats.transactions++;
      this.stats.writes += batch.length;
    }
    batch.forEach((w, i) => {
      const o = outcomes[i]!;
      if ('changes' in o) w.resolve(o.changes);
      else w.reject(mapStoreError('sqlite', o.error));
    });
  }
}

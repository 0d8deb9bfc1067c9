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

/** Most writes committed in one transaction: bounds how long one flush holds the event loop. */
const MAX_BATCH = 128;

interface PendingWrite {
  readonly statement: () => SqliteStatement;
  readonly params: readonly unknown[];
  /** The same write through Kysely, for when a Kysely transaction is open at flush time. */
  readonly viaKysely: () => Promise<number>;
  readonly resolve: (changes: number) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Group commit for the single-row writes of the hot path (token inserts, use-once updates,
 * replay-cache and denylist inserts) on one SQLite connection.
 *
 * Writes issued during one event-loop turn (every request parsed in that turn) are committed
 * together on the next `setImmediate`: one BEGIN IMMEDIATE … COMMIT instead of one per row. Each
 * write still resolves only after its COMMIT returned, so a caller that was answered never loses
 * its row to a later failure. A commit costs a WAL append with its locks and page images; sharing
 * it cuts the cost per write, and the WAL (and so the checkpoints) grow more slowly.
 *
 * Each statement keeps its own outcome: a constraint violation (a duplicate key) rolls back that
 * statement only (SQLite's default ON CONFLICT ABORT) and rejects that caller alone. An error
 * that ends the transaction (SQLITE_FULL, SQLITE_IOERR, …) or a failed COMMIT rejects every
 * write of the batch: none of them was committed.
 */
export class SqliteWriteBatch {
  readonly #db: SqliteHandle;
  #pending: PendingWrite[] = [];
  #begin: SqliteStatement | undefined;
  #commit: SqliteStatement | undefined;
  #rollback: SqliteStatement | undefined;
  /** Transactions committed and writes they carried (for tests and diagnostics). */
  readonly stats = { transactions: 0, writes: 0 };

  constructor(db: SqliteHandle) {
    this.#db = db;
  }

  /** Queues one write; resolves to the rows it changed once it is committed. */
  run(statement: () => SqliteStatement, params: readonly unknown[], viaKysely: () => Promise<number>): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ statement, params, viaKysely, resolve, reject });
      if (this.#pending.length === 1) setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    const batch = this.#pending.splice(0, MAX_BATCH);
    if (this.#pending.length > 0) setImmediate(() => this.#flush());
    if (!this.#db.open) {
      const closed = new GatehouseError('GH_STORE_UNAVAILABLE', 'SQLite store is closed');
      for (const w of batch) w.reject(closed);
      return;
    }
    // A Kysely transaction (key rotation, migration) holds the connection: queue behind it.
    if (this.#db.inTransaction) {
      for (const w of batch) w.viaKysely().then(w.resolve, w.reject);
      return;
    }
    if (batch.length === 1) {
      const [w] = batch as [PendingWrite];
      try {
        const { changes } = w.statement().run(...w.params);
        this.#count(1);
        w.resolve(changes);
      } catch (e) {
        w.reject(mapStoreError('sqlite', e));
      }
      return;
    }
    this.#inTransaction(batch);
  }

  #inTransaction(batch: readonly PendingWrite[]): void {
    const db = this.#db;
    const outcomes: ({ ok: number } | { error: unknown })[] = [];
    const failAll = (e: unknown) => {
      if (db.inTransaction) {
        try { (this.#rollback ??= db.prepare('rollback')).run(); } catch { /* the connection reports the cause below */ }
      }
      const mapped = mapStoreError('sqlite', e);
      for (const w of batch) w.reject(mapped);
    };
    try {
      (this.#begin ??= db.prepare('begin immediate')).run();
    } catch (e) {
      failAll(e);
      return;
    }
    for (const w of batch) {
      try {
        outcomes.push({ ok: w.statement().run(...w.params).changes });
      } catch (e) {
        // SQLite rolled back the whole transaction (not just the statement): nothing is kept.
        if (!db.inTransaction) {
          failAll(e);
          return;
        }
        outcomes.push({ error: mapStoreError('sqlite', e) });
      }
    }
    try {
      (this.#commit ??= db.prepare('commit')).run();
    } catch (e) {
      failAll(e);
      return;
    }
    this.#count(batch.length);
    batch.forEach((w, i) => {
      const o = outcomes[i]!;
      if ('ok' in o) w.resolve(o.ok);
      else w.reject(o.error);
    });
  }

  #count(writes: number): void {
    this.stats.transactions++;
    this.stats.writes += writes;
  }
}

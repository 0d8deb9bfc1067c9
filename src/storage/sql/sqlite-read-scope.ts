import type { SqliteHandle, SqliteStatement } from './sqlite-write-batch.ts';

/**
 * One read transaction shared by the hot-path reads of one event-loop turn, on the event-loop
 * thread's SQLite connection.
 *
 * Each autocommit SELECT takes and releases SQLite's shared locks: two `fcntl` calls per
 * statement, which cost more than the primary-key lookup itself (≈ 12 µs vs 5 µs on the
 * benchmark VM). Under load one turn serves many requests, each reading its client (and token),
 * so the first hot read of a turn opens a deferred transaction (`BEGIN`) and the next
 * `setImmediate` ends it.
 *
 * What the reads see: the database as of the first read of the turn (a snapshot at most one
 * event-loop turn old), as if they had all run at that moment. The scope also ends
 * - before any Kysely statement on this connection (writes, transactions, migrations, reads),
 *   so Kysely never runs inside it and its writes commit at once;
 * - when a hot-path write has committed (writer thread reply, in-thread group commit), before
 *   the writer's caller resumes: a request reads its own writes.
 * Another process's commit (the CLI disabling a client) is seen from the next turn on.
 */
export class SqliteReadScope {
  readonly #db: SqliteHandle;
  #begin: SqliteStatement | undefined;
  #commit: SqliteStatement | undefined;
  #rollback: SqliteStatement | undefined;
  #open = false;
  readonly #endLater = () => this.end();

  constructor(db: SqliteHandle) {
    this.#db = db;
  }

  /** Whether a hot-path read may run on the connection now: no transaction, or this scope's. */
  get usable(): boolean {
    return this.#open || !this.#db.inTransaction;
  }

  /** Opens the turn's read transaction if none is open (call only when `usable`). */
  enter(): void {
    if (this.#open) return;
    (this.#begin ??= this.#db.prepare('begin')).run();
    this.#open = true;
    setImmediate(this.#endLater);
  }

  /** Ends the read transaction, if open. Idempotent; safe after the connection closed. */
  end(): void {
    if (!this.#open) return;
    this.#open = false;
    if (!this.#db.open || !this.#db.inTransaction) return;
    try {
      (this.#commit ??= this.#db.prepare('commit')).run();
    } catch {
      // Nothing was written in it: rolling back only releases the locks.
      (this.#rollback ??= this.#db.prepare('rollback')).run();
    }
  }
}

import type { Kysely, Transaction } from 'kysely';
import type { Database, SqlKind } from './schema.ts';
import { retryOnDeadlock } from './sql-errors.ts';

/**
 * A store's own transaction, or the caller's when the store was built over one (a unit of work,
 * sql-unit-of-work.ts): then `work` runs in it directly. A deadlock victim is retried here only
 * for a transaction of its own: inside a unit the whole unit was rolled back, so the unit retries.
 */
export function storeTransaction<T>(db: Kysely<Database>, kind: SqlKind, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  if (db.isTransaction) return work(db as Transaction<Database>);
  return retryOnDeadlock(kind, () => db.transaction().execute(work));
}

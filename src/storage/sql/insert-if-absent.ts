import type { Insertable } from 'kysely';
import { prepareQuery, type SqlConnection } from './prepared-query.ts';
import type { Database } from './schema.ts';
import { isUniqueViolation } from './sql-errors.ts';

type Table = 'token_denylist' | 'replay_cache';

/**
 * One atomic INSERT that answers whether it inserted: false when the primary key exists.
 * PostgreSQL and SQLite use ON CONFLICT DO NOTHING (the row count tells). MySQL catches the
 * duplicate-key error instead: INSERT IGNORE would also swallow truncation and other errors, and
 * its affected-row count cannot tell a no-op upsert from an insert under CLIENT_FOUND_ROWS.
 *
 * Compiled once for `columns` (prepareQuery); the returned function takes their values in order.
 */
export function insertIfAbsent<T extends Table>(
  conn: SqlConnection,
  table: T,
  columns: readonly (keyof Insertable<Database[T]> & string)[],
): (values: readonly unknown[]) => Promise<boolean> {
  const { db, kind } = conn;
  const insert = prepareQuery(conn, (p) => {
    const q = db.insertInto(table).values(Object.fromEntries(columns.map((c, i) => [c, p(i)])) as never);
    return kind === 'mysql' ? q : q.onConflict((oc) => oc.doNothing());
  });
  if (kind !== 'mysql') return async (values) => (await insert.run(values)) > 0;
  return async (values) => {
    try {
      await insert.run(values);
      return true;
    } catch (e) {
      if (isUniqueViolation(kind, e)) return false;
      throw e;
    }
  };
}

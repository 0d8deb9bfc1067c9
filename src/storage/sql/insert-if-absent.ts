import type { Insertable, Kysely } from 'kysely';
import type { Database, SqlKind } from './schema.ts';
import { isUniqueViolation } from './sql-errors.ts';

type Table = 'token_denylist' | 'replay_cache';

/**
 * One atomic INSERT that answers whether it inserted: false when the primary key exists.
 * PostgreSQL and SQLite use ON CONFLICT DO NOTHING (the row count tells). MySQL catches the
 * duplicate-key error instead: INSERT IGNORE would also swallow truncation and other errors, and
 * its affected-row count cannot tell a no-op upsert from an insert under CLIENT_FOUND_ROWS.
 */
export async function insertIfAbsent<T extends Table>(
  db: Kysely<Database>,
  kind: SqlKind,
  table: T,
  row: Insertable<Database[T]>,
): Promise<boolean> {
  if (kind === 'mysql') {
    try {
      await db.insertInto(table).values(row as never).execute();
      return true;
    } catch (e) {
      if (isUniqueViolation(kind, e)) return false;
      throw e;
    }
  }
  const r = await db.insertInto(table).values(row as never).onConflict((oc) => oc.doNothing()).executeTakeFirst();
  return (r.numInsertedOrUpdatedRows ?? 0n) > 0n;
}

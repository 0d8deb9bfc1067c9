import type { TakeResult } from '../../core/ports/code-store.ts';
import { prepareQuery, type SqlConnection } from './prepared-query.ts';

type Table = 'authorization_codes' | 'par_requests';

/**
 * Single use for codes and pushed requests (S4): ONE compare-and-set UPDATE
 * (`consumed_at IS NULL` → `at`); the database's row lock lets exactly one concurrent caller
 * match it. The matched row always changes (NULL → at), so MySQL's changed and found row counts
 * agree. The record is read after the decision, never to make it.
 *
 * On SQLite the UPDATE commits on the writer thread and its reply ends the turn's shared read
 * transaction before the caller resumes, so the read that follows sees it.
 */
export function sqlTake<T>(
  conn: SqlConnection,
  table: Table,
  columns: readonly string[],
  decode: (row: readonly unknown[]) => T,
): (tenantId: string, hash: string, at: number) => Promise<TakeResult<T>> {
  const { db } = conn;
  // consumed_at = p(2) first in SET, then the key: parameters are numbered by position.
  const cas = prepareQuery(conn, (p) =>
    db
      .updateTable(table)
      .set({ consumed_at: p(2) })
      .where('tenant_id', '=', p(0))
      .where('hash', '=', p(1))
      .where('consumed_at', 'is', null),
  );
  const find = prepareQuery(
    conn,
    (p) =>
      db
        .selectFrom(table)
        .select(columns as never)
        .where('tenant_id', '=', p(0))
        .where('hash', '=', p(1)),
    columns,
  );
  return async (tenantId, hash, at) => {
    const won = (await cas.run([tenantId, hash, at])) > 0;
    const row = await find.first([tenantId, hash]);
    // Won but gone already: purged between the two statements (it had long expired).
    if (!row) return { result: 'not-found' };
    return { result: won ? 'consumed' : 'already-consumed', record: decode(row) };
  };
}

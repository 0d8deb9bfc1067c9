import { sql, type Kysely, type Migration } from 'kysely';
import type { SessionAccount } from '../../core/model/session.ts';
import { nameKey } from '../list-options.ts';
import type { Database, SqlKind } from '../sql/schema.ts';

/** Rows a backfill step reads at once. */
const BACKFILL_BATCH = 500;

/**
 * Operator lists (docs/admin-lists.md): keyset-paged, index-driven on every dialect.
 * - tokens.user_id (the user's internal id; `subject` may be pairwise) with (tenant_id, user_id,
 *   grant_id) and (tenant_id, client_id, grant_id) for a user's/client's grants and bulk
 *   revocation. Tokens issued before this migration got their user_id from 0007.
 * - clients.client_name_key (lower-cased name, ≤ 255 characters) for a case-insensitive name
 *   sort and prefix search; (tenant_id, created_at, client_id) and users (tenant_id, created_at,
 *   id) for the created_at sorts.
 * - session_sids.user_id and auth_time, backfilled from sessions.accounts, for a user's sessions.
 * - consents (tenant_id, client_id) for deleting a client's consents.
 * Every statement is idempotent (IF NOT EXISTS, backfills of NULL rows only): MariaDB DDL is not
 * transactional, so a run that failed halfway must complete when run again.
 */
export function adminListsMigration(kind: SqlKind): Migration {
  const collate = kind === 'postgres' ? sql` collate "C"` : sql``;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await addColumn(db, kind, 'tokens', 'user_id', sql`varchar(255)${collate}`);
      await addColumn(db, kind, 'clients', 'client_name_key', sql`varchar(255)${collate}`);
      await addColumn(db, kind, 'session_sids', 'user_id', sql`varchar(255)${collate}`);
      await addColumn(db, kind, 'session_sids', 'auth_time', sql`bigint`);

      const index = (name: string, table: string, columns: string[]) => db.schema.createIndex(name).ifNotExists().on(table).columns(columns).execute();
      await index('tokens_user_grant_idx', 'tokens', ['tenant_id', 'user_id', 'grant_id']);
      await index('tokens_client_grant_idx', 'tokens', ['tenant_id', 'client_id', 'grant_id']);
      await index('clients_name_idx', 'clients', ['tenant_id', 'client_name_key', 'client_id']);
      await index('clients_created_idx', 'clients', ['tenant_id', 'created_at', 'client_id']);
      await index('users_created_idx', 'users', ['tenant_id', 'created_at', 'id']);
      await index('session_sids_user_idx', 'session_sids', ['tenant_id', 'user_id', 'auth_time', 'sid']);
      await index('consents_client_idx', 'consents', ['tenant_id', 'client_id']);

      await backfillClientNames(db as Kysely<Database>);
      await backfillSessionSids(db as Kysely<Database>);
    },
  };
}

/** ADD COLUMN IF NOT EXISTS (PostgreSQL, MariaDB); SQLite has no such clause, so it looks first. */
export async function addColumn(db: Kysely<unknown>, kind: SqlKind, table: string, column: string, type: ReturnType<typeof sql>): Promise<void> {
  if (kind === 'sqlite') {
    const { rows } = await sql<{ name: string }>`select name from pragma_table_info(${table})`.execute(db);
    if (rows.some((r) => r.name === column)) return;
    await sql`alter table ${sql.table(table)} add column ${sql.ref(column)} ${type}`.execute(db);
    return;
  }
  await sql`alter table ${sql.table(table)} add column if not exists ${sql.ref(column)} ${type}`.execute(db);
}

async function backfillClientNames(db: Kysely<Database>): Promise<void> {
  for (let after: { t: string; c: string } | undefined; ; ) {
    const from = after;
    let q = db.selectFrom('clients').select(['tenant_id', 'client_id', 'client_name']).where('client_name_key', 'is', null);
    if (from) q = q.where((eb) => eb.or([eb('tenant_id', '>', from.t), eb.and([eb('tenant_id', '=', from.t), eb('client_id', '>', from.c)])]));
    const rows = await q.orderBy('tenant_id').orderBy('client_id').limit(BACKFILL_BATCH).execute();
    for (const r of rows) {
      await db
        .updateTable('clients')
        .set({ client_name_key: nameKey(r.client_name) })
        .where('tenant_id', '=', r.tenant_id)
        .where('client_id', '=', r.client_id)
        .execute();
    }
    if (rows.length < BACKFILL_BATCH) return;
    const last = rows[rows.length - 1]!;
    after = { t: last.tenant_id, c: last.client_id };
  }
}

/** user_id and auth_time of each sid row, from its session's accounts (rows without one stay NULL). */
export async function backfillSessionSids(db: Kysely<Database>): Promise<void> {
  for (let after: { t: string; h: string; s: string } | undefined; ; ) {
    const from = after;
    let q = db
      .selectFrom('session_sids as x')
      .innerJoin('sessions as s', (j) => j.onRef('s.tenant_id', '=', 'x.tenant_id').onRef('s.hash', '=', 'x.session_hash'))
      .select(['x.tenant_id', 'x.session_hash', 'x.sid', 's.accounts'])
      .where('x.user_id', 'is', null);
    if (from) {
      q = q.where((eb) =>
        eb.or([
          eb('x.tenant_id', '>', from.t),
          eb.and([eb('x.tenant_id', '=', from.t), eb('x.session_hash', '>', from.h)]),
          eb.and([eb('x.tenant_id', '=', from.t), eb('x.session_hash', '=', from.h), eb('x.sid', '>', from.s)]),
        ]),
      );
    }
    const rows = await q.orderBy('x.tenant_id').orderBy('x.session_hash').orderBy('x.sid').limit(BACKFILL_BATCH).execute();
    for (const r of rows) {
      const account = (JSON.parse(r.accounts) as SessionAccount[]).find((a) => a.sid === r.sid);
      if (!account) continue;
      await db
        .updateTable('session_sids')
        .set({ user_id: account.userId, auth_time: account.authTime })
        .where('tenant_id', '=', r.tenant_id)
        .where('session_hash', '=', r.session_hash)
        .where('sid', '=', r.sid)
        .execute();
    }
    if (rows.length < BACKFILL_BATCH) return;
    const last = rows[rows.length - 1]!;
    after = { t: last.tenant_id, h: last.session_hash, s: last.sid };
  }
}

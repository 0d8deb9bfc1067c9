// Migrations are safe to re-run after a failure halfway (MariaDB DDL is not transactional: a
// failed migration leaves its earlier statements applied and no bookkeeping row), and 0004
// backfills what was written before it, 0007 the users of tokens issued before 0004. Runs on SQLite, PostgreSQL and MariaDB (S14).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Migrator, sql, type Kysely } from 'kysely';
import { migrateToLatest, migrations, MIGRATION_TABLE } from '../../src/storage/migrations/migrate.ts';
import type { Database, SqlKind } from '../../src/storage/sql/schema.ts';
import { openSql, type SqlTarget } from '../../src/storage/sql/sql-connect.ts';
import type { SqlConnection } from '../../src/storage/sql/prepared-query.ts';
import { SqlGrantStore } from '../../src/storage/sql/sql-grant-store.ts';
import { createTestDatabase } from '../support/databases.ts';

type Db = Kysely<Database>;

async function withDatabase(kind: SqlKind, work: (db: Db, conn: SqlConnection) => Promise<void>): Promise<void> {
  let target: SqlTarget;
  let drop: () => Promise<void>;
  if (kind === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'gh-migrate-'));
    target = { kind, location: join(dir, 'g.db'), poolSize: 1 };
    drop = () => rm(dir, { recursive: true, force: true });
  } else {
    const created = await createTestDatabase(kind);
    if ('skip' in created) throw new Error(created.skip);
    target = { kind, location: created.url, poolSize: 2 };
    drop = created.drop;
  }
  const conn = await openSql(target);
  try {
    await work(conn.db, conn);
  } finally {
    await conn.close();
    await drop();
  }
}

/** Tables, columns and indexes (name, table, columns) of the database, sorted. */
async function schemaOf(db: Db, kind: SqlKind): Promise<unknown> {
  const tables = (await db.introspection.getTables())
    .map((t) => ({
      name: t.name,
      columns: t.columns.map((c) => `${c.name}:${c.dataType}:${c.isNullable}`).sort(),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const query =
    kind === 'sqlite'
      ? sql<{ idx: string }>`select m.tbl_name || '.' || m.name || '(' || (select group_concat(name, ',') from pragma_index_info(m.name)) || ')' as idx
        from sqlite_master m where m.type = 'index' and m.name not like 'sqlite_autoindex%'`
      : kind === 'postgres'
        ? sql<{ idx: string }>`select indexdef as idx from pg_indexes where schemaname = current_schema()`
        : sql<{ idx: string }>`select concat(table_name, '.', index_name, '(', group_concat(column_name order by seq_in_index), ')') as idx
          from information_schema.statistics where table_schema = database() group by table_name, index_name`;
  const indexes = (await query.execute(db)).rows.map((r) => r.idx).sort();
  return { tables, indexes };
}

async function dropIndex(db: Db, kind: SqlKind, name: string, table: string): Promise<void> {
  const q = db.schema.dropIndex(name);
  await (kind === 'mysql' ? q.on(table) : q).execute();
}

for (const kind of ['sqlite', 'postgres', 'mysql'] as const) {
  describe(`${kind} migrations`, () => {
    test('a migration run that failed halfway (some indexes and columns made, no bookkeeping row) completes on re-run', async () => {
      await withDatabase(kind, async (db) => {
        await migrateToLatest(db as Kysely<unknown>, kind);
        const full = await schemaOf(db, kind);
        // As if 0003 and 0004 had died after some of their statements: their bookkeeping rows are
        // missing, 0003's old index still exists, 0004 made one of its indexes and a column only.
        // (Later migrations never ran then, so their rows go too: Kysely refuses gaps.)
        const fromThird = Object.keys(migrations(kind)).slice(2);
        await db
          .deleteFrom(MIGRATION_TABLE as never)
          .where('name' as never, 'in', fromThird as never)
          .execute();
        await db.schema.createIndex('session_sids_sid_idx').on('session_sids').columns(['tenant_id', 'sid']).execute();
        await dropIndex(db, kind, 'tokens_user_grant_idx', 'tokens');
        await dropIndex(db, kind, 'clients_name_idx', 'clients');
        await dropIndex(db, kind, 'session_sids_user_idx', 'session_sids');
        await db.schema.alterTable('session_sids').dropColumn('auth_time').execute();
        // 0005 made its tables but not every index.
        await dropIndex(db, kind, 'outbox_deliveries_due_idx', 'outbox_deliveries');
        assert.notDeepEqual(await schemaOf(db, kind), full);

        assert.deepEqual(await migrateToLatest(db as Kysely<unknown>, kind), { applied: fromThird });
        assert.deepEqual(await schemaOf(db, kind), full);
        assert.deepEqual(await migrateToLatest(db as Kysely<unknown>, kind), { applied: [] });
      });
    });

    test('0007 backfills the user of tokens issued before 0004, so revoking a user’s grants reaches them', async () => {
      await withDatabase(kind, async (db, conn) => {
        const all = migrations(kind);
        const migrator = new Migrator({
          db,
          provider: { getMigrations: async () => all },
          migrationTableName: MIGRATION_TABLE,
          migrationLockTableName: `${MIGRATION_TABLE}_lock`,
        });
        assert.equal((await migrator.migrateTo('0003-session-indexes')).error, undefined);
        const exp = 9_999_999_999;
        // Old-shaped rows: the tokens table has no user_id column yet.
        const token = (hash: string, grant: string, subject: string, claims: object, kind_ = 'refresh_token') =>
          sql`insert into tokens (tenant_id, hash, kind, jti, client_id, subject, scope, audience, grant_id, parent_hash, issued_at, expires_at, cnf, claims, revoked_at, consumed_at)
            values ('t', ${hash}, ${kind_}, ${`j-${hash}`}, 'c1', ${subject}, 'openid', '[]', ${grant}, ${null}, ${1}, ${exp}, ${null}, ${JSON.stringify(claims)}, ${null}, ${null})`.execute(
            db,
          );
        // g1: public sub (the user id), a refresh and an opaque access token.
        await token('h1a', 'g1', 'u1', { auth_time: 10, family_iat: 10 });
        await token('h1b', 'g1', 'u1', { auth_time: 10 }, 'access_token');
        // g2: pairwise sub, the user found through the sign-in session named by sid.
        await token('h2', 'g2', 'pw-2', { auth_time: 20, family_iat: 20, sid: 's2', sealed_uid: 'v1.x.y.z' });
        const accounts = [{ userId: 'u2', sid: 's2', authTime: 20, amr: ['pwd'], acr: null, clientIds: ['c1'] }];
        await sql`insert into sessions (tenant_id, hash, accounts, current_user_id, created_at, last_seen_at, expires_at)
          values ('t', 'sh2', ${JSON.stringify(accounts)}, 'u2', ${1}, ${1}, ${exp})`.execute(db);
        await sql`insert into session_sids (tenant_id, session_hash, sid) values ('t', 'sh2', 's2')`.execute(db);
        // g3: pairwise sub without sid, the user found through the grant's authorization code.
        await token('h3', 'g3', 'pw-3', { auth_time: 30, family_iat: 30, sealed_uid: 'v1.x.y.z' });
        const auth = { userId: 'u3', sid: '', authTime: 30, amr: ['pwd'], acr: null };
        await sql`insert into authorization_codes (tenant_id, hash, client_id, redirect_uri, scope, resources, auth, grant_id, issued_at, expires_at, consumed_at)
          values ('t', 'code3', 'c1', 'https://rp.example/cb', 'openid', '[]', ${JSON.stringify(auth)}, 'g3', ${1}, ${2}, ${2})`.execute(db);
        // g4: client_credentials (no auth_time): no user. g5: pairwise and nothing to find it by.
        await token('h4', 'g4', 'c1', {}, 'access_token');
        await token('h5', 'g5', 'pw-5', { auth_time: 50, sealed_uid: 'v1.x.y.z' });

        assert.deepEqual(await migrateToLatest(db as Kysely<unknown>, kind), { applied: Object.keys(all).slice(3) });
        const users = await db.selectFrom('tokens').select(['hash', 'user_id']).orderBy('hash').execute();
        assert.deepEqual(
          users.map((r) => [r.hash, r.user_id]),
          [
            ['h1a', 'u1'],
            ['h1b', 'u1'],
            ['h2', 'u2'],
            ['h3', 'u3'],
            ['h4', null],
            ['h5', null],
          ],
        );
        const grants = new SqlGrantStore(conn);
        assert.deepEqual((await grants.revokeByUser('t', 'u1', 100)).sort(), ['g1']);
        assert.deepEqual(await grants.revokeByUser('t', 'u2', 100), ['g2']);
        assert.deepEqual(await grants.revokeByUser('t', 'u3', 100), ['g3']);
        const revoked = await db.selectFrom('tokens').select('hash').where('revoked_at', 'is not', null).orderBy('hash').execute();
        assert.deepEqual(
          revoked.map((r) => r.hash),
          ['h1a', 'h1b', 'h2', 'h3'],
        );
      });
    });

    test('0004 backfills client name keys and the user and auth_time of session sids written before it', async () => {
      await withDatabase(kind, async (db) => {
        const all = migrations(kind);
        const migrator = new Migrator({
          db,
          provider: { getMigrations: async () => all },
          migrationTableName: MIGRATION_TABLE,
          migrationLockTableName: `${MIGRATION_TABLE}_lock`,
        });
        const { error } = await migrator.migrateTo('0003-session-indexes');
        assert.equal(error, undefined);
        await sql`insert into clients (tenant_id, client_id, client_name, token_endpoint_auth_method, grant_types, response_types,
          redirect_uris, scopes, metadata, disabled, created_at, updated_at)
          values ('t', 'c1', ${'Ünïcode APP'}, 'none', '[]', '[]', '[]', '[]', '{}', ${0}, ${1}, ${1})`.execute(db);
        const accounts = [
          { userId: 'u1', sid: 's1', authTime: 100, amr: ['pwd'], acr: null, clientIds: [] },
          { userId: 'u2', sid: 's2', authTime: 200, amr: ['pwd'], acr: null, clientIds: ['c1'] },
        ];
        await sql`insert into sessions (tenant_id, hash, accounts, current_user_id, created_at, last_seen_at, expires_at)
          values ('t', 'h1', ${JSON.stringify(accounts)}, 'u1', ${1}, ${1}, ${9_999_999_999})`.execute(db);
        await sql`insert into session_sids (tenant_id, session_hash, sid) values ('t', 'h1', 's1'), ('t', 'h1', 's2'), ('t', 'h1', 'orphan')`.execute(db);

        assert.deepEqual(await migrateToLatest(db as Kysely<unknown>, kind), { applied: Object.keys(all).slice(3) });
        const client = await db.selectFrom('clients').select('client_name_key').where('client_id', '=', 'c1').executeTakeFirstOrThrow();
        assert.equal(client.client_name_key, 'ünïcode app');
        const sids = await db.selectFrom('session_sids').select(['sid', 'user_id', 'auth_time']).orderBy('sid').execute();
        assert.deepEqual(
          sids.map((r) => [r.sid, r.user_id, r.auth_time === null ? null : Number(r.auth_time)]),
          [
            ['orphan', null, null],
            ['s1', 'u1', 100],
            ['s2', 'u2', 200],
          ],
        );
      });
    });
  });
}

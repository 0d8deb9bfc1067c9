import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { GatehouseError } from '../../core/errors.ts';
import { migrateToLatest } from '../migrations/migrate.ts';
import { prepareQuery, type PreparedQuery, type SqlConnection } from './prepared-query.ts';
import { openSql } from './sql-connect.ts';
import { SqliteWriteBatch, type SqliteHandle, type SqliteStatement } from './sqlite-write-batch.ts';

/** A scripted connection: records statements, fails where told, tracks the transaction flag. */
function fakeSqlite(failOn: { sql: string; endsTransaction: boolean }) {
  const log: string[] = [];
  const handle = {
    open: true,
    inTransaction: false as boolean,
    prepare(sql: string): SqliteStatement {
      return {
        raw() { return this; },
        get() { return undefined; },
        run(...params: unknown[]) {
          const text = params.length ? `${sql} ${params.join(',')}` : sql;
          if (text === failOn.sql) {
            if (failOn.endsTransaction) handle.inTransaction = false;
            throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' });
          }
          log.push(text);
          if (sql === 'begin immediate') handle.inTransaction = true;
          if (sql === 'commit' || sql === 'rollback') handle.inTransaction = false;
          return { changes: 1 };
        },
      };
    },
  } satisfies SqliteHandle & { inTransaction: boolean };
  return { handle, log };
}

describe('SQLite group commit of hot-path writes', () => {
  let dir: string;
  let file: string;
  let conn: SqlConnection;
  let add: PreparedQuery;
  /** A second connection: sees only what was committed. */
  let other: BetterSqlite3.Database;
  const committed = (tenant: string) =>
    (other.prepare('select jti from token_denylist where tenant_id = ? order by jti').pluck().all(tenant) as string[]);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gh-batch-'));
    file = join(dir, 'g.db');
    conn = await openSql({ kind: 'sqlite', location: file, poolSize: 1 });
    await migrateToLatest(conn.db as never, 'sqlite');
    add = prepareQuery(conn, (p) => conn.db.insertInto('token_denylist').values({ tenant_id: p(0), jti: p(1), expires_at: p(2) }));
    other = new BetterSqlite3(file, { readonly: true });
  });
  after(async () => {
    other.close();
    await conn.db.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  test('writes issued in one turn share one transaction, and each resolves once committed', async () => {
    const stats = conn.sqlite!.writes.stats;
    const before = { ...stats };
    const done = await Promise.all(['a', 'b', 'c', 'd'].map((j) => add.run(['t1', j, 1]).then((n) => {
      // Resolved only after COMMIT: another connection already sees the row.
      assert.ok(committed('t1').includes(j));
      return n;
    })));
    assert.deepEqual(done, [1, 1, 1, 1]);
    assert.equal(stats.transactions - before.transactions, 1);
    assert.equal(stats.writes - before.writes, 4);
  });

  test('a duplicate key rejects that write alone; the rest of its batch commits', async () => {
    await add.run(['t2', 'taken', 1]);
    const results = await Promise.allSettled([add.run(['t2', 'x', 1]), add.run(['t2', 'taken', 1]), add.run(['t2', 'y', 1])]);
    assert.equal(results[0].status, 'fulfilled');
    assert.equal(results[2].status, 'fulfilled');
    assert.equal(results[1].status, 'rejected');
    assert.equal((results[1] as PromiseRejectedResult).reason.code, 'SQLITE_CONSTRAINT_PRIMARYKEY');
    assert.deepEqual(committed('t2'), ['taken', 'x', 'y']);
  });

  test('many writes in one turn are split into bounded transactions', async () => {
    const stats = conn.sqlite!.writes.stats;
    const before = stats.transactions;
    await Promise.all(Array.from({ length: 300 }, (_, i) => add.run(['t4', `j${String(i).padStart(3, '0')}`, 1])));
    assert.equal(committed('t4').length, 300);
    assert.ok(stats.transactions - before >= 3, `${stats.transactions - before} transactions`);
  });

  test('an error that ends the transaction rejects every write of the batch as GH_STORE_UNAVAILABLE', async () => {
    const { handle, log } = fakeSqlite({ sql: 'insert 2', endsTransaction: true });
    const batch = new SqliteWriteBatch(handle);
    const insert = handle.prepare('insert');
    const never = () => Promise.reject(new Error('not through Kysely'));
    const results = await Promise.allSettled([1, 2, 3].map((n) => batch.run(() => insert, [n], never)));
    // Write 1 ran inside the transaction that SQLite rolled back: it must not report success.
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected', 'rejected']);
    for (const r of results) assert.equal(((r as PromiseRejectedResult).reason as GatehouseError).code, 'GH_STORE_UNAVAILABLE');
    assert.deepEqual(log, ['begin immediate', 'insert 1']);
    assert.equal(batch.stats.transactions, 0);
  });

  test('a failed COMMIT rolls back and rejects every write of the batch', async () => {
    const { handle, log } = fakeSqlite({ sql: 'commit', endsTransaction: false });
    const batch = new SqliteWriteBatch(handle);
    const insert = handle.prepare('insert');
    const never = () => Promise.reject(new Error('not through Kysely'));
    const results = await Promise.allSettled([1, 2].map((n) => batch.run(() => insert, [n], never)));
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
    assert.deepEqual(log, ['begin immediate', 'insert 1', 'insert 2', 'rollback']);
    assert.equal(handle.inTransaction, false);
  });

  test('writes pending when the store closes reject with GH_STORE_UNAVAILABLE', async () => {
    const c = await openSql({ kind: 'sqlite', location: join(dir, 'closing.db'), poolSize: 1 });
    await migrateToLatest(c.db as never, 'sqlite');
    const q = prepareQuery(c, (p) => c.db.insertInto('token_denylist').values({ tenant_id: p(0), jti: p(1), expires_at: p(2) }));
    const pending = q.run(['t', 'late', 1]);
    await c.db.destroy();
    await assert.rejects(pending, (e: unknown) => e instanceof GatehouseError && e.code === 'GH_STORE_UNAVAILABLE');
  });
});

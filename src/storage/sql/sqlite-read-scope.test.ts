import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type BetterSqlite3 from 'better-sqlite3';
import { migrateToLatest } from '../migrations/migrate.ts';
import { prepareQuery, type PreparedQuery, type SqlConnection } from './prepared-query.ts';
import { openSql } from './sql-connect.ts';
import { loadBetterSqlite3 } from './sqlite-driver.ts';
import { InThreadWriter } from './sqlite-write-batch.ts';
import { SqliteWriterThread } from './sqlite-writer-thread.ts';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('SQLite hot-path reads share one read transaction per event-loop turn', () => {
  let dir: string;
  let conn: SqlConnection;
  let find: PreparedQuery;
  let add: PreparedQuery;
  /** Another process's connection, as the CLI would be. */
  let other: BetterSqlite3.Database;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gh-reads-'));
    conn = await openSql({ kind: 'sqlite', location: join(dir, 'g.db'), poolSize: 1 });
    await migrateToLatest(conn.db as never, 'sqlite');
    find = prepareQuery(conn, (p) => conn.db.selectFrom('token_denylist').select(['jti', 'expires_at']).where('tenant_id', '=', p(0)).where('jti', '=', p(1)), [
      'jti',
      'expires_at',
    ]);
    add = prepareQuery(conn, (p) => conn.db.insertInto('token_denylist').values({ tenant_id: p(0), jti: p(1), expires_at: p(2) }));
    other = new (await loadBetterSqlite3())(join(dir, 'g.db'), { timeout: 1000 });
  });
  after(async () => {
    other.close();
    await conn.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('reads in one turn share a transaction, which ends on the next setImmediate', async () => {
    await find.first(['t', 'x']);
    assert.equal(conn.sqlite!.handle.inTransaction, true);
    await find.first(['t', 'y']);
    await nextTurn();
    assert.equal(conn.sqlite!.handle.inTransaction, false);
  });

  test('a commit by another connection is seen from the next turn on, never later', async () => {
    assert.equal(await find.first(['t1', 'disabled']), undefined);
    other.prepare("insert into token_denylist values ('t1', 'disabled', 5)").run();
    await nextTurn();
    assert.deepEqual(await find.first(['t1', 'disabled']), ['disabled', 5]);
  });

  test('a Kysely write in the same turn ends the read transaction and commits at once', async () => {
    assert.equal(await find.first(['t2', 'k']), undefined);
    await conn.db.insertInto('token_denylist').values({ tenant_id: 't2', jti: 'k', expires_at: 1 }).execute();
    // Committed, not held in the read transaction: another connection sees it now.
    assert.equal(other.prepare("select count(*) from token_denylist where tenant_id = 't2'").pluck().get(), 1);
    assert.deepEqual(await find.first(['t2', 'k']), ['k', 1]);
  });

  test('a Kysely transaction can start right after a hot read in the same turn', async () => {
    await find.first(['t3', 'a']);
    await conn.db.transaction().execute(async (trx) => {
      await trx.insertInto('token_denylist').values({ tenant_id: 't3', jti: 'in-trx', expires_at: 1 }).execute();
    });
    assert.equal(other.prepare("select count(*) from token_denylist where tenant_id = 't3'").pluck().get(), 1);
  });

  test('ending the read transaction (as a committed hot-path write does) shows newer commits at once', async () => {
    assert.equal(await find.first(['t4', 'w']), undefined);
    other.prepare("insert into token_denylist values ('t4', 'w', 3)").run();
    assert.equal(await find.first(['t4', 'w']), undefined, 'same turn, same snapshot');
    conn.sqlite!.reads.end();
    assert.deepEqual(await find.first(['t4', 'w']), ['w', 3]);
  });

  test('the writer thread signals a committed batch before its callers resume', async () => {
    const order: string[] = [];
    const writer = new SqliteWriterThread(
      join(dir, 'g.db'),
      { busyTimeoutMs: 1000, walSizeLimit: 1 << 20 },
      new InThreadWriter(conn.sqlite!.handle, conn.sqlite!.reads),
      () => order.push('committed'),
    );
    const sql = 'insert into "token_denylist" ("tenant_id", "jti", "expires_at") values (?, ?, ?)';
    await writer.run(sql, ['t5', 'x', 1], () => Promise.reject(new Error('unused'))).then(() => order.push('resumed'));
    assert.deepEqual(order, ['committed', 'resumed']);
    await writer.close();
  });

  test('the in-memory database (in-thread group commit) reads its own writes too', async () => {
    const mem = await openSql({ kind: 'sqlite', location: ':memory:', poolSize: 1 });
    await migrateToLatest(mem.db as never, 'sqlite');
    const f = prepareQuery(mem, (p) => mem.db.selectFrom('token_denylist').select(['jti']).where('jti', '=', p(0)), ['jti']);
    const a = prepareQuery(mem, (p) => mem.db.insertInto('token_denylist').values({ tenant_id: 't', jti: p(0), expires_at: 1 }));
    assert.equal(await f.first(['m']), undefined);
    await a.run(['m']);
    assert.deepEqual(await f.first(['m']), ['m']);
    // A write then a read in one turn: the group commit ends the read transaction and commits
    // on its own (not by way of Kysely, as it would behind a Kysely transaction).
    const { stats } = mem.sqlite!.writes;
    const writesBefore = stats.writes;
    await nextTurn();
    const [n, before] = await Promise.all([a.run(['n']), f.first(['n'])]);
    assert.equal(n, 1);
    assert.equal(before, undefined);
    assert.equal(stats.writes - writesBefore, 1);
    assert.deepEqual(await f.first(['n']), ['n']);
    await mem.close();
  });
});

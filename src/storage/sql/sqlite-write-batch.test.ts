import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type BetterSqlite3 from 'better-sqlite3';
import { GatehouseError } from '../../core/errors.ts';
import { migrateToLatest } from '../migrations/migrate.ts';
import { prepareQuery, type PreparedQuery, type SqlConnection } from './prepared-query.ts';
import { openSql } from './sql-connect.ts';
import { loadBetterSqlite3 } from './sqlite-driver.ts';
import { commitWrites, InThreadWriter, type SqliteHandle, type SqliteStatement } from './sqlite-write-batch.ts';
import { SqliteWriterThread } from './sqlite-writer-thread.ts';

/** A scripted connection: logs statements, fails where told, tracks the transaction flag. */
function fakeSqlite(failOn: { sql: string; endsTransaction: boolean; code?: string }) {
  const log: string[] = [];
  const handle = {
    open: true,
    inTransaction: false as boolean,
    prepare(sql: string): SqliteStatement {
      return {
        raw() {
          return this;
        },
        get() {
          return undefined;
        },
        run(...params: unknown[]) {
          const text = params.length ? `${sql} ${params.join(',')}` : sql;
          if (text === failOn.sql) {
            if (failOn.endsTransaction) handle.inTransaction = false;
            throw Object.assign(new Error('scripted failure'), { code: failOn.code ?? 'SQLITE_IOERR_WRITE' });
          }
          log.push(text);
          if (sql === 'begin immediate') handle.inTransaction = true;
          if (sql === 'commit' || sql === 'rollback') handle.inTransaction = false;
          return { changes: 1 };
        },
      };
    },
  } satisfies SqliteHandle;
  return { handle, log, prepare: (sql: string) => handle.prepare(sql) };
}

const writes = (...ns: number[]) => ns.map((n) => ({ sql: 'insert', params: [n] }));
const codes = (outcomes: readonly object[]) => outcomes.map((o) => ('changes' in o ? 'ok' : (o as { error: { code: string } }).error.code));

describe('commitWrites (group commit)', () => {
  test('commits several writes in one transaction, each with its own outcome', () => {
    const { handle, log, prepare } = fakeSqlite({ sql: 'insert 2', endsTransaction: false, code: 'SQLITE_CONSTRAINT_PRIMARYKEY' });
    const outcomes = commitWrites(handle, prepare, writes(1, 2, 3));
    // The duplicate is refused alone (statement rollback); its neighbours commit.
    assert.deepEqual(codes(outcomes), ['ok', 'SQLITE_CONSTRAINT_PRIMARYKEY', 'ok']);
    assert.deepEqual(log, ['begin immediate', 'insert 1', 'insert 3', 'commit']);
  });

  test('a single write runs alone, without BEGIN/COMMIT', () => {
    const { handle, log, prepare } = fakeSqlite({ sql: 'none', endsTransaction: false });
    assert.deepEqual(codes(commitWrites(handle, prepare, writes(7))), ['ok']);
    assert.deepEqual(log, ['insert 7']);
  });

  test('an error that ends the transaction refuses every write of the batch', () => {
    const { handle, log, prepare } = fakeSqlite({ sql: 'insert 2', endsTransaction: true });
    // Write 1 ran inside the transaction SQLite rolled back: it must not report success.
    assert.deepEqual(codes(commitWrites(handle, prepare, writes(1, 2, 3))), ['SQLITE_IOERR_WRITE', 'SQLITE_IOERR_WRITE', 'SQLITE_IOERR_WRITE']);
    assert.deepEqual(log, ['begin immediate', 'insert 1']);
  });

  test('a failed COMMIT rolls back and refuses every write of the batch', () => {
    const { handle, log, prepare } = fakeSqlite({ sql: 'commit', endsTransaction: false });
    assert.deepEqual(codes(commitWrites(handle, prepare, writes(1, 2))), ['SQLITE_IOERR_WRITE', 'SQLITE_IOERR_WRITE']);
    assert.deepEqual(log, ['begin immediate', 'insert 1', 'insert 2', 'rollback']);
    assert.equal(handle.inTransaction, false);
  });
});

describe('SQLite hot-path writes on a file (writer thread)', () => {
  let dir: string;
  let conn: SqlConnection;
  let add: PreparedQuery;
  /** A second connection: sees only what was committed. */
  let other: BetterSqlite3.Database;
  const committed = (tenant: string) => other.prepare('select jti from token_denylist where tenant_id = ? order by jti').pluck().all(tenant) as string[];
  const insertInto = (c: SqlConnection) => prepareQuery(c, (p) => c.db.insertInto('token_denylist').values({ tenant_id: p(0), jti: p(1), expires_at: p(2) }));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gh-writer-'));
    conn = await openSql({ kind: 'sqlite', location: join(dir, 'g.db'), poolSize: 1 });
    await migrateToLatest(conn.db as never, 'sqlite');
    add = insertInto(conn);
    other = new (await loadBetterSqlite3())(join(dir, 'g.db'), { readonly: true });
  });
  after(async () => {
    other.close();
    await conn.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('writes issued in one turn share one transaction, and each resolves once committed', async () => {
    const { stats } = conn.sqlite!.writes;
    assert.ok(conn.sqlite!.writes instanceof SqliteWriterThread);
    await add.run(['t0', 'warm-up', 1]);
    const before = { ...stats };
    const done = await Promise.all(
      ['a', 'b', 'c', 'd'].map((j) =>
        add.run(['t1', j, 1]).then((n) => {
          // Resolved only after COMMIT: another connection already sees the row.
          assert.ok(committed('t1').includes(j));
          return n;
        }),
      ),
    );
    assert.deepEqual(done, [1, 1, 1, 1]);
    assert.equal(stats.transactions - before.transactions, 1);
    assert.equal(stats.writes - before.writes, 4);
  });

  test('a duplicate key rejects that write alone with the driver code; the rest of its batch commits', async () => {
    await add.run(['t2', 'taken', 1]);
    const results = await Promise.allSettled([add.run(['t2', 'x', 1]), add.run(['t2', 'taken', 1]), add.run(['t2', 'y', 1])]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.equal((results[1] as PromiseRejectedResult).reason.code, 'SQLITE_CONSTRAINT_PRIMARYKEY');
    assert.deepEqual(committed('t2'), ['taken', 'x', 'y']);
  });

  test('many writes in one turn are split into bounded transactions', async () => {
    const { stats } = conn.sqlite!.writes;
    const before = stats.transactions;
    await Promise.all(Array.from({ length: 300 }, (_, i) => add.run(['t4', `j${String(i).padStart(3, '0')}`, 1])));
    assert.equal(committed('t4').length, 300);
    assert.ok(stats.transactions - before >= 3, `${stats.transactions - before} transactions`);
  });

  test('close commits the writes already issued; a write after close rejects with GH_STORE_UNAVAILABLE', async () => {
    const c = await openSql({ kind: 'sqlite', location: join(dir, 'closing.db'), poolSize: 1 });
    await migrateToLatest(c.db as never, 'sqlite');
    const q = insertInto(c);
    const issued = q.run(['t', 'last', 1]);
    await c.close();
    assert.equal(await issued, 1);
    const check = new (await loadBetterSqlite3())(join(dir, 'closing.db'), { readonly: true });
    assert.equal(check.prepare('select count(*) from token_denylist').pluck().get(), 1);
    check.close();
    await assert.rejects(q.run(['t', 'late', 1]), (e: unknown) => e instanceof GatehouseError && e.code === 'GH_STORE_UNAVAILABLE');
  });

  test('when the writer thread cannot open the file, writes fail as GH_STORE_UNAVAILABLE, then commit on this thread', async () => {
    const mem = await openSql({ kind: 'sqlite', location: ':memory:', poolSize: 1 });
    await migrateToLatest(mem.db as never, 'sqlite');
    const fallback = new InThreadWriter(mem.sqlite!.handle, mem.sqlite!.reads);
    const writer = new SqliteWriterThread(join(dir, 'missing', 'nope.db'), { busyTimeoutMs: 100, walSizeLimit: 1 << 20 }, fallback);
    const sql = insertInto(mem);
    const viaWriter = (jti: string) =>
      writer.run('insert into "token_denylist" ("tenant_id", "jti", "expires_at") values (?, ?, ?)', ['t5', jti, 1], () => sql.run(['t5', jti, 1]));
    await assert.rejects(viaWriter('first'), (e: unknown) => e instanceof GatehouseError && e.code === 'GH_STORE_UNAVAILABLE');
    assert.equal(await viaWriter('second'), 1);
    assert.equal(fallback.stats.writes, 1);
    await writer.close();
    await mem.close();
  });
});

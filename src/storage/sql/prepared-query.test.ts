import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GatehouseError } from '../../core/errors.ts';
import { migrateToLatest } from '../migrations/migrate.ts';
import { prepareQuery, type SqlConnection } from './prepared-query.ts';
import { openSql } from './sql-connect.ts';

describe('prepareQuery on SQLite', () => {
  let conn: SqlConnection;
  before(async () => {
    conn = await openSql({ kind: 'sqlite', location: ':memory:', poolSize: 1 });
    await migrateToLatest(conn.db as never, 'sqlite');
  });
  after(() => conn.close());

  const insert = () => prepareQuery(conn, (p) => conn.db.insertInto('token_denylist').values({ tenant_id: p(0), jti: p(1), expires_at: p(2) }));
  const find = () =>
    prepareQuery(conn, (p) => conn.db.selectFrom('token_denylist').select(['expires_at', 'jti']).where('tenant_id', '=', p(0)).where('jti', '=', p(1)), [
      'expires_at',
      'jti',
    ]);

  test('binds values by placeholder index, whatever order the SQL names them in', async () => {
    await insert().run(['t1', 'a', 100]);
    // SET comes first in the SQL, the key after it: placeholder 2 is bound first.
    const bump = prepareQuery(conn, (p) =>
      conn.db
        .updateTable('token_denylist')
        .set({ expires_at: p(2) })
        .where('tenant_id', '=', p(0))
        .where('jti', '=', p(1)),
    );
    assert.equal(await bump.run(['t1', 'a', 200]), 1);
    assert.equal(await bump.run(['t1', 'nope', 300]), 0);
    assert.deepEqual(await find().first(['t1', 'a']), [200, 'a']);
    assert.equal(await find().first(['t1', 'nope']), undefined);
  });

  test('a constant given to the builder stays bound alongside placeholders', async () => {
    await insert().run(['t2', 'k', 5]);
    const q = prepareQuery(conn, (p) => conn.db.selectFrom('token_denylist').select(['jti']).where('tenant_id', '=', 't2').where('jti', '=', p(0)), ['jti']);
    assert.deepEqual(await q.first(['k']), ['k']);
  });

  test('a statement issued while a Kysely transaction is open waits for it and survives its rollback', async () => {
    const add = insert();
    let inside: Promise<number> | undefined;
    await assert.rejects(
      conn.db.transaction().execute(async (trx) => {
        await trx.insertInto('token_denylist').values({ tenant_id: 't3', jti: 'rolled-back', expires_at: 1 }).execute();
        assert.equal(conn.sqlite?.handle.inTransaction, true);
        inside = add.run(['t3', 'kept', 1]);
        // Not run inside the transaction: it cannot see it yet.
        await new Promise((r) => setImmediate(r));
        throw new Error('roll back');
      }),
      /roll back/,
    );
    assert.equal(await inside, 1);
    assert.deepEqual(await find().first(['t3', 'kept']), [1, 'kept']);
    assert.equal(await find().first(['t3', 'rolled-back']), undefined);
  });

  test('a duplicate key surfaces as the driver error (callers map it to GH_CONFLICT)', async () => {
    await insert().run(['t4', 'dup', 1]);
    await assert.rejects(insert().run(['t4', 'dup', 1]), (e: unknown) => (e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY');
  });

  test('after close a prepared query rejects with GH_STORE_UNAVAILABLE', async () => {
    const c = await openSql({ kind: 'sqlite', location: ':memory:', poolSize: 1 });
    await migrateToLatest(c.db as never, 'sqlite');
    const q = prepareQuery(c, (p) => c.db.selectFrom('token_denylist').select('jti').where('jti', '=', p(0)), ['jti']);
    assert.equal(await q.first(['x']), undefined);
    await c.close();
    await assert.rejects(q.first(['x']), (e: unknown) => e instanceof GatehouseError && e.code === 'GH_STORE_UNAVAILABLE');
  });
});

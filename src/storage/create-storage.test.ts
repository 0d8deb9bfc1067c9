import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { GatehouseError } from '../core/errors.ts';
import { createStorage } from './create-storage.ts';
import { migrations } from './migrations/migrate.ts';
import { installedSqliteDriver, loadBetterSqlite3 } from './sql/sqlite-driver.ts';

const run = promisify(execFile);
const isCode = (code: string) => (e: unknown) => e instanceof GatehouseError && e.code === code;

test('an unknown URL scheme is GH_CONFIG_INVALID naming the supported ones, without echoing credentials', async () => {
  await assert.rejects(createStorage('redis://admin:s3cret@127.0.0.1:6379/0'), (e: unknown) => {
    assert.ok(isCode('GH_CONFIG_INVALID')(e));
    const msg = (e as Error).message;
    assert.match(msg, /"redis:"/);
    assert.match(msg, /sqlite:PATH/);
    assert.match(msg, /postgres:\/\//);
    assert.doesNotMatch(msg, /s3cret/);
    return true;
  });
  await assert.rejects(createStorage('not a url'), isCode('GH_CONFIG_INVALID'));
  await assert.rejects(createStorage('sqlite:'), isCode('GH_CONFIG_INVALID'));
  await assert.rejects(createStorage('memory:', { poolSize: 0 }), isCode('GH_CONFIG_INVALID'));
});

test('memory: and sqlite::memory: open working stores', async () => {
  for (const url of ['memory:', 'sqlite::memory:']) {
    const s = await createStorage(url);
    try {
      await s.migrate();
      await s.ping();
      assert.equal(s.dialect, url === 'memory:' ? 'memory' : 'sqlite');
    } finally {
      await s.close();
    }
  }
});

test('sqlite:PATH creates the parent directory and puts the database in WAL mode', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gh-create-'));
  try {
    const file = join(dir, 'a', 'b', 'gatehouse.db');
    const s = await createStorage(`sqlite://${file}`); // sqlite:///abs/path form
    assert.deepEqual(await s.migrate(), { applied: Object.keys(migrations('sqlite')) });
    await s.close();
    assert.ok(existsSync(file));
    // journal_mode=WAL is stored in the file: a plain connection sees it.
    const Database = await loadBetterSqlite3();
    const db = new Database(file, { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an unreachable PostgreSQL or MySQL server surfaces as GH_STORE_UNAVAILABLE', async () => {
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  for (const url of ['postgres://postgres@127.0.0.1:1/test', 'mysql://root@127.0.0.1:1/test']) {
    const s = await createStorage(url, { poolSize: 1 });
    try {
      await assert.rejects(s.ping(), (e: unknown) => {
        assert.ok(isCode('GH_STORE_UNAVAILABLE')(e), String(e));
        assert.match((e as Error).message, /ECONNREFUSED/);
        return true;
      });
      await assert.rejects(s.tokens.find('default', 'h'), isCode('GH_STORE_UNAVAILABLE'));
      await assert.rejects(s.migrate(), isCode('GH_STORE_UNAVAILABLE'));
    } finally {
      await s.close();
    }
  }
});

test('S16 drivers load lazily: a SQLite store loads neither pg nor mysql2', async () => {
  const script = `
    import { createRequire } from 'node:module';
    import { createStorage } from ${JSON.stringify(new URL('./create-storage.ts', import.meta.url).href)};
    const s = await createStorage('sqlite::memory:');
    await s.migrate();
    await s.close();
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    const drivers = ['better-sqlite3', 'better-sqlite3-napi', 'pg', 'mysql2'].filter((d) => loaded.some((p) => p.includes('/node_modules/' + d + '/')));
    console.log(JSON.stringify(drivers));
  `;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
  assert.deepEqual(JSON.parse(stdout.trim().split('\n').at(-1)!), [installedSqliteDriver().name]);
});

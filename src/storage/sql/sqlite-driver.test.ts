import assert from 'node:assert/strict';
import { test } from 'node:test';
import { installedSqliteDriver, loadBetterSqlite3, sqliteDriverPackage } from './sqlite-driver.ts';

test('better-sqlite3 12 on Node.js 20, 13 (node-addon-api) from Node.js 22 on', () => {
  assert.equal(sqliteDriverPackage('20.19.0'), 'better-sqlite3');
  assert.equal(sqliteDriverPackage('20.20.2'), 'better-sqlite3');
  assert.equal(sqliteDriverPackage('22.12.0'), 'better-sqlite3-napi');
  assert.equal(sqliteDriverPackage('24.21.0'), 'better-sqlite3-napi');
  assert.equal(sqliteDriverPackage('26.0.0'), 'better-sqlite3-napi');
});

test('the driver this Node.js loads opens a database and runs SQLite with JSON support', async () => {
  const Database = await loadBetterSqlite3();
  const db = new Database(':memory:');
  try {
    const row = db.prepare("select json_extract('{\"a\":[1,2]}', '$.a[1]') as v").get() as { v: number };
    assert.equal(row.v, 2);
  } finally {
    db.close();
  }
});

test('without the optional better-sqlite3 13 installed, 12 is loaded instead', () => {
  const resolve = (id: string) => {
    if (id === 'better-sqlite3') return '/x/node_modules/better-sqlite3/lib/index.js';
    throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
  };
  assert.deepEqual(installedSqliteDriver(resolve), { name: 'better-sqlite3', path: '/x/node_modules/better-sqlite3/lib/index.js' });
});

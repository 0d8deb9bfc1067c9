// The test-database helper never lets a missing backend pass silently (S14).
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { backendRequired, createTestDatabase } from './databases.ts';

const KEYS = ['CI', 'GATEHOUSE_TEST_REQUIRE_BACKENDS', 'GATEHOUSE_TEST_POSTGRES_URL', 'GATEHOUSE_TEST_MYSQL_URL'] as const;
let saved: Record<string, string | undefined> = {};
beforeEach(() => {
  saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));
  for (const k of KEYS) delete process.env[k];
  // Port 1 on loopback: nothing listens.
  process.env.GATEHOUSE_TEST_POSTGRES_URL = 'postgres://postgres@127.0.0.1:1/test';
  process.env.GATEHOUSE_TEST_MYSQL_URL = 'mysql://root@127.0.0.1:1/test';
});
afterEach(() => {
  for (const k of KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

test('an unreachable backend yields a skip reason naming the server outside CI', async () => {
  assert.equal(backendRequired(), false);
  const pg = await createTestDatabase('postgres');
  assert.ok('skip' in pg);
  assert.match(pg.skip, /^PostgreSQL not reachable at 127\.0\.0\.1:1: .*ECONNREFUSED/);
  const my = await createTestDatabase('mysql');
  assert.ok('skip' in my);
  assert.match(my.skip, /^MariaDB\/MySQL not reachable at 127\.0\.0\.1:1: .*ECONNREFUSED/);
});

test('with CI=true or GATEHOUSE_TEST_REQUIRE_BACKENDS=1 an unreachable backend fails instead', async () => {
  process.env.CI = 'true';
  assert.equal(backendRequired(), true);
  await assert.rejects(createTestDatabase('postgres'), /PostgreSQL not reachable .*required/);
  delete process.env.CI;
  process.env.GATEHOUSE_TEST_REQUIRE_BACKENDS = '1';
  await assert.rejects(createTestDatabase('mysql'), /MariaDB\/MySQL not reachable .*required/);
});

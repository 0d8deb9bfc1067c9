// The Redis connection (src/redis/redis-connection.ts) against a private redis-server: commands
// fail fast while it is down (no offline queue: a request never hangs on an outage), the client
// reconnects by itself with back-off, the URL's password never reaches a log line, close() ends it.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { openRedis, reconnectDelay, redisTarget } from '../../src/redis/redis-connection.ts';
import { privateRedis } from '../support/redis.ts';

test('reconnect back-off doubles from 50 ms and stays at 2 s', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 50].map(reconnectDelay), [50, 100, 200, 400, 800, 1600, 2000, 2000, 2000]);
});

test('log lines name host, port and db, never the user or password', () => {
  assert.equal(redisTarget('redis://user:s3cret@cache.internal:6380/2'), 'redis://cache.internal:6380/2');
  assert.equal(redisTarget('rediss://:s3cret@cache.internal'), 'rediss://cache.internal');
});

describe('against a private redis-server', async () => {
  const r = await privateRedis();
  if ('skip' in r) {
    test('skipped', { skip: r.skip }, () => {});
    return;
  }
  const logs: string[] = [];
  const conn = await openRedis({
    url: r.url.replace('redis://', 'redis://:pw-not-logged@'),
    connectTimeoutMs: 500,
    commandTimeoutMs: 200,
    log: (l, m) => logs.push(`${l} ${m}`),
  });
  after(async () => {
    await conn.close();
    await r.stop();
  });

  test('a command while Redis is down fails at once instead of queueing; the client comes back by itself', async () => {
    // redis-server without requirepass ignores AUTH with a password only ("AUTH <password> called without any password configured"): still connects.
    assert.equal(await conn.waitReady(2000), true);
    assert.equal(await conn.client.set('k', 'v'), 'OK');
    await r.stop();
    const deadline = Date.now() + 2000;
    while (conn.ready() && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
    assert.equal(conn.ready(), false);
    const t0 = Date.now();
    await assert.rejects(conn.client.get('k'));
    assert.ok(Date.now() - t0 < 100, `failed after ${Date.now() - t0} ms`);
    await r.start();
    assert.equal(await conn.waitReady(5000), true, 'reconnected without being asked');
    assert.equal(await conn.client.ping(), 'PONG');
    assert.ok(
      logs.some((l) => l.startsWith('warn') && l.includes('lost')),
      logs.join('\n'),
    );
    assert.ok(logs.every((l) => !l.includes('pw-not-logged')));
  });

  test('close() ends the connection for good', async () => {
    await conn.close();
    assert.equal(conn.ready(), false);
    await assert.rejects(conn.client.get('k'));
  });
});

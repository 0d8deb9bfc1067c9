/**
 * Fault: Redis stopped under load (issue #10, fault tests). A private redis-server holds the rate
 * limits; 20 concurrent client loops call the token endpoint while it is killed and started again:
 * - every response is 200 (the limits here are far above the load, so no 429 is explained): the
 *   token endpoint keeps answering while the limiter falls back to memory;
 * - the limits recover to Redis afterwards without a restart (`rateLimitBackend() === 'redis'`,
 *   counters land in the restarted Redis).
 * The shared Redis on 6379 is never touched.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { privateRedis, testKeyPrefix } from '../support/redis.ts';
import { createTestClient, startTestServer, type TestServer } from '../support/server.ts';

const LOOPS = 20;

describe('fault: Redis stopped under load (private redis-server)', async () => {
  const r = await privateRedis();
  if ('skip' in r) {
    test('skipped', { skip: r.skip }, () => {});
    return;
  }
  let server: TestServer | undefined;
  after(async () => {
    await server?.close();
    await r.stop();
  });

  test('the token endpoint answers 200 throughout, and the limits count in Redis again once it is back', async () => {
    const keyPrefix = testKeyPrefix();
    server = await startTestServer({
      redis: { url: r.url, keyPrefix },
      rateLimits: { token: { perAddress: 1_000_000, perClient: 1_000_000 } },
    });
    const s = server;
    const { client_id, client_secret } = await createTestClient(s.gh);
    const basic = `Basic ${Buffer.from(`${client_id}:${client_secret}`).toString('base64')}`;
    assert.equal(s.gh.services.rateLimitBackend(), 'redis');

    const statuses = new Map<number, number>();
    let phase: 'before' | 'down' | 'after' = 'before';
    const perPhase = { before: 0, down: 0, after: 0 };
    let stop = false;
    const loop = async () => {
      while (!stop) {
        const res = await fetch(`${s.url}/token`, {
          method: 'POST',
          headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=client_credentials&scope=read',
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 200) perPhase[phase]++;
      }
    };
    const loops = Array.from({ length: LOOPS }, loop);
    const until = async (what: string, check: () => boolean, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!check()) {
        if (Date.now() > deadline) {
          stop = true;
          await Promise.allSettled(loops);
          assert.fail(`timed out waiting for ${what}`);
        }
        await new Promise((res) => setTimeout(res, 20));
      }
    };
    try {
      await until('load before the outage', () => perPhase.before >= 100);
      await r.stop();
      phase = 'down';
      await until('the limiter to fall back to memory', () => s.gh.services.rateLimitBackend() === 'memory');
      const served = perPhase.down;
      await until('requests served while Redis is down', () => perPhase.down >= served + 100);
      await r.start();
      phase = 'after';
      await until('the limiter to count in Redis again', () => s.gh.services.rateLimitBackend() === 'redis');
      const back = perPhase.after;
      await until('requests served after the restart', () => perPhase.after >= back + 100);
    } finally {
      stop = true;
      await Promise.all(loops);
    }
    assert.deepEqual([...statuses.keys()], [200], `statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
    assert.ok(perPhase.down >= 100, `served while Redis was down: ${perPhase.down}`);
    assert.equal(s.gh.services.rateLimitBackend(), 'redis');
    const direct = new Redis(r.url);
    try {
      assert.ok((await direct.keys(`${keyPrefix}rl:*`)).length > 0, 'the counters are in the restarted Redis');
    } finally {
      direct.disconnect();
    }
  });
});

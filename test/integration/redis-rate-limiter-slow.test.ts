// A Redis that is connected but does not answer (CLIENT PAUSE on a private redis-server): a limit
// check waits at most `redis.commandTimeoutMs`, then counts in memory; the `redis` policy's breaker
// (here: opens on the first failure, cool-down 1 s) is then open, so calls go straight to memory
// instead of each waiting for the timeout again; after the cool-down the next call is the half-open
// probe, and counting returns to Redis. Each transition is reported once.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { resilienceSchema } from '../../src/config/resilience-schema.ts';
import { EventBus } from '../../src/core/events.ts';
import { MemoryRateLimiter } from '../../src/ratelimit/memory-rate-limiter.ts';
import { RedisRateLimiter, type LimiterBackend } from '../../src/ratelimit/redis-rate-limiter.ts';
import { openRedis } from '../../src/redis/redis-connection.ts';
import { createResilience } from '../../src/resilience/index.ts';
import { privateRedis, testKeyPrefix } from '../support/redis.ts';

describe('slow Redis', async () => {
  const r = await privateRedis();
  if ('skip' in r) {
    test('skipped', { skip: r.skip }, () => {});
    return;
  }
  const conn = await openRedis({ url: r.url, connectTimeoutMs: 500, commandTimeoutMs: 100 });
  const admin = new Redis(r.url);
  after(async () => {
    await conn.close();
    admin.disconnect();
    await r.stop();
  });

  test('a command timeout falls back to memory at once, the open breaker keeps calls off Redis for its cool-down, then they count there again', async () => {
    assert.equal(await conn.waitReady(2000), true);
    const changes: [LimiterBackend, string | null][] = [];
    const resilience = resilienceSchema.parse({ redis: { breaker: { kind: 'consecutive', consecutiveFailures: 1, halfOpenAfterMs: 1000 } } });
    const { redis: policy } = createResilience({ resilience }, { events: new EventBus(), log: () => {} });
    const rl = new RedisRateLimiter({
      redis: conn,
      policy,
      fallback: new MemoryRateLimiter(),
      keyPrefix: testKeyPrefix(),
      onBackendChange: (b, why) => changes.push([b, why]),
    });
    assert.equal((await rl.hit('k', 10, 3600)).count, 1);
    assert.equal(rl.backend, 'redis');

    await admin.call('CLIENT', 'PAUSE', '1500', 'WRITE');
    let t0 = Date.now();
    assert.equal((await rl.hit('k', 10, 3600)).count, 1, 'counted in memory, from zero');
    assert.ok(Date.now() - t0 < 400, `waited ${Date.now() - t0} ms: about the command timeout`);
    assert.equal(rl.backend, 'memory');
    assert.equal(policy.state, 'open');
    t0 = Date.now();
    for (let i = 0; i < 5; i++) await rl.hit('k', 10, 3600);
    assert.ok(Date.now() - t0 < 50, `later calls do not wait for the timeout again (${Date.now() - t0} ms)`);

    await admin.call('CLIENT', 'UNPAUSE');
    await new Promise((res) => setTimeout(res, 1100));
    const back = await rl.hit('k', 10, 3600);
    assert.equal(rl.backend, 'redis');
    assert.ok(back.count >= 2, `counting in Redis again (count ${back.count})`);
    assert.deepEqual(
      changes.map(([b]) => b),
      ['memory', 'redis'],
    );
    assert.match(changes[0]![1] ?? '', /timed? ?out/i);
  });
});

// Runs the RateLimiter contract against the memory adapter and against real Redis (S14):
// two RedisRateLimiter instances on two connections play two Gatehouse instances; and against the
// `--workers N` limiter: two ClusterRateLimiters (two workers) asking one primary over IPC.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answerOn } from '../../src/cluster/ipc.ts';
import { ClusterRateLimiter, rateLimitHandlers } from '../../src/ratelimit/cluster-rate-limiter.ts';
import { MemoryRateLimiter } from '../../src/ratelimit/memory-rate-limiter.ts';
import { RedisRateLimiter } from '../../src/ratelimit/redis-rate-limiter.ts';
import { openRedis, type RedisConnection } from '../../src/redis/redis-connection.ts';
import { ipcPair } from '../support/ipc-pair.ts';
import { resilienceSchema } from '../../src/config/resilience-schema.ts';
import { EventBus } from '../../src/core/events.ts';
import { createResilience } from '../../src/resilience/index.ts';
import { deletePrefix, sharedRedis, testKeyPrefix, testRedisUrl } from '../support/redis.ts';
import { testClock } from './harness.ts';
import { ALIGNED_START_MS, rateLimiterContract } from './rate-limiter.contract.ts';

describe('memory rate limiter', () => {
  rateLimiterContract(async () => {
    const clock = testClock(ALIGNED_START_MS);
    const limiter = new MemoryRateLimiter({ clock });
    return { limiter, peer: limiter, clock };
  });
});

describe('cluster rate limiter (--workers N, no Redis)', () => {
  rateLimiterContract(async () => {
    const clock = testClock(ALIGNED_START_MS);
    const primary = new MemoryRateLimiter({ clock });
    const worker = () => {
      const pair = ipcPair();
      answerOn(pair.primary, rateLimitHandlers(primary));
      return new ClusterRateLimiter({ channel: pair.worker, fallback: new MemoryRateLimiter({ clock }) });
    };
    return { limiter: worker(), peer: worker(), clock };
  });

  test('a primary that does not answer in time: the worker counts in its own memory, and says so', async () => {
    const clock = testClock(ALIGNED_START_MS);
    const pair = ipcPair();
    // Nothing answers on pair.primary.
    const reasons: string[] = [];
    const limiter = new ClusterRateLimiter({
      channel: pair.worker,
      fallback: new MemoryRateLimiter({ clock }),
      timeoutMs: 50,
      onFallback: (r) => reasons.push(r),
    });
    assert.deepEqual(await limiter.hit('k', 1, 60), { allowed: true, retryAfter: 0, count: 1 });
    assert.equal((await limiter.hit('k', 1, 60)).allowed, false, 'the fallback still limits');
    assert.match(reasons[0] ?? '', /did not answer rl\.hit within 50 ms/);
    await assert.rejects(limiter.resetPrefix('k'), /did not answer/, 'an operator unlock that cannot reach the primary fails loudly');
    const t0 = Date.now();
    await limiter.hit('k', 1, 60);
    assert.ok(Date.now() - t0 < 40, 'after a timeout the worker does not wait for the primary on every call');
    pair.cut();
    assert.equal((await limiter.hit('j', 5, 60)).count, 1, 'a closed channel falls back too');
    limiter.close();
  });
});

describe('Redis rate limiter', async () => {
  const probe = await sharedRedis();
  if ('skip' in probe) {
    describe('skipped', { skip: probe.skip }, () => {});
    return;
  }
  probe.client.disconnect();
  const runPrefix = testKeyPrefix();
  let a: RedisConnection;
  let b: RedisConnection;
  before(async () => {
    const opts = { url: testRedisUrl(), connectTimeoutMs: 2000, commandTimeoutMs: 1000 };
    a = await openRedis(opts);
    b = await openRedis(opts);
    await Promise.all([a.waitReady(2000), b.waitReady(2000)]);
  });
  after(async () => {
    await deletePrefix(a.client, runPrefix);
    await a.close();
    await b.close();
  });
  // Through the `redis` policy with its defaults, as compose builds it.
  const { redis: policy } = createResilience({ resilience: resilienceSchema.parse({}) }, { events: new EventBus(), log: () => {} });
  let n = 0;
  rateLimiterContract(async () => {
    const clock = testClock(ALIGNED_START_MS);
    const keyPrefix = `${runPrefix}${n++}:`;
    const make = (redis: RedisConnection) => new RedisRateLimiter({ redis, policy, fallback: new MemoryRateLimiter({ clock }), keyPrefix, clock });
    return { limiter: make(a), peer: make(b), clock };
  });
});

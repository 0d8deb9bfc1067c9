// Runs the RateLimiter contract against the memory adapter and against real Redis (S14):
// two RedisRateLimiter instances on two connections play two Gatehouse instances.
import { after, before, describe } from 'node:test';
import { resilienceSchema } from '../../src/config/resilience-schema.ts';
import { EventBus } from '../../src/core/events.ts';
import { MemoryRateLimiter } from '../../src/ratelimit/memory-rate-limiter.ts';
import { RedisRateLimiter } from '../../src/ratelimit/redis-rate-limiter.ts';
import { openRedis, type RedisConnection } from '../../src/redis/redis-connection.ts';
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

/**
 * #9 part 2: the Redis adapters run under the `redis` resilience policy (cockatiel breaker,
 * deadline, bulkhead; `resilience.redis.*`, docs/operations.md "Resilience"). A private
 * redis-server is stopped mid-test, with short breaker timings:
 * - the first failing calls open the breaker: `breaker.opened` {dependency: 'redis'};
 * - while it is open, limit checks (and the replay cache) do not touch Redis at all: the ioredis
 *   client is not even asked to send a command (counted client-side, on `sendCommand`); limits
 *   count in memory and requests are served;
 * - `/ready` lists the redis breaker (`breakers: degraded`) and stays 200: Redis has a fallback;
 * - an operator's `resetPrefix` fails with GH_STORE_UNAVAILABLE (an operator must know);
 * - once Redis is back, the half-open probe succeeds without waiting for traffic:
 *   `breaker.closed`, and counting is back in Redis.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { resilienceSchema } from '../../src/config/resilience-schema.ts';
import { GatehouseError } from '../../src/core/errors.ts';
import { EventBus, type EventMap } from '../../src/core/events.ts';
import { systemClock } from '../../src/core/ports/clock.ts';
import { openRedis } from '../../src/redis/redis-connection.ts';
import { RedisReplayCache } from '../../src/redis/redis-replay-cache.ts';
import { createResilience } from '../../src/resilience/index.ts';
import { MemoryReplayCache } from '../../src/storage/memory/memory-replay-cache.ts';
import { privateRedis, testKeyPrefix } from '../support/redis.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/** Counts the commands every ioredis client bound for `port` is asked to send (connected or not). */
function countCommands(port: number): { readonly count: () => number; restore(): void } {
  const proto = Redis.prototype as unknown as { sendCommand: (this: Redis, ...args: unknown[]) => unknown };
  const original = proto.sendCommand;
  let n = 0;
  proto.sendCommand = function (this: Redis, ...args: unknown[]) {
    if (this.options.port === port) n++;
    return original.apply(this, args);
  };
  return {
    count: () => n,
    restore: () => {
      proto.sendCommand = original;
    },
  };
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function token(s: TestServer): Promise<number> {
  const res = await fetch(`${s.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  await res.arrayBuffer();
  return res.status;
}

async function ready(s: TestServer): Promise<{ status: number; body: { checks: { breakers: string }; breakers?: Record<string, string> } }> {
  const res = await fetch(`${s.url}/ready`);
  return { status: res.status, body: (await res.json()) as never };
}

/** Opens after 2 failures in a row; the cool-down is long enough for the checks made while open. */
const BREAKER = { kind: 'consecutive', consecutiveFailures: 2, halfOpenAfterMs: 1500 } as const;

describe('rate limits under the redis breaker, over HTTP', async () => {
  const r = await privateRedis();
  if ('skip' in r) {
    test('skipped', { skip: r.skip }, () => {});
    return;
  }
  const commands = countCommands(r.port);
  let s: TestServer | undefined;
  after(async () => {
    commands.restore();
    await s?.close();
    await r.stop();
  });

  test('an outage opens the breaker, calls skip Redis while it is open, /ready stays 200, the probe closes it again', async () => {
    const keyPrefix = testKeyPrefix();
    s = await startTestServer({
      redis: { url: r.url, keyPrefix, commandTimeoutMs: 200 },
      resilience: { redis: { breaker: BREAKER } },
      rateLimits: { token: { perAddress: 1000, perClient: 0 } },
    });
    const server = s;
    const opened: EventMap['breaker.opened'][] = [];
    const closed: EventMap['breaker.closed'][] = [];
    server.gh.ctx.events.on('breaker.opened', (e) => opened.push(e));
    server.gh.ctx.events.on('breaker.closed', (e) => closed.push(e));
    const policy = server.gh.services.resilience.redis;

    let before = commands.count();
    assert.equal(await token(server), 401);
    assert.ok(commands.count() > before, 'a limit check is a Redis command while Redis is up');
    assert.equal(server.gh.services.rateLimitBackend(), 'redis');

    await r.stop();
    await until('the redis breaker to open', async () => (await token(server), opened.length > 0));
    assert.deepEqual(
      opened.map((e) => e.dependency),
      ['redis'],
    );
    assert.equal(policy.state, 'open');
    assert.equal(server.gh.services.rateLimitBackend(), 'memory');

    before = commands.count();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push(await token(server));
    assert.deepEqual(statuses, [401, 401, 401, 401, 401], 'served, limits counted in memory');
    assert.equal(commands.count(), before, 'no command was handed to the Redis client while the breaker is open');

    const probe = await ready(server);
    assert.equal(probe.status, 200, 'Redis has a fallback: the instance stays ready');
    assert.equal(probe.body.checks.breakers, 'degraded');
    assert.equal(probe.body.breakers?.['redis'], 'open');

    await assert.rejects(
      server.gh.services.ports.rateLimiter.resetPrefix('login:'),
      (e: unknown) => e instanceof GatehouseError && e.code === 'GH_STORE_UNAVAILABLE',
      'an operator reset fails while Redis is out',
    );
    assert.equal(commands.count(), before);
    assert.equal(policy.state, 'open', 'still within the cool-down');

    await r.start();
    // No traffic: after the reconnect the limiter's PING is the half-open probe.
    await until('the redis breaker to close', () => closed.length > 0);
    assert.deepEqual(closed, [{ dependency: 'redis' }]);
    assert.equal(opened.length, 1, 'one breaker.opened per outage');
    assert.equal(policy.state, 'closed');
    await until('the limiter to count in Redis again', () => server.gh.services.rateLimitBackend() === 'redis');

    before = commands.count();
    assert.equal(await token(server), 401);
    assert.ok(commands.count() > before, 'limit checks go to Redis again');
    const direct = new Redis(r.url);
    try {
      assert.ok((await direct.keys(`${keyPrefix}rl:*`)).length > 0, 'the counts are in the restarted Redis');
    } finally {
      direct.disconnect();
    }
    const back = await ready(server);
    assert.equal(back.status, 200);
    assert.equal(back.body.checks.breakers, 'ok');
    assert.equal(back.body.breakers, undefined);
  });
});

describe('replay cache under the redis breaker', async () => {
  const r = await privateRedis();
  if ('skip' in r) {
    test('skipped', { skip: r.skip }, () => {});
    return;
  }
  const commands = countCommands(r.port);
  const conn = await openRedis({ url: r.url, connectTimeoutMs: 500, commandTimeoutMs: 200 });
  after(async () => {
    commands.restore();
    await conn.close();
    await r.stop();
  });

  test('while the breaker is open the store alone decides and Redis is not asked', async () => {
    assert.equal(await conn.waitReady(2000), true);
    const events = new EventBus();
    const opened: EventMap['breaker.opened'][] = [];
    events.on('breaker.opened', (e) => opened.push(e));
    const resilience = resilienceSchema.parse({ redis: { breaker: { ...BREAKER, halfOpenAfterMs: 60_000 } } });
    const { redis: policy } = createResilience({ resilience }, { events, log: () => {} });
    const failures: unknown[] = [];
    const cache = new RedisReplayCache({
      redis: conn,
      policy,
      store: new MemoryReplayCache(systemClock),
      keyPrefix: testKeyPrefix(),
      onError: (e) => failures.push(e),
    });
    const exp = Math.floor(Date.now() / 1000) + 60;
    assert.equal(await cache.useOnce('a', exp), true);
    assert.equal(await cache.useOnce('a', exp), false, 'refused by Redis');

    await r.stop();
    await until('the connection to drop', () => !conn.ready());
    assert.equal(await cache.useOnce('b', exp), true, 'the store decides');
    assert.equal(await cache.useOnce('a', exp), false, 'the store remembers a');
    assert.equal(policy.state, 'open');
    assert.deepEqual(
      opened.map((e) => e.dependency),
      ['redis'],
    );
    const before = commands.count();
    assert.equal(await cache.useOnce('b', exp), false, 'replay refused by the store');
    assert.equal(await cache.useOnce('c', exp), true);
    assert.equal(commands.count(), before, 'no command handed to the Redis client while the breaker is open');
    assert.ok(failures.length >= 4);
  });
});

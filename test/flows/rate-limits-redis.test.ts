/**
 * Rate limits on Redis (`GATEHOUSE_REDIS_URL`, docs/operations.md "Rate limits"), over HTTP:
 * - two instances share one budget (the shared Redis, a random key prefix per run);
 * - `users unlock` run by another composition (what the CLI does) clears the sign-in counters a
 *   running server uses;
 * - a private redis-server stopped mid-test: limits keep working from per-instance memory, the
 *   server says so (`rate_limit.backend_changed`, once per transition; `rateLimitBackend()`), and
 *   counting goes back to Redis once it is up again.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { buildConfig } from '../../src/config/load.ts';
import { compose } from '../../src/compose.ts';
import type { EventMap } from '../../src/core/events.ts';
import { LOGIN_THROTTLED } from '../../src/http/pages/login-page.ts';
import { EN } from '../../src/http/pages/messages/en.ts';
import { createTestUser } from '../support/oidc.ts';
import { deletePrefix, privateRedis, sharedRedis, testKeyPrefix, testRedisUrl } from '../support/redis.ts';
import { fixedClock, startTestServer, type TestServer } from '../support/server.ts';
import { UserAgent, type Outcome, type Page } from '../support/user-agent.ts';

async function token(s: TestServer): Promise<number> {
  const res = await fetch(`${s.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  await res.arrayBuffer();
  return res.status;
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('shared Redis', async () => {
  const probe = await sharedRedis();
  if ('skip' in probe) {
    test('skipped', { skip: probe.skip }, () => {});
    return;
  }
  const redis = probe.client;
  const keyPrefix = testKeyPrefix();
  const servers: TestServer[] = [];
  const dirs: string[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await deletePrefix(redis, keyPrefix);
    redis.disconnect();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  test('two instances count one budget: the per-address limit holds across them', async () => {
    const clock = fixedClock();
    const overrides = { redis: { url: testRedisUrl(), keyPrefix }, rateLimits: { token: { perAddress: 3, perClient: 0 } } };
    const a = await startTestServer(overrides, { clock });
    const b = await startTestServer(overrides, { clock });
    servers.push(a, b);
    assert.equal(a.gh.services.rateLimitBackend(), 'redis');
    assert.deepEqual([await token(a), await token(b), await token(a)], [401, 401, 401]);
    assert.equal(await token(b), 429, 'the fourth request, on the other instance, is over the shared budget');
    assert.equal(await token(a), 429);
    assert.ok((await redis.keys(`${keyPrefix}rl:*`)).length > 0, 'the counts are in Redis');
  });

  test('users unlock from another process clears the sign-in counters the running server uses (NIST SP 800-63B §5.2.2)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gh-rl-unlock-'));
    dirs.push(dir);
    const overrides = {
      database: { url: `sqlite:${join(dir, 'gh.db')}` },
      redis: { url: testRedisUrl(), keyPrefix },
      login: { userAddressMaxAttempts: 2, userDelayStart: 0, userDelayMax: 0 },
    };
    const s = await startTestServer(overrides);
    servers.push(s);
    const user = await createTestUser(s.gh);
    const page = (o: Outcome): Page => (o.kind === 'page' ? o.page : assert.fail(`expected a page, got ${o.kind}`));
    const attempt = async (password: string) => {
      const ua = new UserAgent(s.url);
      const form = page(await ua.navigate(`${s.url}/login?return_to=${encodeURIComponent('/device')}`));
      return page(await ua.login(form, user.username, password));
    };
    await attempt('wrong-1');
    await attempt('wrong-2');
    const locked = await attempt(user.password);
    assert.equal(locked.status, 429);
    assert.ok(locked.text.includes(EN[LOGIN_THROTTLED]), 'the right password is refused while the pair is locked');

    // What `gatehouse users unlock` does: its own composition (same config, keys only loaded), the use case.
    const cli = await compose(buildConfig({ ...overrides, issuer: s.url, kek: s.gh.services.config.kek, log: { level: 'silent' } }), {
      keys: 'load',
      notice: () => {},
    });
    try {
      const r = (await cli.application.run('users.unlock', { kind: 'cli', id: 'test', roles: ['admin'] }, { user: user.username })) as {
        counters_cleared: number;
      };
      assert.ok(r.counters_cleared >= 1, `counters cleared: ${r.counters_cleared}`);
    } finally {
      await cli.close();
    }
    const unlocked = await attempt(user.password);
    assert.equal(unlocked.status, 200, 'the running server sees the cleared counters');
  });
});

describe('Redis outage: fallback to per-instance memory and back', async () => {
  const r = await privateRedis();
  if ('skip' in r) {
    test('skipped', { skip: r.skip }, () => {});
    return;
  }
  let s: TestServer | undefined;
  after(async () => {
    await s?.close();
    await r.stop();
  });

  test('limits keep working from memory while Redis is down, say so once per transition, and go back to Redis', async () => {
    const keyPrefix = testKeyPrefix();
    s = await startTestServer(
      { redis: { url: r.url, keyPrefix, commandTimeoutMs: 200 }, rateLimits: { token: { perAddress: 3, perClient: 0 } } },
      { clock: fixedClock() },
    );
    const changes: EventMap['rate_limit.backend_changed'][] = [];
    s.gh.ctx.events.on('rate_limit.backend_changed', (e) => changes.push(e));
    const gh = s.gh;
    const logs: string[] = [];
    gh.services.setLog((level, message) => logs.push(`${level} ${message}`));
    assert.equal(gh.services.rateLimitBackend(), 'redis');
    assert.deepEqual([await token(s), await token(s)], [401, 401]);

    await r.stop();
    await until('the limiter to notice the outage', async () => (await token(s!), gh.services.rateLimitBackend() === 'memory'));
    assert.equal(changes.length, 1);
    assert.equal(changes[0]!.state, 'degraded');
    assert.equal(changes[0]!.backend, 'redis');
    // Memory counts from zero (the request that noticed the outage may have been the first).
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push(await token(s));
    assert.ok(statuses.includes(429), `the limit still holds from memory: ${statuses.join(',')}`);
    assert.equal(statuses.filter((x) => x === 401).length <= 3, true);
    assert.equal(changes.length, 1, 'one event per transition, not per request');
    const scrape = await (await fetch(`${s.url}/metrics`)).text();
    assert.match(scrape, /^gatehouse_rate_limit_backend\{backend="memory"\} 1$/m, 'the metric says so');
    assert.match(scrape, /^gatehouse_rate_limit_backend\{backend="redis"\} 0$/m);

    await r.start();
    await until('the limiter to use Redis again', () => gh.services.rateLimitBackend() === 'redis', 15_000);
    assert.deepEqual(
      changes.map((c) => c.state),
      ['degraded', 'restored'],
    );
    const limiterLogs = logs.filter((l) => l.includes('rate limits:'));
    assert.equal(limiterLogs.length, 2, limiterLogs.join('\n'));
    assert.match(limiterLogs[0]!, /^warn rate limits: Redis unreachable .*counting per instance in memory/);
    assert.match(limiterLogs[1]!, /^info rate limits: Redis reachable again; counting in Redis/);
    // The fresh redis-server holds nothing: the budget counts again, in Redis.
    assert.deepEqual([await token(s), await token(s), await token(s), await token(s)], [401, 401, 401, 429]);
    const direct = new Redis(r.url);
    try {
      assert.ok((await direct.keys(`${keyPrefix}rl:*`)).length > 0, 'the counts are in Redis again');
    } finally {
      direct.disconnect();
    }
  });
});

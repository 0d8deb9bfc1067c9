import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { GatehouseError } from '../core/errors.ts';
import { renderConfigDocs } from './docs.ts';
import { buildConfig, loadConfig } from './load.ts';

const STRONG_KEK = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 1)).toString('base64');

function problems(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof GatehouseError);
    assert.equal(e.code, 'GH_CONFIG_INVALID');
    return e.message;
  }
  assert.fail('expected GH_CONFIG_INVALID');
}

test('S8 defaults validate and the result is deeply frozen', () => {
  const c = buildConfig({});
  assert.equal(c.env, 'development');
  assert.equal(c.tokens.accessTokenFormat, 'jwt');
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.tokens) && Object.isFrozen(c.keys.algorithms));
});

test('S8 every problem is reported with its dotted path', () => {
  const msg = problems(() => buildConfig({ port: -1, tokens: { accessTokenTtl: 0 }, bogus: true } as never));
  assert.match(msg, /port:/);
  assert.match(msg, /tokens\.accessTokenTtl:/);
  assert.match(msg, /bogus/);
});

test('production refuses a missing or weak KEK', () => {
  assert.match(
    problems(() => buildConfig({ env: 'production', issuer: 'https://id.example.com' })),
    /kek:/,
  );
  const weak = Buffer.alloc(32, 1).toString('base64');
  assert.match(
    problems(() => buildConfig({ env: 'production', issuer: 'https://id.example.com', kek: weak })),
    /kek:/,
  );
});

test('production refuses a non-loopback http issuer but allows loopback', () => {
  assert.match(
    problems(() => buildConfig({ env: 'production', issuer: 'http://id.example.com', kek: STRONG_KEK })),
    /issuer:/,
  );
  assert.equal(buildConfig({ env: 'production', issuer: 'http://127.0.0.1:8080', kek: STRONG_KEK }).env, 'production');
});

test('production refuses guessable secrets by estimated entropy, not a word list; padding adds nothing', () => {
  const base = { env: 'production', issuer: 'https://id.example.com', kek: STRONG_KEK } as const;
  for (const weak of ['changeme'.repeat(8), 'a'.repeat(64), 'Tr0ub4dor&3'.repeat(5), randomBytes(16).toString('hex')]) {
    assert.match(
      problems(() => buildConfig({ ...base, registration: { enabled: true, initialAccessTokens: [randomBytes(32).toString('base64'), weak] } })),
      /registration\.initialAccessTokens\.1:/,
      weak,
    );
  }
  assert.match(
    problems(() => buildConfig({ ...base, registration: { initialAccessTokens: ['placeholder-token-123'] } })),
    /registration\.initialAccessTokens\.0/,
  );
  for (let i = 0; i < 20; i++) {
    const strong = randomBytes(32).toString(i % 2 ? 'base64' : 'base64url');
    assert.deepEqual(buildConfig({ ...base, registration: { initialAccessTokens: [strong] } }).registration.initialAccessTokens, [strong]);
  }
  // KEK: the decoded bytes are estimated the same way (a repeated word base64-encoded is refused).
  const paddedKek = Buffer.from('changeme'.repeat(4)).toString('base64');
  assert.match(
    problems(() => buildConfig({ ...base, kek: paddedKek })),
    /kek: production needs a strong/,
  );
});

test('production refuses a missing issuer and the in-memory store, naming the fix', async () => {
  const msg = problems(() => buildConfig({ env: 'production', kek: STRONG_KEK, database: { url: 'memory:' } }));
  assert.match(msg, /issuer: production needs an explicit issuer \(GATEHOUSE_ISSUER\)/);
  assert.match(msg, /database\.url: production refuses the in-memory store \(memory:\).*GATEHOUSE_DATABASE_URL/);
  assert.match(
    problems(() => buildConfig({ env: 'production', issuer: 'https://id.example.com', kek: STRONG_KEK, database: { url: 'sqlite::memory:' } })),
    /database\.url:/,
  );
  // Through the environment: the port no longer stands in for the issuer in production.
  await assert.rejects(
    loadConfig({ env: { GATEHOUSE_ENV: 'production', GATEHOUSE_PORT: '9300', GATEHOUSE_KEK: STRONG_KEK } }),
    /issuer: production needs an explicit issuer/,
  );
  const ok = await loadConfig({ env: { GATEHOUSE_ENV: 'production', GATEHOUSE_ISSUER: 'https://id.example.com', GATEHOUSE_KEK: STRONG_KEK } });
  assert.equal(ok.issuer, 'https://id.example.com');
  // Development still derives it.
  assert.equal((await loadConfig({ env: { GATEHOUSE_PORT: '9300' } })).issuer, 'http://localhost:9300');
});

test('production warns loudly about open registration (enabled without an initial access token)', async () => {
  const warnings: string[] = [];
  const env = { GATEHOUSE_ENV: 'production', GATEHOUSE_ISSUER: 'https://id.example.com', GATEHOUSE_KEK: STRONG_KEK, GATEHOUSE_REGISTRATION_ENABLED: 'true' };
  await loadConfig({ env, warn: (w) => warnings.push(w) });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /^warning: registration\.enabled: OPEN dynamic client registration/);
  const none: string[] = [];
  await loadConfig({ env: { ...env, GATEHOUSE_REGISTRATION_INITIAL_ACCESS_TOKEN: randomBytes(32).toString('base64url') }, warn: (w) => none.push(w) });
  assert.deepEqual(none, []);
});

test('S19 outbound.allowHosts: production refuses loopback entries with GH_CONFIG_INVALID; malformed entries are named', () => {
  const base = { env: 'production', issuer: 'https://id.example.com', kek: STRONG_KEK } as const;
  for (const entry of ['127.0.0.1', '127.0.0.0/8', 'localhost', 'api.localhost', '::1', '[::1]', '::ffff:127.0.0.1', '0.0.0.0', '0.0.0.0/0', '::/0']) {
    assert.match(
      problems(() => buildConfig({ ...base, outbound: { allowHosts: ['keys.internal.example', entry] } })),
      /outbound\.allowHosts\.1: production refuses a loopback/,
      entry,
    );
  }
  const ok = buildConfig({ ...base, outbound: { allowHosts: ['keys.internal.example', '10.0.0.0/8', 'fd00::/8', '128.0.0.0/1'] } });
  assert.deepEqual(ok.outbound.allowHosts, ['keys.internal.example', '10.0.0.0/8', 'fd00::/8', '128.0.0.0/1']);
  assert.deepEqual(buildConfig({ outbound: { allowHosts: ['127.0.0.1', 'localhost'] } }).outbound.allowHosts, ['127.0.0.1', 'localhost']);
  for (const bad of ['http://keys.example', '10.0.0.0/33', '127.1', 'a b', '10.0.0.0/8/1']) {
    assert.match(
      problems(() => buildConfig({ outbound: { allowHosts: [bad] } })),
      /outbound\.allowHosts\.0: must be a hostname/,
      bad,
    );
  }
});

test('RFC 8414 §2 issuer must not carry a query or fragment', () => {
  assert.match(
    problems(() => buildConfig({ issuer: 'https://id.example.com/?x=1' })),
    /issuer:/,
  );
});

test('key grace period must cover the longest token lifetime', () => {
  assert.match(
    problems(() => buildConfig({ keys: { gracePeriod: 10 } })),
    /keys\.gracePeriod/,
  );
});

test('GATEHOUSE_* environment overrides the config file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gh-config-'));
  const file = join(dir, 'gatehouse.yaml');
  await writeFile(file, 'port: 9000\ntokens:\n  accessTokenFormat: opaque\n');
  const c = await loadConfig({ file, env: { GATEHOUSE_PORT: '9100', GATEHOUSE_CORS_ORIGINS: 'https://a.example, https://b.example' } });
  assert.equal(c.port, 9100);
  assert.equal(c.tokens.accessTokenFormat, 'opaque');
  assert.deepEqual(c.cors.origins, ['https://a.example', 'https://b.example']);
});

test('an unreadable or malformed config file is a clear GH_CONFIG_INVALID', async () => {
  await assert.rejects(loadConfig({ file: '/nonexistent/gatehouse.json', env: {} }), /GH_CONFIG_INVALID|cannot read/);
  const dir = await mkdtemp(join(tmpdir(), 'gh-config-'));
  const file = join(dir, 'bad.json');
  await writeFile(file, '{ not json');
  await assert.rejects(loadConfig({ file, env: {} }), (e: unknown) => e instanceof GatehouseError && e.code === 'GH_CONFIG_INVALID');
});

test('docs/config.md is generated from the schema and up to date', async () => {
  const onDisk = await readFile(new URL('../../docs/config.md', import.meta.url), 'utf8');
  assert.equal(onDisk, renderConfigDocs(), 'run `npm run docs:config`');
});

test('without an issuer, the default follows the configured port', async () => {
  assert.equal((await loadConfig({ env: { GATEHOUSE_PORT: '9200' } })).issuer, 'http://localhost:9200');
  assert.equal((await loadConfig({ env: { GATEHOUSE_PORT: '9200', GATEHOUSE_ISSUER: 'https://id.example.com' } })).issuer, 'https://id.example.com');
});

test('environment booleans accept true/false, 1/0 and yes/no in any case; anything else names the variable', async () => {
  for (const [v, want] of [
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['Yes', true],
    ['false', false],
    ['False', false],
    ['0', false],
    ['no', false],
    ['NO', false],
  ] as const) {
    const c = await loadConfig({ env: { GATEHOUSE_METRICS_ENABLED: v, GATEHOUSE_REGISTRATION_ENABLED: v } });
    assert.equal(c.metrics.enabled, want, v);
    assert.equal(c.registration.enabled, want, v);
  }
  await assert.rejects(
    loadConfig({ env: { GATEHOUSE_METRICS_ENABLED: 'maybe' } }),
    /GATEHOUSE_METRICS_ENABLED \(metrics\.enabled\): must be true\/false, 1\/0 or yes\/no/,
  );
});

test('GATEHOUSE_TRUST_PROXY: false (default), true (kept), a hop count, or a comma list of proxy addresses / CIDR ranges', async () => {
  assert.equal((await loadConfig({ env: {} })).http.trustProxy, false);
  for (const [v, want] of [
    ['false', false],
    ['no', false],
    ['0', false],
    ['true', true],
    ['YES', true],
    ['1', 1],
    ['2', 2],
    ['10.0.0.0/8, 192.168.1.1 ,fd00::/8', ['10.0.0.0/8', '192.168.1.1', 'fd00::/8']],
  ] as const) {
    assert.deepEqual((await loadConfig({ env: { GATEHOUSE_TRUST_PROXY: v } })).http.trustProxy, want, v);
  }
  for (const bad of ['maybe', '10.0.0.0/33', '10.0.0.0/8,proxy.local']) {
    await assert.rejects(
      loadConfig({ env: { GATEHOUSE_TRUST_PROXY: bad } }),
      /GATEHOUSE_TRUST_PROXY \(http\.trustProxy\): must be false\/true, a hop count, or a comma list of proxy addresses \/ CIDR ranges/,
    );
  }
  assert.match(
    problems(() => buildConfig({ http: { trustProxy: ['10.0.0.0/8', 'x'] } })),
    /http\.trustProxy/,
  );
  assert.deepEqual(buildConfig({ http: { trustProxy: 1 } }).http.trustProxy, 1);
});

test('RFC 6454 §6.1: CORS origins must be serialised origins; the right form is shown', async () => {
  assert.match(
    problems(() => buildConfig({ cors: { origins: ['example.com'] } })),
    /cors\.origins\.0: "example\.com" is not an origin: write the scheme and host, e\.g\. https:\/\/example\.com/,
  );
  assert.match(
    problems(() => buildConfig({ cors: { origins: ['https://ok.example', '*'] } })),
    /cors\.origins\.1: "\*" is not allowed: list each origin.*https:\/\//,
  );
  assert.match(
    problems(() => buildConfig({ cors: { origins: ['https://app.example.com/'] } })),
    /cors\.origins\.0: .*write https:\/\/app\.example\.com$/m,
  );
  assert.match(
    problems(() => buildConfig({ cors: { origins: ['https://app.example.com/path'] } })),
    /write https:\/\/app\.example\.com$/m,
  );
  assert.match(
    problems(() => buildConfig({ cors: { origins: ['ftp://files.example'] } })),
    /cors\.origins\.0: "ftp:\/\/files\.example" is not an origin/,
  );
  await assert.rejects(loadConfig({ env: { GATEHOUSE_CORS_ORIGINS: 'https://a.example, example.com' } }), /cors\.origins\.1: "example\.com"/);
  assert.deepEqual(buildConfig({ cors: { origins: ['https://a.example', 'http://localhost:3000'] } }).cors.origins, [
    'https://a.example',
    'http://localhost:3000',
  ]);
});

test('an unknown GATEHOUSE_* variable is a warning naming the closest known one; GATEHOUSE_TEST_* is exempt', async () => {
  const warnings: string[] = [];
  await loadConfig({
    env: {
      GATEHOUSE_PROT: '9000',
      GATEHOUSE_DATABSE_URL: 'sqlite:x.db',
      GATEHOUSE_TEST_REQUIRE_BACKENDS: '1',
      GATEHOUSE_WHATEVER_ELSE_ENTIRELY: 'x',
      OTHER: 'y',
    },
    warn: (w) => warnings.push(w),
  });
  assert.deepEqual(warnings, [
    'warning: GATEHOUSE_DATABSE_URL is not a Gatehouse variable and is ignored; did you mean GATEHOUSE_DATABASE_URL? (docs/config.md lists them)',
    'warning: GATEHOUSE_PROT is not a Gatehouse variable and is ignored; did you mean GATEHOUSE_PORT? (docs/config.md lists them)',
    'warning: GATEHOUSE_WHATEVER_ELSE_ENTIRELY is not a Gatehouse variable and is ignored (docs/config.md lists them)',
  ]);
});

test('deployment settings have variables: trust proxy, pool size, body limit, shutdown grace, metrics, outbound allow-list, purge interval', async () => {
  const c = await loadConfig({
    env: {
      GATEHOUSE_TRUST_PROXY: 'yes',
      GATEHOUSE_DATABASE_POOL_SIZE: '25',
      GATEHOUSE_HTTP_BODY_LIMIT: '131072',
      GATEHOUSE_SHUTDOWN_GRACE: '20',
      GATEHOUSE_METRICS_ENABLED: 'no',
      GATEHOUSE_OUTBOUND_ALLOW_HOSTS: 'keys.internal.example, 10.0.0.0/8',
      GATEHOUSE_PURGE_INTERVAL: '60',
    },
  });
  assert.equal(c.http.trustProxy, true);
  assert.equal(c.database.poolSize, 25);
  assert.equal(c.http.bodyLimit, 131072);
  assert.equal(c.http.shutdownGrace, 20);
  assert.equal(c.metrics.enabled, false);
  assert.deepEqual(c.outbound.allowHosts, ['keys.internal.example', '10.0.0.0/8']);
  assert.equal(c.maintenance.purgeInterval, 60);
});

test('one bad variable does not cascade into errors about values derived from it', async () => {
  const big = problemsAsync(loadConfig({ env: { GATEHOUSE_PORT: '70000' } }));
  assert.match(await big, /port:/);
  assert.doesNotMatch(await big, /issuer/);
  const text = await problemsAsync(loadConfig({ env: { GATEHOUSE_PORT: 'eighty', GATEHOUSE_ACCESS_TOKEN_TTL: '0' } }));
  assert.match(text, /GATEHOUSE_PORT \(port\): must be a whole number/);
  assert.match(text, /tokens\.accessTokenTtl:/, 'other problems are still reported');
  assert.doesNotMatch(text, /issuer/);
});

async function problemsAsync(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof GatehouseError && e.code === 'GH_CONFIG_INVALID');
    return e.message;
  }
  assert.fail('expected GH_CONFIG_INVALID');
}

test('GATEHOUSE_REDIS_URL sets redis.url (redis:// or rediss://, db in the path); unset, limits stay in memory', async () => {
  assert.equal((await loadConfig({ env: {} })).redis.url, undefined);
  assert.equal((await loadConfig({ env: { GATEHOUSE_REDIS_URL: 'rediss://cache.internal:6380/2' } })).redis.url, 'rediss://cache.internal:6380/2');
  await assert.rejects(loadConfig({ env: { GATEHOUSE_REDIS_URL: 'http://cache.internal' } }), /redis\.url: must start with redis:\/\/ or rediss:\/\//);
  assert.equal((await loadConfig({ env: { GATEHOUSE_RATE_LIMITS_ENABLED: 'false' } })).rateLimits.enabled, false);
});

test('kekPrevious (GATEHOUSE_KEK_PREVIOUS, comma-separated): each entry must be a 32-byte key, and it needs kek', async () => {
  const other = randomBytes(32).toString('base64');
  const c = await loadConfig({ env: { GATEHOUSE_KEK: STRONG_KEK, GATEHOUSE_KEK_PREVIOUS: `${other}, ${STRONG_KEK}` } });
  assert.deepEqual(c.kekPrevious, [other, STRONG_KEK]);
  assert.match(
    problems(() => buildConfig({ kek: STRONG_KEK, kekPrevious: [other, 'short'] })),
    /kekPrevious\.1: must be 32 bytes/,
  );
  assert.match(
    problems(() => buildConfig({ kekPrevious: [other] })),
    /kekPrevious: needs kek/,
  );
});

test('audit.headInterval and audit.retentionDays: defaults 300 s and 0 (keep forever); negative refused', () => {
  assert.deepEqual(buildConfig({}).audit, { headInterval: 300, retentionDays: 0 });
  assert.match(
    problems(() => buildConfig({ audit: { retentionDays: -1 } })),
    /audit\.retentionDays/,
  );
});

test('GATEHOUSE_WORKERS: auto or a whole number; several workers need a shared store', async () => {
  assert.equal(buildConfig({}).workers, 1, 'default: one process, no cluster');
  assert.equal((await loadConfig({ env: { GATEHOUSE_WORKERS: 'auto' } })).workers, 'auto');
  assert.equal((await loadConfig({ env: { GATEHOUSE_WORKERS: 'AUTO' } })).workers, 'auto');
  assert.equal((await loadConfig({ env: { GATEHOUSE_WORKERS: '4' } })).workers, 4);
  assert.match(
    await loadConfig({ env: { GATEHOUSE_WORKERS: 'many' } }).then(
      () => '',
      (e: Error) => e.message,
    ),
    /GATEHOUSE_WORKERS \(workers\): must be a whole number/,
  );
  assert.match(
    problems(() => buildConfig({ workers: 0 })),
    /workers/,
  );
  assert.match(
    problems(() => buildConfig({ workers: 2, database: { url: 'memory:' } })),
    /workers: several worker processes need a shared store; memory: lives in one process/,
  );
  assert.equal(buildConfig({ workers: 'auto', database: { url: 'sqlite:/tmp/x.db' } }).workers, 'auto');
});

test('the retired static admin token is a clear start-up error (env, _FILE or config file) naming what replaces it', async () => {
  for (const env of [{ GATEHOUSE_ADMIN_TOKEN: randomBytes(32).toString('base64') }, { GATEHOUSE_ADMIN_TOKEN_FILE: '/run/secrets/admin-token' }]) {
    await assert.rejects(loadConfig({ env }), (e: unknown) => {
      assert.ok(e instanceof GatehouseError && e.code === 'GH_CONFIG_INVALID');
      assert.match(e.message, /GATEHOUSE_ADMIN_TOKEN(_FILE)?: the static admin token was removed.*gatehouse:admin.*gatehouse clients create/);
      return true;
    });
  }
  assert.match(
    problems(() => buildConfig({ adminToken: 'x'.repeat(48) } as never)),
    /adminToken: the static admin token was removed/,
  );
});

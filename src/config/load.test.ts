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
  try { fn(); } catch (e) {
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
  assert.match(problems(() => buildConfig({ env: 'production', issuer: 'https://id.example.com' })), /kek:/);
  const weak = Buffer.alloc(32, 1).toString('base64');
  assert.match(problems(() => buildConfig({ env: 'production', issuer: 'https://id.example.com', kek: weak })), /kek:/);
});

test('production refuses a non-loopback http issuer but allows loopback', () => {
  assert.match(problems(() => buildConfig({ env: 'production', issuer: 'http://id.example.com', kek: STRONG_KEK })), /issuer:/);
  assert.equal(buildConfig({ env: 'production', issuer: 'http://127.0.0.1:8080', kek: STRONG_KEK }).env, 'production');
});

test('production refuses guessable secrets by estimated entropy, not a word list; padding adds nothing', () => {
  const base = { env: 'production', issuer: 'https://id.example.com', kek: STRONG_KEK } as const;
  assert.match(problems(() => buildConfig({ ...base, adminToken: 'changeme' })), /adminToken:/);
  for (const weak of ['changeme'.repeat(8), 'a'.repeat(64), 'Tr0ub4dor&3'.repeat(5), randomBytes(16).toString('hex')]) {
    assert.match(problems(() => buildConfig({ ...base, adminToken: weak })), /adminToken: production refuses a guessable admin token.*128 bits/, weak);
    assert.match(problems(() => buildConfig({ ...base, registration: { enabled: true, initialAccessTokens: [randomBytes(32).toString('base64'), weak] } })), /registration\.initialAccessTokens\.1:/, weak);
  }
  assert.match(problems(() => buildConfig({ ...base, registration: { initialAccessTokens: ['placeholder-token-123'] } })), /registration\.initialAccessTokens\.0/);
  for (let i = 0; i < 20; i++) {
    const strong = randomBytes(32).toString(i % 2 ? 'base64' : 'base64url');
    assert.equal(buildConfig({ ...base, adminToken: strong, registration: { initialAccessTokens: [randomBytes(32).toString('hex')] } }).adminToken, strong);
  }
  // KEK: the decoded bytes are estimated the same way (a repeated word base64-encoded is refused).
  const paddedKek = Buffer.from('changeme'.repeat(4)).toString('base64');
  assert.match(problems(() => buildConfig({ ...base, kek: paddedKek })), /kek: production needs a strong/);
});

test('production refuses a missing issuer and the in-memory store, naming the fix', async () => {
  const msg = problems(() => buildConfig({ env: 'production', kek: STRONG_KEK, database: { url: 'memory:' } }));
  assert.match(msg, /issuer: production needs an explicit issuer \(GATEHOUSE_ISSUER\)/);
  assert.match(msg, /database\.url: production refuses the in-memory store \(memory:\).*GATEHOUSE_DATABASE_URL/);
  assert.match(problems(() => buildConfig({ env: 'production', issuer: 'https://id.example.com', kek: STRONG_KEK, database: { url: 'sqlite::memory:' } })), /database\.url:/);
  // Through the environment: the port no longer stands in for the issuer in production.
  await assert.rejects(loadConfig({ env: { GATEHOUSE_ENV: 'production', GATEHOUSE_PORT: '9300', GATEHOUSE_KEK: STRONG_KEK } }), /issuer: production needs an explicit issuer/);
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
    assert.match(problems(() => buildConfig({ ...base, outbound: { allowHosts: ['keys.internal.example', entry] } })), /outbound\.allowHosts\.1: production refuses a loopback/, entry);
  }
  const ok = buildConfig({ ...base, outbound: { allowHosts: ['keys.internal.example', '10.0.0.0/8', 'fd00::/8', '128.0.0.0/1'] } });
  assert.deepEqual(ok.outbound.allowHosts, ['keys.internal.example', '10.0.0.0/8', 'fd00::/8', '128.0.0.0/1']);
  assert.deepEqual(buildConfig({ outbound: { allowHosts: ['127.0.0.1', 'localhost'] } }).outbound.allowHosts, ['127.0.0.1', 'localhost']);
  for (const bad of ['http://keys.example', '10.0.0.0/33', '127.1', 'a b', '10.0.0.0/8/1']) {
    assert.match(problems(() => buildConfig({ outbound: { allowHosts: [bad] } })), /outbound\.allowHosts\.0: must be a hostname/, bad);
  }
});

test('RFC 8414 §2 issuer must not carry a query or fragment', () => {
  assert.match(problems(() => buildConfig({ issuer: 'https://id.example.com/?x=1' })), /issuer:/);
});

test('key grace period must cover the longest token lifetime', () => {
  assert.match(problems(() => buildConfig({ keys: { gracePeriod: 10 } })), /keys\.gracePeriod/);
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

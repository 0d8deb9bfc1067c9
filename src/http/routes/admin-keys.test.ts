import { MemoryRateLimiter } from '../../ratelimit/memory-rate-limiter.ts';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { buildConfig } from '../../config/load.ts';
import type { ConfigInput } from '../../config/schema.ts';
import { EventBus } from '../../core/events.ts';
import { KeyManager } from '../../core/keys/key-manager.ts';
import { createApplication } from '../../app/index.ts';
import { createClientService } from '../../core/clients/client-service.ts';
import { createUserService } from '../../core/users/user-service.ts';
import { createBackchannelDelivery } from '../../logout/backchannel-delivery.ts';
import { cheapParamsForTests, createArgon2PasswordHasher } from '../../security/argon2-password-hasher.ts';
import { createMemoryStorage } from '../../storage/memory/memory-storage.ts';
import { testOutbound } from '../../../test/support/outbound.ts';
import { registerErrorHandling } from '../errors.ts';
import { registerAdminKeyRoutes } from './admin-keys.ts';

const ADMIN = 'admin-token-0123456789abcdefghijklmnopqrstuvwxyz';
const apps: FastifyInstance[] = [];
after(() => Promise.all(apps.map((a) => a.close())));

async function makeApp(overrides: ConfigInput = {}) {
  const config = buildConfig({ adminToken: ADMIN, keys: { algorithms: ['ES256', 'EdDSA', 'RS256'] }, ...overrides });
  const storage = createMemoryStorage();
  const keyStore = storage.keyStore;
  const clock = { now: () => 1_700_000_000_000 };
  const events = new EventBus();
  const rotated: unknown[] = [];
  events.on('key.rotated', (e) => rotated.push(e.actor));
  const kek = randomBytes(32);
  const keys = new KeyManager({ keyStore, clock, events, kek, tenantId: 'default' }, config);
  await keys.init();
  // The real application layer: the route acts through keys.rotate (S18).
  const ports = { ...storage, clock, events, random: { bytes: (n: number) => randomBytes(n) }, tenantId: 'default' };
  const application = createApplication({
    ...ports,
    keys,
    logoutNotifier: createBackchannelDelivery({ events, clock, http: testOutbound() }, { timeoutMs: 1000, retries: 0 }),
    config,
    userService: createUserService({ ...ports, passwordHasher: createArgon2PasswordHasher({ params: cheapParamsForTests }) }),
    clientService: createClientService({ ...ports, kek }),
    rateLimiter: new MemoryRateLimiter(),
  });
  const app = Fastify();
  registerErrorHandling(app, new EventBus());
  await registerAdminKeyRoutes(app, { keys, config, application });
  apps.push(app);
  return { app, keys, keyStore, config, rotated, storage };
}
const auth = { authorization: `Bearer ${ADMIN}` };
type Summary = { kid: string; alg: string; status: string; createdAt: number; activatedAt: number | null; retiresAt: number | null; published: boolean };

const { app, keys, keyStore, rotated, storage } = await makeApp();

test('admin API lists keys with lifecycle fields and no key material', async () => {
  const res = await app.inject({ method: 'GET', url: '/admin/api/keys', headers: auth });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['cache-control'], 'no-store');
  const { keys: list } = res.json() as { keys: Summary[] };
  assert.equal(list.length, 6);
  for (const k of list) {
    assert.deepEqual(Object.keys(k).sort(), ['activatedAt', 'alg', 'createdAt', 'kid', 'published', 'retiresAt', 'status']);
    assert.equal(k.published, true);
  }
  assert.ok(!res.body.includes('v1.'), 'no sealed private key');
  assert.deepEqual(
    list
      .filter((k) => k.status === 'active')
      .map((k) => k.alg)
      .sort(),
    ['ES256', 'EdDSA', 'RS256'],
  );
});

test('RFC 6750 §3.1 a request without a token gets 401 with WWW-Authenticate and no error code', async () => {
  const res = await app.inject({ method: 'GET', url: '/admin/api/keys' });
  assert.equal(res.statusCode, 401);
  assert.equal(res.headers['www-authenticate'], 'Bearer realm="gatehouse-admin"');
  assert.equal((res.json() as { error: string }).error, 'invalid_token');
});

test('RFC 6750 §3.1 a wrong token gets 401 invalid_token, whatever its length or scheme', async () => {
  for (const authorization of [
    `Bearer ${ADMIN}x`,
    'Bearer short',
    `Basic ${Buffer.from(`admin:${ADMIN}`).toString('base64')}`,
    `Bearer ${ADMIN.toUpperCase()}`,
  ]) {
    const res = await app.inject({ method: 'POST', url: '/admin/api/keys/rotate', headers: { authorization } });
    assert.equal(res.statusCode, 401, authorization);
    assert.match(String(res.headers['www-authenticate']), /^Bearer realm="gatehouse-admin"/);
    assert.equal(res.body.includes(ADMIN), false);
  }
  assert.equal((await keyStore.list('default')).filter((k) => k.status === 'retired').length, 0, 'nothing rotated');
});

test('the admin guard runs before the body is parsed', async () => {
  const res = await app.inject({ method: 'POST', url: '/admin/api/keys/rotate', headers: { 'content-type': 'application/json' }, payload: '{bad' });
  assert.equal(res.statusCode, 401);
});

test('RFC 9110 §11.1 the Bearer scheme name is case-insensitive', async () => {
  const res = await app.inject({ method: 'GET', url: '/admin/api/keys', headers: { authorization: `bearer ${ADMIN}` } });
  assert.equal(res.statusCode, 200);
});

test('POST /admin/api/keys/rotate with {"algs":["ES256"]} rotates only ES256', async () => {
  const before = keys.signer('ES256').kid;
  const eddsa = keys.signer('EdDSA').kid;
  const res = await app.inject({ method: 'POST', url: '/admin/api/keys/rotate', headers: auth, payload: { algs: ['ES256'] } });
  assert.deepEqual(rotated, [{ kind: 'admin_client', id: 'admin-token' }], 'S18: rotated through the application layer, as the admin-token actor');
  // The audit record names the admin client and the address it called from.
  const [rec] = await storage.audit.list('default', { action: 'keys.rotate' }, { limit: 5, order: 'desc' });
  assert.deepEqual(
    [rec?.actor, rec?.origin, rec?.outcome, rec?.object],
    [{ kind: 'admin_client', id: 'admin-token' }, '127.0.0.1', 'success', { type: 'signing_key', id: 'ES256' }],
  );
  assert.equal(res.statusCode, 200);
  const { keys: list } = res.json() as { keys: Summary[] };
  const retired = list.filter((k) => k.status === 'retired');
  assert.deepEqual(
    retired.map((k) => [k.alg, k.kid, k.published]),
    [['ES256', before, true]],
  );
  assert.equal(retired[0]!.retiresAt, 1_700_000_000 + 86_400);
  assert.notEqual(keys.signer('ES256').kid, before);
  assert.equal(keys.signer('EdDSA').kid, eddsa);
});

test('POST /admin/api/keys/rotate without a body (or an empty JSON body) rotates every algorithm', async () => {
  const { app: a, keys: k } = await makeApp();
  const before = ['ES256', 'EdDSA', 'RS256'].map((alg) => k.signer(alg as 'ES256').kid);
  const res = await a.inject({ method: 'POST', url: '/admin/api/keys/rotate', headers: auth });
  assert.equal(res.statusCode, 200);
  const after1 = ['ES256', 'EdDSA', 'RS256'].map((alg) => k.signer(alg as 'ES256').kid);
  for (let i = 0; i < 3; i++) assert.notEqual(after1[i], before[i]);
  const empty = await a.inject({ method: 'POST', url: '/admin/api/keys/rotate', headers: { ...auth, 'content-type': 'application/json' }, payload: '' });
  assert.equal(empty.statusCode, 200);
  assert.equal((empty.json() as { keys: Summary[] }).keys.filter((x) => x.status === 'retired').length, 6);
});

test('rotate refuses an unknown or unconfigured algorithm and malformed bodies with 400', async () => {
  for (const payload of ['{"algs":["HS256"]}', '{"algs":["PS256"]}', '{"algs":[]}', '{"algs":"ES256"}', '{"alg":["ES256"]}', '[1]', '{bad']) {
    const res = await app.inject({ method: 'POST', url: '/admin/api/keys/rotate', headers: { ...auth, 'content-type': 'application/json' }, payload });
    assert.equal(res.statusCode, 400, payload);
    assert.equal((res.json() as { error: string }).error, 'invalid_request');
  }
});

test('without adminToken the admin API answers 404', async () => {
  const { app: a } = await makeApp({ adminToken: undefined });
  for (const [method, url] of [
    ['GET', '/admin/api/keys'],
    ['POST', '/admin/api/keys/rotate'],
  ] as const) {
    const res = await a.inject({ method, url, headers: auth });
    assert.equal(res.statusCode, 404);
  }
});

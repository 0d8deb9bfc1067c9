import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { buildConfig } from '../../config/load.ts';
import { EventBus } from '../../core/events.ts';
import { KeyManager } from '../../core/keys/key-manager.ts';
import { createMemoryStorage } from '../../storage/memory/memory-storage.ts';
import { registerErrorHandling } from '../errors.ts';
import { JWKS_CONTENT_TYPE, matchesIfNoneMatch, registerJwksRoute } from './jwks.ts';

const clock = { now: () => 1_700_000_000_000 };
const config = buildConfig({
  issuer: 'http://127.0.0.1',
  keys: { algorithms: ['ES256', 'RS256'], refreshInterval: 30 },
  tokens: { idTokenSigningAlg: 'RS256' },
});
const keys = new KeyManager({ keyStore: createMemoryStorage().keyStore, clock, events: new EventBus(), kek: randomBytes(32), tenantId: 'default' }, config);
await keys.init();
const app = Fastify();
registerErrorHandling(app, new EventBus());
registerJwksRoute(app, { keys, config });
const base = await app.listen({ host: '127.0.0.1', port: 0 });
after(() => app.close());

test('RFC 7517 §5 /jwks.json serves the active and next public keys as a JWK Set', async () => {
  const res = await app.inject({ method: 'GET', url: '/jwks.json' });
  assert.equal(res.statusCode, 200);
  assert.equal(String(res.headers['content-type']).split(';')[0], JWKS_CONTENT_TYPE);
  const body = res.json() as { keys: Record<string, unknown>[] };
  assert.deepEqual(body, JSON.parse(JSON.stringify(keys.jwks())));
  assert.equal(body.keys.length, 4);
  for (const k of body.keys) {
    assert.equal(k.use, 'sig');
    assert.ok(k.kid && k.alg);
    for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(m in k, false);
  }
});

test('RFC 9111 §5.2.2.1 JWKS caching is bounded by keys.refreshInterval, with a strong ETag', async () => {
  const res = await app.inject({ method: 'GET', url: '/jwks.json' });
  assert.equal(res.headers['cache-control'], 'public, max-age=30');
  assert.match(String(res.headers.etag), /^"[\w-]{43}"$/);
});

test('RFC 9110 §13.1.2 If-None-Match with the current ETag answers 304 without a body', async () => {
  const first = await app.inject({ method: 'GET', url: '/jwks.json' });
  const etag = String(first.headers.etag);
  const res = await app.inject({ method: 'GET', url: '/jwks.json', headers: { 'if-none-match': `"other", W/${etag}` } });
  assert.equal(res.statusCode, 304);
  assert.equal(res.body, '');
  assert.equal(res.headers.etag, etag);
  const stale = await app.inject({ method: 'GET', url: '/jwks.json', headers: { 'if-none-match': '"stale"' } });
  assert.equal(stale.statusCode, 200);
});

test('RFC 9110 §8.8.3 the ETag changes when the keys rotate', async () => {
  const before = String((await app.inject({ method: 'GET', url: '/jwks.json' })).headers.etag);
  await keys.rotate(['ES256']);
  const res = await app.inject({ method: 'GET', url: '/jwks.json', headers: { 'if-none-match': before } });
  assert.equal(res.statusCode, 200);
  assert.notEqual(res.headers.etag, before);
  assert.equal((res.json() as { keys: unknown[] }).keys.length, 5, 'the retired key stays during its grace period');
});

test('matchesIfNoneMatch follows RFC 9110 §13.1.2 (weak comparison, lists, *)', () => {
  assert.equal(matchesIfNoneMatch(undefined, '"a"'), false);
  assert.equal(matchesIfNoneMatch('*', '"a"'), true);
  assert.equal(matchesIfNoneMatch('"b", "a"', '"a"'), true);
  assert.equal(matchesIfNoneMatch('W/"a"', '"a"'), true);
  assert.equal(matchesIfNoneMatch('"ab"', '"a"'), false);
});

test('RFC 9068 §4 oauth4webapi validates an access token against our jwks_uri over HTTP', async () => {
  const as: oauth.AuthorizationServer = { issuer: 'http://127.0.0.1', jwks_uri: `${base}/jwks.json` };
  const iat = Math.floor(Date.now() / 1000);
  const token = keys
    .signer('ES256')
    .sign({ iss: as.issuer, sub: 'svc', aud: 'https://api.example', client_id: 'svc', iat, exp: iat + 300, jti: randomUUID() }, 'at+jwt');
  const request = new Request('https://api.example/x', { headers: { authorization: `Bearer ${token}` } });
  const claims = await oauth.validateJwtAccessToken(as, request, 'https://api.example', { [oauth.allowInsecureRequests]: true });
  assert.equal(claims.client_id, 'svc');
});

test('RFC 7517 §5 jose createRemoteJWKSet verifies an RS256 ID token from our jwks_uri', async () => {
  const token = keys.signer('RS256').sign({ iss: 'http://127.0.0.1', sub: 'alice', aud: 'rp' });
  const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${base}/jwks.json`)), { issuer: 'http://127.0.0.1', audience: 'rp' });
  assert.equal(payload.sub, 'alice');
});

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { sha256 } from '../../src/core/crypto.ts';
import type { TokenRecord } from '../../src/core/model/token.ts';
import { clientCredentials, discover, INSECURE } from '../support/oauth-client.ts';
import { createTestUser } from '../support/oidc.ts';
import { createTestClient, startTestServer, type TestClient, type TestServer } from '../support/server.ts';

let s: TestServer;
let as: oauth.AuthorizationServer;
let owner: TestClient;
let other: TestClient;
/** The user of the hand-made refresh records (a token of a missing user is never active). */
let aliceId: string;

before(async () => {
  s = await startTestServer();
  as = await discover(s.url);
  owner = await createTestClient(s.gh);
  other = await createTestClient(s.gh);
  aliceId = (await createTestUser(s.gh, { username: 'alice' })).id;
});
after(() => s.close());

async function revoke(c: TestClient, token: string, opts: oauth.RevocationRequestOptions = {}, auth = oauth.ClientSecretBasic(c.client_secret)) {
  const res = await oauth.revocationRequest(as, { client_id: c.client_id }, auth, token, { ...INSECURE, ...opts });
  assert.equal(res.headers.get('cache-control'), 'no-store');
  await oauth.processRevocationResponse(res);
}

async function active(c: TestClient, token: string): Promise<boolean> {
  const res = await oauth.introspectionRequest(as, { client_id: c.client_id }, oauth.ClientSecretBasic(c.client_secret), token, INSECURE);
  return (await oauth.processIntrospectionResponse(as, { client_id: c.client_id }, res)).active;
}

function refreshRecord(value: string, clientId: string, grantId: string): TokenRecord {
  const now = Math.floor(Date.now() / 1000);
  return {
    tenantId: s.gh.ctx.tenantId,
    hash: sha256(value),
    kind: 'refresh_token',
    jti: `jti-${value}`,
    clientId,
    subject: aliceId,
    userId: aliceId,
    scope: 'read',
    audience: [s.url],
    grantId,
    parentHash: null,
    issuedAt: now,
    expiresAt: now + 86_400,
    cnf: null,
    claims: { auth_time: now },
    revokedAt: null,
    consumedAt: null,
  };
}

test('RFC 7009 §2.1 revoking an opaque access token makes it inactive', async () => {
  const c = await createTestClient(s.gh, { access_token_format: 'opaque' });
  const t = await clientCredentials(as, c);
  assert.equal(await active(c, t.access_token), true);
  await revoke(c, t.access_token, { additionalParameters: { token_type_hint: 'access_token' } });
  assert.equal(await active(c, t.access_token), false);
});

test('RFC 7009 §2.1 revoking a JWT access token denies its jti until it expires', async () => {
  const t = await clientCredentials(as, owner);
  assert.equal(await active(owner, t.access_token), true);
  await revoke(owner, t.access_token);
  assert.equal(await active(owner, t.access_token), false);
  const jti = JSON.parse(Buffer.from(t.access_token.split('.')[1]!, 'base64url').toString()).jti as string;
  assert.equal(await s.gh.services.storage.denylist.has(s.gh.ctx.tenantId, jti), true);
});

test('RFC 7009 §2.1 a client cannot revoke a token issued to another client (200, nothing revoked)', async () => {
  const t = await clientCredentials(as, owner);
  await revoke(other, t.access_token);
  assert.equal(await active(owner, t.access_token), true);
});

test('RFC 7009 §2.2 an unknown or invalid token is answered with 200', async () => {
  for (const token of ['unknown', 'a.b.c', 'x'.repeat(5000)]) await revoke(owner, token);
});

test('RFC 7009 §2.2.1 an unknown token_type_hint is ignored, not unsupported_token_type', async () => {
  const c = await createTestClient(s.gh, { access_token_format: 'opaque' });
  const t = await clientCredentials(as, c);
  await revoke(c, t.access_token, { additionalParameters: { token_type_hint: 'id_token' } });
  assert.equal(await active(c, t.access_token), false);
});

test('RFC 7009 §2.1 revoking a refresh token revokes the tokens of its grant', async () => {
  await s.gh.services.storage.tokens.insert(refreshRecord('refresh-token-one', owner.client_id, 'grant-A'));
  await s.gh.services.storage.tokens.insert({ ...refreshRecord('access-token-of-grant-A', owner.client_id, 'grant-A'), kind: 'access_token' });
  assert.equal(await active(owner, 'refresh-token-one'), true);
  await revoke(owner, 'refresh-token-one', { additionalParameters: { token_type_hint: 'refresh_token' } });
  assert.equal(await active(owner, 'refresh-token-one'), false);
  assert.equal(await active(owner, 'access-token-of-grant-A'), false);
});

test('RFC 7009 §2.1 a public client revokes its own refresh token with its client_id (none)', async () => {
  const spa = await createTestClient(s.gh, {
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['https://spa.example/cb'],
  });
  await s.gh.services.storage.tokens.insert(refreshRecord('spa-refresh-token', spa.client_id, 'grant-spa'));
  await revoke(spa, 'spa-refresh-token', {}, oauth.None());
  const rec = await s.gh.services.storage.tokens.find(s.gh.ctx.tenantId, sha256('spa-refresh-token'));
  assert.notEqual(rec?.revokedAt, null);
});

test('RFC 7009 §2.1 revocation requires client authentication', async () => {
  const res = await fetch(as.revocation_endpoint!, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=abc' });
  assert.equal(res.status, 401);
  assert.equal(((await res.json()) as { error: string }).error, 'invalid_client');
  const wrong = await fetch(as.revocation_endpoint!, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${owner.client_id}:nope`).toString('base64')}` },
    body: 'token=abc',
  });
  assert.equal(wrong.status, 401);
  assert.match(wrong.headers.get('www-authenticate') ?? '', /^Basic /);
});

test('RFC 7009 §2.1 a missing token parameter is invalid_request', async () => {
  const res = await fetch(as.revocation_endpoint!, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${owner.client_id}:${owner.client_secret}`).toString('base64')}`,
    },
    body: '',
  });
  assert.equal(res.status, 400);
  assert.equal(((await res.json()) as { error: string }).error, 'invalid_request');
});

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { clientCredentials, discover, INSECURE } from '../support/oauth-client.ts';
import { activeTokenCount, createTestClient, startTestServer, type TestServer } from '../support/server.ts';

let s: TestServer;
let as: oauth.AuthorizationServer;
let jwks: ReturnType<typeof createRemoteJWKSet>;

before(async () => {
  s = await startTestServer({
    resources: [
      { identifier: 'https://api.example/orders', audience: 'orders-api', scopes: ['read'] },
      { identifier: 'https://api.example/ledger', scopes: [], accessTokenFormat: 'opaque', accessTokenTtl: 120 },
    ],
  });
  as = await discover(s.url);
  jwks = createRemoteJWKSet(new URL(as.jwks_uri!));
});
after(() => s.close());

/** RFC 9068 §4: validate a JWT access token as a resource server would. */
async function verifyAccessToken(token: string, audience: string) {
  const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: s.url, audience, typ: 'at+jwt', algorithms: ['ES256'] });
  assert.equal(protectedHeader.typ, 'at+jwt');
  for (const claim of ['iss', 'sub', 'aud', 'client_id', 'jti', 'iat', 'exp']) assert.ok(payload[claim] !== undefined, `claim ${claim}`);
  return payload;
}

test('RFC 6749 §4.4 client_credentials with client_secret_basic yields an RFC 9068 JWT access token', async () => {
  const c = await createTestClient(s.gh);
  const t = await clientCredentials(as, c, { scope: 'read' });
  assert.equal(t.token_type, 'bearer');
  assert.equal(t.expires_in, 3600);
  assert.equal(t.scope, 'read');
  assert.equal(t.refresh_token, undefined);
  const p = await verifyAccessToken(t.access_token, s.url);
  assert.equal(p.sub, c.client_id);
  assert.equal(p.client_id, c.client_id);
  assert.equal(p.scope, 'read');
  assert.equal(p.exp! - p.iat!, 3600);
});

test('RFC 6749 §2.3.1 client_credentials with client_secret_post', async () => {
  const c = await createTestClient(s.gh, { token_endpoint_auth_method: 'client_secret_post' });
  const client = { client_id: c.client_id };
  const res = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretPost(c.client_secret), {}, INSECURE);
  const t = await oauth.processClientCredentialsResponse(as, client, res);
  assert.equal(t.scope, 'read write', 'no scope requested: every scope the client may have');
  await verifyAccessToken(t.access_token, s.url);
});

test('OIDC Core §9 client_credentials with client_secret_jwt', async () => {
  const c = await createTestClient(s.gh, { token_endpoint_auth_method: 'client_secret_jwt' });
  const client = { client_id: c.client_id };
  const res = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretJwt(c.client_secret), { scope: 'write' }, INSECURE);
  const t = await oauth.processClientCredentialsResponse(as, client, res);
  assert.equal((await verifyAccessToken(t.access_token, s.url)).scope, 'write');
});

test('RFC 7523 §2.2 client_credentials with private_key_jwt', async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const c = await createTestClient(s.gh, { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } });
  const client = { client_id: c.client_id };
  const res = await oauth.clientCredentialsGrantRequest(as, client, oauth.PrivateKeyJwt({ key: privateKey, kid: 'k1' }), { scope: 'read' }, INSECURE);
  const t = await oauth.processClientCredentialsResponse(as, client, res);
  assert.equal((await verifyAccessToken(t.access_token, s.url)).client_id, c.client_id);
});

test('RFC 6749 §5.1 token responses carry Cache-Control: no-store and Pragma: no-cache', async () => {
  const c = await createTestClient(s.gh);
  const res = await oauth.clientCredentialsGrantRequest(as, { client_id: c.client_id }, oauth.ClientSecretBasic(c.client_secret), {}, INSECURE);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(res.headers.get('pragma'), 'no-cache');
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
});

test('RFC 8707 §2 resource sets the audience and limits the scope', async () => {
  const c = await createTestClient(s.gh);
  const t = await clientCredentials(as, c, { resource: 'https://api.example/orders' });
  assert.equal(t.scope, 'read');
  const p = await verifyAccessToken(t.access_token, 'orders-api');
  assert.equal(p.aud, 'orders-api');
});

test('RFC 8707 §2 several resource parameters give several audiences', async () => {
  const c = await createTestClient(s.gh);
  const t = await clientCredentials(
    as,
    c,
    new URLSearchParams([
      ['resource', 'https://api.example/orders'],
      ['resource', 'urn:example:reports'],
      ['scope', 'read'],
    ]),
  );
  assert.deepEqual((await verifyAccessToken(t.access_token, 'urn:example:reports')).aud, ['orders-api', 'urn:example:reports']);
});

test('RFC 8707 §2 a resource configured for opaque tokens gets a stored opaque token with its lifetime', async () => {
  const c = await createTestClient(s.gh);
  const before = await activeTokenCount(s.gh);
  const t = await clientCredentials(as, c, { resource: 'https://api.example/ledger' });
  assert.equal(t.expires_in, 120);
  assert.match(t.access_token, /^[0-9a-f]{12}[A-Za-z0-9_-]{43}$/);
  assert.equal(await activeTokenCount(s.gh), before + 1);
});

test('RFC 9068 §2 the access token format is chosen per client', async () => {
  const c = await createTestClient(s.gh, { access_token_format: 'opaque' });
  const t = await clientCredentials(as, c);
  assert.throws(() => decodeProtectedHeader(t.access_token));
  assert.match(t.access_token, /^[0-9a-f]{12}[A-Za-z0-9_-]{43}$/);
});

test('RFC 6749 §5.2 a requested scope the client may not have is invalid_scope', async () => {
  const c = await createTestClient(s.gh);
  await assert.rejects(
    clientCredentials(as, c, { scope: 'read admin' }),
    (e: unknown) => e instanceof oauth.ResponseBodyError && e.error === 'invalid_scope' && e.status === 400,
  );
});

test('RFC 6749 §5.2 a client not registered for client_credentials is unauthorized_client', async () => {
  const c = await createTestClient(s.gh, { grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: ['https://app.example/cb'] });
  await assert.rejects(clientCredentials(as, c), (e: unknown) => e instanceof oauth.ResponseBodyError && e.error === 'unauthorized_client' && e.status === 400);
});

test('RFC 6749 §4.4 a wrong secret is invalid_client with 401 and WWW-Authenticate', async () => {
  const c = await createTestClient(s.gh);
  const res = await oauth.clientCredentialsGrantRequest(as, { client_id: c.client_id }, oauth.ClientSecretBasic('wrong'), {}, INSECURE);
  assert.equal(res.status, 401);
  assert.match(res.headers.get('www-authenticate') ?? '', /^Basic /);
  assert.equal(((await res.json()) as { error: string }).error, 'invalid_client');
});

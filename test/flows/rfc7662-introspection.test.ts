import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { clientCredentials, discover, INSECURE } from '../support/oauth-client.ts';
import { createTestClient, startTestServer, type TestClient, type TestServer } from '../support/server.ts';

let s: TestServer;
let as: oauth.AuthorizationServer;
let owner: TestClient;
let rs: TestClient;

before(async () => {
  s = await startTestServer();
  as = await discover(s.url);
  owner = await createTestClient(s.gh);
  rs = await createTestClient(s.gh, { client_name: 'resource server' });
});
after(() => s.close());

async function introspect(caller: TestClient, token: string, opts: oauth.IntrospectionRequestOptions = {}) {
  const client = { client_id: caller.client_id };
  const res = await oauth.introspectionRequest(as, client, oauth.ClientSecretBasic(caller.client_secret), token, { ...INSECURE, ...opts });
  return { res, body: await oauth.processIntrospectionResponse(as, client, res) };
}

for (const format of ['jwt', 'opaque'] as const) {
  test(`RFC 7662 §2.2 introspecting an active ${format} access token returns its metadata`, async () => {
    const c = await createTestClient(s.gh, { access_token_format: format });
    const t = await clientCredentials(as, c, { scope: 'read' });
    const { res, body } = await introspect(c, t.access_token);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(body.active, true);
    assert.equal(body.client_id, c.client_id);
    assert.equal(body.sub, c.client_id);
    assert.equal(body.scope, 'read');
    assert.equal(body.iss, s.url);
    assert.equal(body.aud, s.url);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(typeof body.jti, 'string');
    assert.equal(body.exp! - body.iat!, 3600);
  });
}

test('RFC 7662 §2.2 an unknown token is inactive and nothing else is said', async () => {
  const { body } = await introspect(owner, 'not-a-token');
  assert.deepEqual(body, { active: false });
});

test('RFC 7662 §4 under own-or-audience another client sees {active:false}', async () => {
  const t = await clientCredentials(as, owner);
  const { body } = await introspect(rs, t.access_token);
  assert.deepEqual(body, { active: false });
});

test('RFC 7662 §4 a privileged client may introspect every token', async () => {
  const p = await startTestServer({ introspection: { privilegedClients: ['gateway'] } });
  try {
    const pas = await discover(p.url);
    const a = await createTestClient(p.gh);
    const gw = await createTestClient(p.gh, {}, { clientId: 'gateway' });
    const other = await createTestClient(p.gh);
    const t = await clientCredentials(pas, a);
    const ask = async (c: TestClient) => {
      const res = await oauth.introspectionRequest(pas, { client_id: c.client_id }, oauth.ClientSecretBasic(c.client_secret), t.access_token, INSECURE);
      return (await oauth.processIntrospectionResponse(pas, { client_id: c.client_id }, res)).active;
    };
    assert.equal(await ask(gw), true);
    assert.equal(await ask(other), false);
  } finally {
    await p.close();
  }
});

test('RFC 7662 §4 with access any-client every authenticated client may introspect', async () => {
  const any = await startTestServer({ introspection: { access: 'any-client' } });
  try {
    const pas = await discover(any.url);
    const a = await createTestClient(any.gh);
    const b = await createTestClient(any.gh);
    const t = await clientCredentials(pas, a);
    const res = await oauth.introspectionRequest(pas, { client_id: b.client_id }, oauth.ClientSecretBasic(b.client_secret), t.access_token, INSECURE);
    assert.equal((await oauth.processIntrospectionResponse(pas, { client_id: b.client_id }, res)).active, true);
  } finally {
    await any.close();
  }
});

test('RFC 9701 §5 Accept: application/token-introspection+jwt returns a signed JWT response', async () => {
  const t = await clientCredentials(as, owner, { scope: 'write' });
  const { res, body } = await introspect(owner, t.access_token, { requestJwtResponse: true });
  assert.equal(res.headers.get('content-type')?.split(';')[0], 'application/token-introspection+jwt');
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(body.active, true);
  assert.equal(body.scope, 'write');
  // oauth4webapi checked typ, iss, aud and iat; the signature is checked against the JWKS here.
  await oauth.validateApplicationLevelSignature(as, res, INSECURE);
  const again = await oauth.introspectionRequest(as, { client_id: owner.client_id }, oauth.ClientSecretBasic(owner.client_secret), t.access_token, {
    ...INSECURE,
    requestJwtResponse: true,
  });
  const { payload, protectedHeader } = await jwtVerify(await again.text(), createRemoteJWKSet(new URL(as.jwks_uri!)), {
    issuer: s.url,
    audience: owner.client_id,
    typ: 'token-introspection+jwt',
  });
  assert.equal(protectedHeader.alg, 'ES256');
  assert.equal(payload.sub, undefined);
  assert.equal(payload.exp, undefined);
  assert.equal((payload.token_introspection as { active: boolean }).active, true);
});

test('RFC 9701 §5 an inactive token in a JWT response has only active=false', async () => {
  const { body } = await introspect(owner, 'unknown', { requestJwtResponse: true });
  assert.deepEqual(body, { active: false });
});

test('RFC 7662 §2.1 the endpoint requires client authentication', async () => {
  const t = await clientCredentials(as, owner);
  const none = await fetch(as.introspection_endpoint!, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: t.access_token }),
  });
  assert.equal(none.status, 401);
  assert.equal(((await none.json()) as { error: string }).error, 'invalid_client');
  assert.ok(none.headers.get('www-authenticate'));
  const publicId = await fetch(as.introspection_endpoint!, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: t.access_token, client_id: owner.client_id }),
  });
  assert.equal(publicId.status, 401, 'a client_id alone is not authentication');
  const wrong = await fetch(as.introspection_endpoint!, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${owner.client_id}:nope`).toString('base64')}` },
    body: new URLSearchParams({ token: t.access_token }),
  });
  assert.equal(wrong.status, 401);
});

test('RFC 7662 §2.1 a missing token parameter is invalid_request', async () => {
  const res = await fetch(as.introspection_endpoint!, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${owner.client_id}:${owner.client_secret}`).toString('base64')}`,
    },
    body: 'token_type_hint=access_token',
  });
  assert.equal(res.status, 400);
  assert.equal(((await res.json()) as { error: string }).error, 'invalid_request');
});

test('RFC 7662 §2.1 token_type_hint is accepted and never changes the answer', async () => {
  const t = await clientCredentials(as, owner);
  for (const hint of ['access_token', 'refresh_token', 'something_else']) {
    const { body } = await introspect(owner, t.access_token, { additionalParameters: { token_type_hint: hint } });
    assert.equal(body.active, true, hint);
  }
});

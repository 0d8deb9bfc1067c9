import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { discover } from '../support/oauth-client.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

test('RFC 8414 §3.3 oauth4webapi validates the metadata: issuer equals the issuer identifier', async () => {
  const as = await discover(s.url, 'oauth2');
  assert.equal(as.issuer, s.url);
  assert.equal(as.token_endpoint, `${s.url}/token`);
  assert.equal(as.jwks_uri, `${s.url}/jwks.json`);
  assert.equal(as.introspection_endpoint, `${s.url}/introspect`);
  assert.equal(as.revocation_endpoint, `${s.url}/revoke`);
});

test('OIDC Discovery §4 /.well-known/openid-configuration serves the same metadata', async () => {
  const oidc = await discover(s.url, 'oidc');
  const oauth2 = await discover(s.url, 'oauth2');
  assert.deepEqual(oidc, oauth2);
});

test('RFC 8414 §2 metadata advertises exactly what works (S17)', async () => {
  const as = (await discover(s.url)) as Record<string, unknown> & Awaited<ReturnType<typeof discover>>;
  assert.deepEqual([...(as.grant_types_supported ?? [])].sort(), [
    'authorization_code',
    'client_credentials',
    'implicit',
    'refresh_token',
    'urn:ietf:params:oauth:grant-type:device_code',
    'urn:ietf:params:oauth:grant-type:token-exchange',
  ]);
  // Implicit-only response types are off by default (OAuth 2.1); hybrid ones are served.
  assert.deepEqual(as.response_types_supported, ['code', 'code id_token', 'code token', 'code id_token token']);
  assert.equal(as.registration_endpoint, undefined, 'registration is disabled by default');
  assert.ok(as.token_endpoint_auth_methods_supported?.includes('none'), 'authorization_code accepts public clients');
  assert.ok(as.token_endpoint_auth_methods_supported?.includes('client_secret_basic'));
  assert.ok(as.token_endpoint_auth_methods_supported?.includes('private_key_jwt'));
  assert.equal(as.token_endpoint_auth_signing_alg_values_supported?.includes('none'), false);
  assert.equal(as.introspection_endpoint_auth_methods_supported?.includes('none'), false);
  assert.ok(as.revocation_endpoint_auth_methods_supported?.includes('none'));
  assert.deepEqual(as.introspection_signing_alg_values_supported, ['ES256']);
  assert.deepEqual(as.code_challenge_methods_supported, ['S256'], 'plain PKCE is off by default');
  assert.deepEqual(as.subject_types_supported, ['public'], 'pairwise needs a configured salt');
  assert.equal(as.request_uri_parameter_supported, false, 'only PAR request_uri values are accepted');
  assert.equal(as.authorization_response_iss_parameter_supported, true);
});

test('RFC 8414 §2 every advertised endpoint is served (S17)', async () => {
  const as = (await discover(s.url)) as unknown as Record<string, unknown>;
  const endpoints = Object.entries(as).filter(
    ([k, v]) => (k.endsWith('_endpoint') || k === 'jwks_uri' || k === 'check_session_iframe') && typeof v === 'string',
  );
  assert.ok(endpoints.length >= 10, `found ${endpoints.map(([k]) => k).join(', ')}`);
  for (const [name, url] of endpoints) {
    const get = await fetch(url as string, { redirect: 'manual' });
    const post = await fetch(url as string, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    assert.ok(get.status !== 404 || post.status !== 404, `${name} (${String(url)}) is not served`);
    assert.ok(get.status < 500 && post.status < 500, `${name} answered ${get.status}/${post.status}`);
  }
});

test('RFC 8414 §2 registration_endpoint appears only when registration is enabled', async () => {
  const other = await startTestServer({ registration: { enabled: true } });
  try {
    assert.equal((await discover(other.url)).registration_endpoint, `${other.url}/register`);
  } finally {
    await other.close();
  }
});

test('RFC 8414 §3.2 metadata is JSON with a short public cache lifetime', async () => {
  for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    const res = await fetch(`${s.url}${path}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=300');
  }
});

test('RFC 8414 §2 jwks_uri serves the keys that sign access tokens', async () => {
  const as = await discover(s.url);
  const res = await fetch(as.jwks_uri!);
  assert.equal(res.status, 200);
  const jwks = (await res.json()) as { keys: { kid: string; alg: string }[] };
  assert.ok(jwks.keys.some((k) => k.alg === 'ES256'));
  assert.ok(res.headers.get('cache-control'));
});

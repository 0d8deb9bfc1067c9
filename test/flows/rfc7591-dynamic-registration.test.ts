import * as assert from 'node:assert/strict';
import { BUILT_IN_CLIENT_IDS } from '../../src/core/clients/built-in-clients.ts';
import { after, before, describe, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { clientCredentials, discover, INSECURE } from '../support/oauth-client.ts';
import { createTestClient, startTestServer, type TestServer } from '../support/server.ts';

const IAT = 'initial-access-token-0123456789abcdef';

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function call(
  s: TestServer,
  method: string,
  path: string,
  opts: { body?: unknown; token?: string; contentType?: string; raw?: string } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (opts.token !== undefined) headers['authorization'] = `Bearer ${opts.token}`;
  const hasBody = opts.body !== undefined || opts.raw !== undefined;
  if (hasBody) headers['content-type'] = opts.contentType ?? 'application/json';
  const res = await fetch(`${s.url}${path}`, { method, headers, body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Clients in the store besides the built-in ones every server provisions (the console's). */
async function clientCount(s: TestServer): Promise<number> {
  const page = await s.gh.services.storage.clients.page(s.gh.ctx.tenantId, { limit: 500, sort: 'client_id', order: 'asc' });
  return page.items.filter((c) => !BUILT_IN_CLIENT_IDS.has(c.clientId)).length;
}

const service = { client_name: 'Reporting job', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', scope: 'read' };

describe('open registration', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({
      registration: {
        enabled: true,
        allowedScopes: ['read', 'write', 'openid'],
        allowedGrantTypes: ['client_credentials', 'authorization_code', 'refresh_token'],
      },
      // Every request below comes from 127.0.0.1: the registration budget is tested in rate-limits-endpoints.test.ts.
      rateLimits: { registration: { perAddress: 0 } },
    });
  });
  after(() => s.close());

  test('RFC 7591 §3.2.1 registration answers 201 with credentials and every registered metadata value', async () => {
    const r = await call(s, 'POST', '/register', { body: { ...service, software_id: 'reporting', unknown_member: 'dropped' } });
    assert.equal(r.status, 201);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    const b = r.body;
    assert.match(String(b['client_id']), /^[A-Za-z0-9_-]{22}$/);
    assert.equal(Buffer.from(String(b['client_secret']), 'base64url').length, 32);
    assert.equal(typeof b['client_id_issued_at'], 'number');
    assert.equal(b['client_secret_expires_at'], 0);
    assert.equal(typeof b['registration_access_token'], 'string');
    assert.equal(b['registration_client_uri'], `${s.url}/register/${String(b['client_id'])}`);
    assert.equal(b['client_name'], 'Reporting job');
    assert.deepEqual(b['grant_types'], ['client_credentials']);
    assert.deepEqual(b['response_types'], []);
    assert.equal(b['token_endpoint_auth_method'], 'client_secret_basic');
    assert.equal(b['scope'], 'read');
    assert.equal(b['software_id'], 'reporting');
    assert.equal(b['unknown_member'], undefined, 'RFC 7591 §2: unknown metadata is ignored');
    // The registered client works at the token endpoint.
    const as = await discover(s.url);
    assert.equal(as.registration_endpoint, `${s.url}/register`);
    const t = await clientCredentials(as, { client_id: String(b['client_id']), client_secret: String(b['client_secret']) });
    assert.equal(t.scope, 'read');
  });

  test('RFC 7591 §3.2.1 a public native client gets no secret', async () => {
    const r = await call(s, 'POST', '/register', {
      body: { application_type: 'native', token_endpoint_auth_method: 'none', redirect_uris: ['com.example.app:/oauth2redirect', 'http://127.0.0.1/cb'] },
    });
    assert.equal(r.status, 201);
    assert.equal(r.body['client_secret'], undefined);
    assert.equal(r.body['client_secret_expires_at'], undefined);
    assert.deepEqual(r.body['response_types'], ['code']);
    assert.equal(r.body['application_type'], 'native');
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['a redirect URI with a fragment', { redirect_uris: ['https://app.example/cb#x'] }, 'invalid_redirect_uri'],
    ['a wildcard redirect URI', { redirect_uris: ['https://*.app.example/cb'] }, 'invalid_redirect_uri'],
    ['an http redirect URI that is not loopback', { redirect_uris: ['http://app.example/cb'] }, 'invalid_redirect_uri'],
    ['a relative redirect URI', { redirect_uris: ['/cb'] }, 'invalid_redirect_uri'],
    ['a private-use scheme on a web client', { redirect_uris: ['com.example.app:/cb'] }, 'invalid_redirect_uri'],
    ['authorization_code without redirect URIs', { grant_types: ['authorization_code'], response_types: ['code'] }, 'invalid_redirect_uri'],
    [
      'jwks together with jwks_uri',
      {
        ...service,
        token_endpoint_auth_method: 'private_key_jwt',
        jwks_uri: 'https://app.example/jwks',
        jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b' }] },
      },
      'invalid_client_metadata',
    ],
    ['an http jwks_uri', { ...service, token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'http://app.example/jwks' }, 'invalid_client_metadata'],
    [
      'a private key in jwks',
      { ...service, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'c' }] } },
      'invalid_client_metadata',
    ],
    ['a grant type the policy does not allow', { ...service, grant_types: ['urn:ietf:params:oauth:grant-type:device_code'] }, 'invalid_client_metadata'],
    ['a scope the policy does not allow', { ...service, scope: 'read admin' }, 'invalid_client_metadata'],
    [
      'code without authorization_code',
      { grant_types: ['client_credentials'], response_types: ['code'], redirect_uris: ['https://a.example/cb'] },
      'invalid_client_metadata',
    ],
    ['the implicit response type', { response_types: ['token'], redirect_uris: ['https://a.example/cb'] }, 'invalid_client_metadata'],
    ['client_credentials for a public client', { ...service, token_endpoint_auth_method: 'none' }, 'invalid_client_metadata'],
    ['an unsupported auth method', { ...service, token_endpoint_auth_method: 'tls_client_auth' }, 'invalid_client_metadata'],
    ['a mistyped member', { ...service, grant_types: 'client_credentials' }, 'invalid_client_metadata'],
  ];
  for (const [what, body, error] of bad) {
    test(`RFC 7591 §3.2.2 ${what} is ${error} (400) and nothing is written`, async () => {
      const before = await clientCount(s);
      const r = await call(s, 'POST', '/register', { body });
      assert.equal(r.status, 400);
      assert.equal(r.body['error'], error);
      assert.equal(typeof r.body['error_description'], 'string');
      assert.equal(await clientCount(s), before);
    });
  }

  test('RFC 7591 §3.1 a body that is not a JSON object, or not JSON, is refused without a 500', async () => {
    assert.equal((await call(s, 'POST', '/register', { body: ['x'] })).body['error'], 'invalid_client_metadata');
    const malformed = await call(s, 'POST', '/register', { raw: '{"client_name":' });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body['error'], 'invalid_request');
    const form = await call(s, 'POST', '/register', { raw: 'client_name=x', contentType: 'application/x-www-form-urlencoded' });
    assert.equal(form.status, 415);
  });

  test('RFC 7591 §3.2.2 a jwks key member nested thousands of levels deep is invalid_client_metadata (400), not a 500, and nothing is written', async () => {
    const before = await clientCount(s);
    const deep = `${'['.repeat(6000)}${']'.repeat(6000)}`;
    const head = '{"redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"private_key_jwt","grant_types":["authorization_code"]';
    for (const raw of [
      `${head},"jwks":{"keys":[{"kty":"EC","crv":"P-256","x":${deep},"y":"y"}]}}`,
      `${head},"jwks_uri":"https://a.example/jwks","ignored":${deep}}`,
    ]) {
      const r = await call(s, 'POST', '/register', { raw });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body['error'], 'invalid_client_metadata');
    }
    assert.equal(await clientCount(s), before);
  });

  test('RFC 7592 §2.1 read returns the registration and a new registration access token', async () => {
    const reg = (await call(s, 'POST', '/register', { body: service })).body;
    const path = `/register/${String(reg['client_id'])}`;
    const r = await call(s, 'GET', path, { token: String(reg['registration_access_token']) });
    assert.equal(r.status, 200);
    assert.equal(r.body['client_id'], reg['client_id']);
    assert.equal(r.body['client_name'], 'Reporting job');
    assert.equal(r.body['client_secret'], undefined, 'stored hashed: never shown again');
    assert.equal(r.body['registration_client_uri'], reg['registration_client_uri']);
    const fresh = String(r.body['registration_access_token']);
    assert.notEqual(fresh, reg['registration_access_token']);
    // RFC 7592 §2.1: the client MUST discard the previous token; the server no longer accepts it.
    assert.equal((await call(s, 'GET', path, { token: String(reg['registration_access_token']) })).status, 401);
    assert.equal((await call(s, 'GET', path, { token: fresh })).status, 200);
  });

  test("RFC 7592 §2.1 a wrong token, another client's token, no token or a CLI-created client get 401 invalid_token", async () => {
    const a = (await call(s, 'POST', '/register', { body: service })).body;
    const b = (await call(s, 'POST', '/register', { body: service })).body;
    const wrong = await call(s, 'GET', `/register/${String(a['client_id'])}`, { token: 'not-the-token' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body['error'], 'invalid_token');
    assert.match(wrong.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.equal((await call(s, 'GET', `/register/${String(a['client_id'])}`, { token: String(b['registration_access_token']) })).status, 401);
    assert.equal((await call(s, 'GET', `/register/${String(a['client_id'])}`)).status, 401);
    const cli = await createTestClient(s.gh);
    assert.equal((await call(s, 'GET', `/register/${cli.client_id}`, { token: String(a['registration_access_token']) })).status, 401);
    assert.equal((await call(s, 'DELETE', `/register/no-such-client`, { token: String(a['registration_access_token']) })).status, 401);
  });

  test('RFC 7592 §2.2 update replaces the metadata wholesale, keeps the client_id and the secret', async () => {
    const reg = (await call(s, 'POST', '/register', { body: service })).body;
    const path = `/register/${String(reg['client_id'])}`;
    const r = await call(s, 'PUT', path, {
      token: String(reg['registration_access_token']),
      body: {
        client_id: reg['client_id'],
        client_secret: reg['client_secret'],
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_post',
        scope: 'read write',
      },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body['client_id'], reg['client_id']);
    assert.equal(r.body['client_name'], undefined, 'RFC 7592 §2.2: omitted fields are deleted');
    assert.equal(r.body['scope'], 'read write');
    assert.equal(r.body['token_endpoint_auth_method'], 'client_secret_post');
    assert.equal(r.body['client_secret'], undefined, 'the secret is unchanged');
    const as = await discover(s.url);
    const c = { client_id: String(reg['client_id']) };
    const res = await oauth.clientCredentialsGrantRequest(as, c, oauth.ClientSecretPost(String(reg['client_secret'])), { scope: 'write' }, INSECURE);
    assert.equal((await oauth.processClientCredentialsResponse(as, c, res)).scope, 'write');
  });

  test('RFC 7592 §2.2 an update must carry the same client_id, no read-only members and the current secret', async () => {
    const reg = (await call(s, 'POST', '/register', { body: service })).body;
    const path = `/register/${String(reg['client_id'])}`;
    const token = String(reg['registration_access_token']);
    const put = (body: Record<string, unknown>) => call(s, 'PUT', path, { token, body: { ...service, ...body } });
    for (const body of [
      {},
      { client_id: 'another' },
      { client_id: reg['client_id'], registration_access_token: token },
      { client_id: reg['client_id'], client_id_issued_at: 1 },
      { client_id: reg['client_id'], client_secret: 'guessed' },
    ]) {
      const r = await put(body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body['error'], 'invalid_request');
    }
    const invalid = await put({ client_id: reg['client_id'], redirect_uris: ['https://a.example/#frag'] });
    assert.equal(invalid.body['error'], 'invalid_redirect_uri');
    // Nothing was written by the refused updates: the original token still works.
    const read = await call(s, 'GET', path, { token });
    assert.equal(read.status, 200);
    assert.equal(read.body['scope'], 'read');
  });

  test('RFC 7592 §2.3 delete answers 204 and the client is gone', async () => {
    const reg = (await call(s, 'POST', '/register', { body: service })).body;
    const path = `/register/${String(reg['client_id'])}`;
    const del = await fetch(`${s.url}${path}`, { method: 'DELETE', headers: { authorization: `Bearer ${String(reg['registration_access_token'])}` } });
    assert.equal(del.status, 204);
    assert.equal(await s.gh.services.storage.clients.get(s.gh.ctx.tenantId, String(reg['client_id'])), undefined);
    assert.equal((await call(s, 'GET', path, { token: String(reg['registration_access_token']) })).status, 401);
    const as = await discover(s.url);
    await assert.rejects(
      clientCredentials(as, { client_id: String(reg['client_id']), client_secret: String(reg['client_secret']) }),
      (e: unknown) => e instanceof oauth.WWWAuthenticateChallengeError && e.status === 401 && e.cause[0]?.parameters.error === 'invalid_client',
    );
  });
});

describe('registration gated by an initial access token', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ registration: { enabled: true, initialAccessTokens: [IAT, `${IAT}-2`] } });
  });
  after(() => s.close());

  test('RFC 7591 §3 without the initial access token registration is 401 invalid_token and writes nothing', async () => {
    const before = await clientCount(s);
    const none = await call(s, 'POST', '/register', { body: service });
    assert.equal(none.status, 401);
    assert.equal(none.body['error'], 'invalid_token');
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    const wrong = await call(s, 'POST', '/register', { body: service, token: `${IAT}x` });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body['error'], 'invalid_token');
    const malformed = await fetch(`${s.url}/register`, {
      method: 'POST',
      headers: { authorization: 'Basic Zm9vOmJhcg==', 'content-type': 'application/json' },
      body: JSON.stringify(service),
    });
    assert.equal(malformed.status, 401);
    assert.equal(await clientCount(s), before);
  });

  test('RFC 7591 §3 with a configured initial access token registration succeeds', async () => {
    for (const token of [IAT, `${IAT}-2`]) {
      const r = await call(s, 'POST', '/register', { body: { ...service, scope: 'openid' }, token });
      assert.equal(r.status, 201);
    }
    // Default allowed scopes: openid profile email.
    assert.equal((await call(s, 'POST', '/register', { body: service, token: IAT })).body['error'], 'invalid_client_metadata');
  });
});

describe('registration disabled (the default)', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  test('RFC 7591 §3 with registration off the endpoint does not exist (404) and is not advertised', async () => {
    const r = await call(s, 'POST', '/register', { body: service });
    assert.equal(r.status, 404);
    assert.equal((await call(s, 'GET', '/register/anything', { token: 'x' })).status, 404);
    assert.equal((await discover(s.url)).registration_endpoint, undefined);
    assert.equal(await clientCount(s), 0);
  });
});

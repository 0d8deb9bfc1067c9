import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { activeTokenCount, createTestClient, startTestServer, type TestClient, type TestServer } from '../support/server.ts';

let s: TestServer;
let c: TestClient;
let basic: string;

before(async () => {
  // Opaque tokens are stored: a request that wrongly issued one would show in the store.
  s = await startTestServer({
    tokens: { accessTokenFormat: 'opaque' },
    http: { bodyLimit: 4096 },
    requireResourceRegistration: true,
    resources: [{ identifier: 'https://api.example/a', scopes: [] }],
  });
  c = await createTestClient(s.gh);
  basic = `Basic ${Buffer.from(`${c.client_id}:${c.client_secret}`).toString('base64')}`;
});
after(() => s.close());

const FORM = 'application/x-www-form-urlencoded';

interface Case {
  readonly path?: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/**
 * Sends a bad request and checks the common promises: the expected status and OAuth error, a JSON
 * body with no stack trace or internals, Cache-Control no-store, and no token written.
 */
async function refused(req: Case, status: number, error: string): Promise<Response> {
  const before = await activeTokenCount(s.gh);
  const res = await fetch(`${s.url}${req.path ?? '/token'}`, {
    method: req.method ?? 'POST',
    headers: { 'content-type': FORM, authorization: basic, ...req.headers },
    ...(req.body !== undefined ? { body: req.body } : {}),
  });
  const text = await res.text();
  assert.equal(res.status, status, text);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const body = JSON.parse(text) as { error: string; error_description?: string };
  assert.equal(body.error, error, text);
  assert.deepEqual(
    Object.keys(body).filter((k) => k !== 'error' && k !== 'error_description'),
    [],
  );
  assert.doesNotMatch(text, /\bat .+:\d+|\.ts\b|node_modules|stack|FST_/i, 'no stack trace or internals');
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(await activeTokenCount(s.gh), before, 'nothing written');
  return res;
}

test('RFC 6749 §3.2 a valid request issues a token (control case)', async () => {
  const before = await activeTokenCount(s.gh);
  const res = await fetch(`${s.url}/token`, { method: 'POST', headers: { 'content-type': FORM, authorization: basic }, body: 'grant_type=client_credentials' });
  assert.equal(res.status, 200);
  assert.equal(await activeTokenCount(s.gh), before + 1);
});

test('RFC 6749 §3.1 a parameter sent twice is invalid_request', async () => {
  await refused({ body: 'grant_type=client_credentials&scope=read&scope=write' }, 400, 'invalid_request');
  await refused({ body: 'grant_type=client_credentials&grant_type=client_credentials' }, 400, 'invalid_request');
  await refused({ path: '/introspect', body: 'token=a&token=b' }, 400, 'invalid_request');
  await refused({ path: '/revoke', body: 'token=a&token=b' }, 400, 'invalid_request');
});

test('RFC 6749 §3.2 a body larger than the limit is refused with 413 invalid_request', async () => {
  await refused({ body: `grant_type=client_credentials&scope=${'a'.repeat(10_000)}` }, 413, 'invalid_request');
});

test('RFC 6749 §3.2 a JSON body is invalid_request (the endpoint takes application/x-www-form-urlencoded)', async () => {
  await refused({ headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'client_credentials' }) }, 400, 'invalid_request');
  await refused({ headers: { 'content-type': 'application/json' }, body: '{"grant_type": ' }, 400, 'invalid_request');
  await refused({ headers: { 'content-type': 'text/plain' }, body: 'grant_type=client_credentials' }, 400, 'invalid_request');
  await refused({ path: '/introspect', headers: { 'content-type': 'application/json' }, body: '{"token":"x"}' }, 400, 'invalid_request');
});

test('RFC 6749 §3.2 an unsupported media type is refused with 415 invalid_request', async () => {
  await refused({ headers: { 'content-type': 'application/xml' }, body: '<grant_type/>' }, 415, 'invalid_request');
});

test('RFC 6749 §3.2 a request without a body is invalid_request', async () => {
  await refused({ headers: { 'content-type': FORM }, body: '' }, 400, 'invalid_request');
});

test('RFC 6749 §3.2 a method other than POST is 405 with Allow: POST', async () => {
  for (const path of ['/token', '/introspect', '/revoke']) {
    const res = await refused({ path, method: 'GET' }, 405, 'invalid_request');
    assert.equal(res.headers.get('allow'), 'POST');
  }
});

test('RFC 6749 §5.2 an unknown grant_type is unsupported_grant_type', async () => {
  await refused({ body: 'grant_type=password&username=a&password=b' }, 400, 'unsupported_grant_type');
  await refused({ body: 'grant_type=__proto__' }, 400, 'unsupported_grant_type');
});

test('RFC 6749 §4.4.2 a missing grant_type is invalid_request', async () => {
  await refused({ body: 'scope=read' }, 400, 'invalid_request');
});

test('RFC 6749 §5.2 a scope the client may not have is invalid_scope', async () => {
  await refused({ body: 'grant_type=client_credentials&scope=admin' }, 400, 'invalid_scope');
  await refused({ body: 'grant_type=client_credentials&scope=%22bad%22' }, 400, 'invalid_scope');
});

test('RFC 8707 §2 an invalid or unknown resource is invalid_target', async () => {
  await refused({ body: 'grant_type=client_credentials&resource=not-absolute' }, 400, 'invalid_target');
  await refused({ body: `grant_type=client_credentials&resource=${encodeURIComponent('https://api.example/a#frag')}` }, 400, 'invalid_target');
  await refused({ body: `grant_type=client_credentials&resource=${encodeURIComponent('https://unknown.example/')}` }, 400, 'invalid_target');
});

test('RFC 6749 §5.2 a malformed Basic header is invalid_client with 401 and WWW-Authenticate', async () => {
  for (const authorization of ['Basic', 'Basic !!!', `Basic ${Buffer.from('no-colon').toString('base64')}`]) {
    const res = await refused({ headers: { authorization }, body: 'grant_type=client_credentials' }, 401, 'invalid_client');
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic /);
  }
});

test('RFC 6749 §5.2 an unknown client, a wrong secret or no authentication is invalid_client with 401', async () => {
  for (const authorization of [`Basic ${Buffer.from('nobody:secret').toString('base64')}`, `Basic ${Buffer.from(`${c.client_id}:wrong`).toString('base64')}`]) {
    const res = await refused({ headers: { authorization }, body: 'grant_type=client_credentials' }, 401, 'invalid_client');
    assert.ok(res.headers.get('www-authenticate'));
  }
  await refused({ headers: { authorization: '' }, body: 'grant_type=client_credentials' }, 401, 'invalid_client');
  await refused({ headers: { authorization: '' }, body: `grant_type=client_credentials&client_id=${c.client_id}` }, 401, 'invalid_client');
});

test('RFC 6749 §5.2 a disabled client is invalid_client with 401', async () => {
  const d = await createTestClient(s.gh);
  await s.gh.services.storage.clients.update(s.gh.ctx.tenantId, d.client_id, { disabled: true });
  await refused(
    { headers: { authorization: `Basic ${Buffer.from(`${d.client_id}:${d.client_secret}`).toString('base64')}` }, body: 'grant_type=client_credentials' },
    401,
    'invalid_client',
  );
});

test('RFC 6749 §2.3 two client authentication methods in one request are invalid_request', async () => {
  await refused({ body: `grant_type=client_credentials&client_id=${c.client_id}&client_secret=${c.client_secret}` }, 400, 'invalid_request');
});

test('RFC 6749 §3.1 malformed percent-encoding does not break the parser', async () => {
  await refused({ body: 'grant_type=%E0%A4%A&scope=%' }, 400, 'unsupported_grant_type');
});

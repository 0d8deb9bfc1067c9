/**
 * Endpoint rate limits over HTTP (docs/operations.md "Rate limits"): every limited endpoint answers
 * 429 past its per-address budget, with `Retry-After` (RFC 9110 §10.2.3) and the
 * draft-ietf-httpapi-ratelimit-headers fields, a JSON OAuth error for the API endpoints and the
 * error page for the authorization endpoint; the per-client budget counts authenticated clients
 * only; exempt endpoints are never limited; `rateLimits.enabled: false` turns it all off.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { EventMap } from '../../src/core/events.ts';
import { fixedClock, createTestClient, startTestServer, type TestServer } from '../support/server.ts';

const ONE = { perAddress: 1, perClient: 0 };
const EVERY_ENDPOINT_ONE = {
  token: ONE,
  authorization: { perAddress: 1 },
  par: ONE,
  deviceAuthorization: ONE,
  introspection: ONE,
  revocation: ONE,
  registration: { perAddress: 1 },
  userinfo: { perAddress: 1 },
};

const form = (body: Record<string, string>, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(body).toString(),
});

/** One request per limited endpoint, valid or not (a refusal by the limit must not depend on it). */
const REQUESTS: readonly (readonly [string, string, RequestInit?])[] = [
  ['token', '/token', form({ grant_type: 'client_credentials' })],
  ['authorization', '/authorize?client_id=x&response_type=code'],
  ['par', '/par', form({ client_id: 'x' })],
  ['deviceAuthorization', '/device_authorization', form({ client_id: 'x' })],
  ['introspection', '/introspect', form({ token: 'x' })],
  ['revocation', '/revoke', form({ token: 'x' })],
  ['registration', '/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }],
  ['userinfo', '/userinfo', { headers: { authorization: 'Bearer x' } }],
];

/**
 * draft-ietf-httpapi-ratelimit-headers (-10 / -11): `RateLimit-Policy: "<name>";q=<quota>;w=<window>`
 * and `RateLimit: "<name>";r=<remaining>;t=<seconds to reset>`; RFC 9110 §10.2.3 `Retry-After` in seconds.
 */
function assertRateLimitHeaders(res: Response, policy: string, quota: number, window: number): number {
  assert.equal(res.status, 429, `${policy}: 429`);
  const retryAfter = Number(res.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= window, `${policy}: Retry-After ${res.headers.get('retry-after')}`);
  assert.equal(res.headers.get('ratelimit-policy'), `"${policy}";q=${quota};w=${window}`);
  assert.equal(res.headers.get('ratelimit'), `"${policy}";r=0;t=${retryAfter}`);
  return retryAfter;
}

describe('per-address budgets', () => {
  let s: TestServer;
  const hits: EventMap['rate_limit.hit'][] = [];
  after(() => s?.close());

  test('every limited endpoint answers 429 past its per-address budget, with Retry-After and RateLimit headers; rate_limit.hit per refusal', async () => {
    s = await startTestServer({ registration: { enabled: true }, rateLimits: EVERY_ENDPOINT_ONE }, { clock: fixedClock() });
    s.gh.ctx.events.on('rate_limit.hit', (e) => hits.push(e));
    for (const [endpoint, path, init] of REQUESTS) {
      const first = await fetch(s.url + path, init);
      assert.notEqual(first.status, 429, `${path}: the first request is within budget`);
      await first.arrayBuffer();
      const res = await fetch(s.url + path, init);
      assertRateLimitHeaders(res, `${endpoint}.address`, 1, 60);
      assert.equal(res.headers.get('cache-control'), 'no-store', `${path}: no-store`);
      if (endpoint === 'authorization') {
        // A browser endpoint: the error page, not JSON (the client's redirect_uri is not yet validated).
        assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
        assert.match(await res.text(), /temporarily_unavailable/);
      } else {
        // RFC 6749 has no 429 code: temporarily_unavailable is the registered "try again later".
        assert.deepEqual(await res.json(), { error: 'temporarily_unavailable', error_description: 'too many requests, retry later' });
      }
    }
    assert.deepEqual(
      hits.map((h) => h.policy),
      REQUESTS.map(([e]) => `${e}.address`),
    );
    assert.ok(hits.every((h) => h.clientId === null && h.route.startsWith('/')));
  });

  test('exempt endpoints are never limited: health, ready, metrics, JWKS, discovery, assets', async () => {
    for (const path of ['/health', '/ready', '/metrics', '/jwks.json', '/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      for (let i = 0; i < 4; i++) {
        const res = await fetch(s.url + path);
        assert.notEqual(res.status, 429, path);
        await res.arrayBuffer();
      }
    }
  });
});

describe('per-client budgets', () => {
  let s: TestServer;
  after(() => s?.close());

  test('an authenticated client is limited across addresses by its own budget; 429 names the client policy', async () => {
    s = await startTestServer({ rateLimits: { token: { perAddress: 0, perClient: 2, window: 30 } } }, { clock: fixedClock() });
    const hits: EventMap['rate_limit.hit'][] = [];
    s.gh.ctx.events.on('rate_limit.hit', (e) => hits.push(e));
    const a = await createTestClient(s.gh);
    const b = await createTestClient(s.gh);
    const basic = (c: { client_id: string; client_secret: string }) => ({
      authorization: `Basic ${Buffer.from(`${c.client_id}:${c.client_secret}`).toString('base64')}`,
    });
    const cc = (c: { client_id: string; client_secret: string }) => fetch(`${s.url}/token`, form({ grant_type: 'client_credentials' }, basic(c)));
    assert.equal((await cc(a)).status, 200);
    assert.equal((await cc(a)).status, 200);
    const refused = await cc(a);
    assertRateLimitHeaders(refused, 'token.client', 2, 30);
    assert.equal(((await refused.json()) as { error: string }).error, 'temporarily_unavailable');
    assert.equal((await cc(b)).status, 200, 'another client has its own budget');
    assert.deepEqual(hits, [{ tenantId: s.gh.services.tenantId, policy: 'token.client', route: '/token', clientId: a.client_id }]);
  });

  test('a request naming a client_id without its credential does not spend that client’s budget (counted after authentication)', async () => {
    const c = await createTestClient(s.gh);
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${s.url}/token`, form({ grant_type: 'client_credentials', client_id: c.client_id, client_secret: 'wrong' }));
      assert.equal(res.status, 401);
    }
    const ok = await fetch(
      `${s.url}/token`,
      form({ grant_type: 'client_credentials' }, { authorization: `Basic ${Buffer.from(`${c.client_id}:${c.client_secret}`).toString('base64')}` }),
    );
    assert.equal(ok.status, 200);
  });
});

describe('switched off', () => {
  let s: TestServer;
  after(() => s?.close());

  test('rateLimits.enabled: false lifts every endpoint budget and the penalty bucket', async () => {
    s = await startTestServer({ rateLimits: { ...EVERY_ENDPOINT_ONE, enabled: false, clientAuthFailures: { limit: 1 } } }, { clock: fixedClock() });
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${s.url}/token`, form({ grant_type: 'client_credentials', client_id: 'someone', client_secret: 'wrong' }));
      assert.equal(res.status, 401);
      await res.arrayBuffer();
    }
  });
});

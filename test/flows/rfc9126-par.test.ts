/**
 * RFC 9126 OAuth 2.0 Pushed Authorization Requests over real HTTP: openid-client pushes
 * (buildAuthorizationUrlWithPAR) and the browser follows the short authorization URL; raw pushes
 * through oauth4webapi cover the error cases a client library would not send.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import * as oidc from 'openid-client';
import { sha256 } from '../../src/core/crypto.ts';
import type { ParRecord } from '../../src/core/model/par-request.ts';
import { REQUEST_URI_PREFIX } from '../../src/core/par/pushed-requests.ts';
import { INSECURE } from '../support/oauth-client.ts';
import {
  assertErrorPage,
  callbackOf,
  createRp,
  createTestUser,
  rpConfig,
  serverMetadata,
  startOidcServer,
  startRpFlow,
  type OidcServer,
  type TestRp,
  type TestUser,
} from '../support/oidc.ts';
import { UserAgent, type Outcome } from '../support/user-agent.ts';

let op: OidcServer;
let alice: TestUser;
let rp: TestRp;
let as: oauth.AuthorizationServer;

const login = () => ({ username: alice.username, password: alice.password });

async function pkce() {
  const verifier = oidc.randomPKCECodeVerifier();
  return { verifier, challenge: await oidc.calculatePKCECodeChallenge(verifier) };
}

/** A raw push by `client` (Basic when it has a secret, client_id alone otherwise). */
async function push(client: TestRp, params: Record<string, string>, secret = client.client_secret): Promise<Response> {
  const auth = client.kind === 'public' ? oauth.None() : oauth.ClientSecretBasic(secret);
  return oauth.pushedAuthorizationRequest(as, { client_id: client.client_id }, auth, params, INSECURE);
}

async function goodParams(client: TestRp = rp): Promise<{ params: Record<string, string>; verifier: string }> {
  const { verifier, challenge } = await pkce();
  return {
    verifier,
    params: {
      response_type: 'code',
      redirect_uri: client.redirect_uri,
      scope: 'openid email',
      state: 'st-1',
      nonce: 'n-1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    },
  };
}

/**
 * The authorization request was refused with invalid_request_uri: on an error page, or sent back
 * to the client's only registered redirect URI (the client is known, so RFC 6749 §4.1.2.1 lets
 * the error go there). Never a code.
 */
function assertRequestUriRefused(out: Outcome, client: TestRp): void {
  if (out.kind === 'page') {
    assertErrorPage(out);
    return;
  }
  assert.equal(out.kind, 'redirect', 'no form_post');
  if (out.kind !== 'redirect') return;
  assert.equal(`${out.url.origin}${out.url.pathname}`, client.redirect_uri);
  assert.equal(out.url.searchParams.get('error'), 'invalid_request_uri');
  assert.equal(out.url.searchParams.get('iss'), op.url);
  assert.equal(out.url.searchParams.get('code'), null);
}

/**
 * Runs `fn` while recording what the server's ParStore is asked to insert (a wrapper on the real
 * store instance every service holds: the rows stay in the store).
 */
async function recordingInserts<T>(fn: (stored: readonly ParRecord[]) => Promise<T>): Promise<T> {
  const store = op.gh.services.storage.par;
  const insert = store.insert;
  const stored: ParRecord[] = [];
  store.insert = (record) => {
    stored.push(structuredClone(record));
    return insert.call(store, record);
  };
  try {
    return await fn(stored);
  } finally {
    store.insert = insert;
  }
}

/** What the store holds for `requestUri` now, by a take (which spends it if it is unused). */
const takeFromStore = (requestUri: string) => op.gh.services.storage.par.take(op.gh.ctx.tenantId, sha256(requestUri), Math.floor(op.clock.now() / 1000));

const authorizeUrl = (clientId: string, requestUri: string) =>
  new URL(`${op.url}/authorize?${new URLSearchParams({ client_id: clientId, request_uri: requestUri })}`);

before(async () => {
  ({ op, user: alice, rp } = await startRpFlow({ user: { username: 'alice-par' } }));
  as = (await serverMetadata(op.url)) as unknown as oauth.AuthorizationServer;
});

after(async () => {
  await op.close();
});

describe('RFC 9126 Pushed Authorization Requests', () => {
  test('RFC 9126 §5 discovery advertises pushed_authorization_request_endpoint and require_pushed_authorization_requests', () => {
    assert.equal(as.pushed_authorization_request_endpoint, `${op.url}/par`);
    assert.equal(as.require_pushed_authorization_requests, false);
  });

  test('RFC 9126 §2.2 a push answers 201 with a urn request_uri and expires_in; the authorization request needs only client_id and request_uri', async () => {
    const { params, verifier } = await goodParams();
    const res = await push(rp, params);
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const body = await oauth.processPushedAuthorizationResponse(as, { client_id: rp.client_id }, res);
    assert.ok(body.request_uri.startsWith(REQUEST_URI_PREFIX));
    assert.ok(body.request_uri.length - REQUEST_URI_PREFIX.length >= 22, 'RFC 9126 §7.1: ≥ 128 bits of reference');
    assert.equal(body.expires_in, 60);
    const cb = callbackOf(await new UserAgent(op.url).authorize(authorizeUrl(rp.client_id, body.request_uri), login()));
    const tokens = await oidc.authorizationCodeGrant(await rpConfig(op, rp), cb, { pkceCodeVerifier: verifier, expectedState: 'st-1', expectedNonce: 'n-1' });
    assert.equal(tokens.claims()?.sub, alice.id);
  });

  test('RFC 9126 §2 openid-client buildAuthorizationUrlWithPAR completes a code flow (public client, PKCE)', async () => {
    const pub = await createRp(op.gh, 'public');
    const cfg = await rpConfig(op, pub);
    const { params, verifier } = await goodParams(pub);
    const url = await oidc.buildAuthorizationUrlWithPAR(cfg, params);
    assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request_uri']);
    const tokens = await oidc.authorizationCodeGrant(cfg, callbackOf(await new UserAgent(op.url).authorize(url, login())), {
      pkceCodeVerifier: verifier,
      expectedState: 'st-1',
      expectedNonce: 'n-1',
    });
    assert.equal(tokens.claims()?.sub, alice.id);
  });

  test('RFC 9126 §4 a request_uri is used once: the second authorization request gets an error page', async () => {
    const { params } = await goodParams();
    const body = await oauth.processPushedAuthorizationResponse(as, { client_id: rp.client_id }, await push(rp, params));
    callbackOf(await new UserAgent(op.url).authorize(authorizeUrl(rp.client_id, body.request_uri), login()));
    assertRequestUriRefused(await new UserAgent(op.url).authorize(authorizeUrl(rp.client_id, body.request_uri), login()), rp);
  });

  test('RFC 9126 §2.2 a request_uri past expires_in is refused', async () => {
    const { params } = await goodParams();
    const body = await oauth.processPushedAuthorizationResponse(as, { client_id: rp.client_id }, await push(rp, params));
    op.clock.advance(body.expires_in);
    try {
      assertRequestUriRefused(await new UserAgent(op.url).authorize(authorizeUrl(rp.client_id, body.request_uri), login()), rp);
    } finally {
      op.clock.advance(-body.expires_in);
    }
  });

  test('RFC 9126 §4 a request_uri presented with another client_id is refused (and burnt)', async () => {
    const other = await createRp(op.gh);
    const { params } = await goodParams();
    const body = await oauth.processPushedAuthorizationResponse(as, { client_id: rp.client_id }, await push(rp, params));
    assertRequestUriRefused(await new UserAgent(op.url).authorize(authorizeUrl(other.client_id, body.request_uri), login()), other);
    assertRequestUriRefused(await new UserAgent(op.url).authorize(authorizeUrl(rp.client_id, body.request_uri), login()), rp);
  });

  test('RFC 9126 §2.1 the pushed request is validated for the client authenticated at /par: one ClientStore.get per push', async () => {
    const store = op.gh.services.storage.clients;
    const get = store.get;
    let gets = 0;
    // Counting wrapper on the real store instance every service holds.
    store.get = (...args) => {
      gets++;
      return get.apply(store, args);
    };
    try {
      const { params } = await goodParams();
      const res = await push(rp, params);
      assert.equal(res.status, 201);
      assert.equal(gets, 1, 'read once, by client authentication');
    } finally {
      store.get = get;
    }
  });

  test('RFC 9126 §2.1 client authentication is required as at the token endpoint (invalid_client 401)', async () => {
    const { params } = await goodParams();
    const res = await push(rp, params, 'not-the-secret');
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_client');
    const anonymous = await fetch(`${op.url}/par`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params),
    });
    assert.equal(anonymous.status, 401);
  });

  test('RFC 9126 §2.1 request_uri must not be pushed (invalid_request)', async () => {
    const { params } = await goodParams();
    const res = await push(rp, { ...params, request_uri: `${REQUEST_URI_PREFIX}abc` });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_request');
  });

  test('RFC 9126 §2.1 pushed parameters are validated as at the authorization endpoint; errors are JSON', async () => {
    const { params } = await goodParams();
    const cases: [Record<string, string>, TestRp, string][] = [
      [{ ...params, redirect_uri: 'https://evil.example/cb' }, rp, 'invalid_request'],
      [{ ...params, response_type: 'token' }, rp, 'unsupported_response_type'],
      [{ ...params, scope: 'openid admin' }, rp, 'invalid_scope'],
    ];
    const pub = await createRp(op.gh, 'public');
    const { params: pubParams } = await goodParams(pub);
    const { code_challenge: _c, code_challenge_method: _m, ...noPkce } = pubParams;
    cases.push([noPkce, pub, 'invalid_request']);
    for (const [p, client, error] of cases) {
      const res = await push(client, p);
      assert.equal(res.status, 400, JSON.stringify(p));
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(((await res.json()) as { error: string }).error, error, JSON.stringify(p));
    }
  });

  test('RFC 9126 §5/§6 require_pushed_authorization_requests: per client, the authorization endpoint refuses a plain request', async () => {
    const strict = await createRp(op.gh, 'confidential', { require_pushed_authorization_requests: true });
    const { params } = await goodParams(strict);
    const plain = new URL(`${op.url}/authorize?${new URLSearchParams({ ...params, client_id: strict.client_id })}`);
    const out = await new UserAgent(op.url).authorize(plain, login());
    const p = out.kind === 'redirect' ? out.url.searchParams : null;
    assert.equal(p?.get('error'), 'invalid_request', 'the plain request is refused back to the client');
    assert.equal(p?.get('code'), null);
    const body = await oauth.processPushedAuthorizationResponse(as, { client_id: strict.client_id }, await push(strict, params));
    callbackOf(await new UserAgent(op.url).authorize(authorizeUrl(strict.client_id, body.request_uri), login()));
  });

  test('RFC 9126 §5 authorization.requirePar: every client must push, and discovery says so', async () => {
    const strictOp = await startOidcServer({ keys: { algorithms: ['ES256'] }, tokens: { idTokenSigningAlg: 'ES256' }, authorization: { requirePar: true } });
    try {
      const meta = await serverMetadata(strictOp.url);
      assert.equal(meta.require_pushed_authorization_requests, true);
      const user = await createTestUser(strictOp.gh, { username: 'bob-par' });
      const c = await createRp(strictOp.gh);
      const cfg = await rpConfig(strictOp, c);
      const { params, verifier } = await goodParams(c);
      const plain = oidc.buildAuthorizationUrl(cfg, params);
      const out = await new UserAgent(strictOp.url).authorize(plain, { username: user.username, password: user.password });
      assert.equal(out.kind === 'redirect' ? out.url.searchParams.get('error') : out.kind, 'invalid_request');
      const url = await oidc.buildAuthorizationUrlWithPAR(cfg, params);
      const cb = callbackOf(await new UserAgent(strictOp.url).authorize(url, { username: user.username, password: user.password }));
      const tokens = await oidc.authorizationCodeGrant(cfg, cb, { pkceCodeVerifier: verifier, expectedState: 'st-1', expectedNonce: 'n-1' });
      assert.equal(tokens.claims()?.sub, user.id);
    } finally {
      await strictOp.close();
    }
  });
});

describe('RFC 9126 §2.1 what a pushed request stores (CWE-770)', () => {
  test('RFC 9126 §2.1 with RFC 6749 §3.1 "MUST ignore unrecognized request parameters": a 60 KB unknown parameter is accepted (201) but not stored; the authorization works', async () => {
    const pub = await createRp(op.gh, 'public');
    const { params, verifier } = await goodParams(pub);
    await recordingInserts(async (stored) => {
      const res = await push(pub, { ...params, x_filler: 'a'.repeat(60_000) });
      assert.equal(res.status, 201);
      const { request_uri } = await oauth.processPushedAuthorizationResponse(as, { client_id: pub.client_id }, res);
      assert.equal(stored.length, 1);
      assert.deepEqual(stored[0]?.params, { ...params, client_id: pub.client_id }, 'only the recognized parameters');
      assert.ok(JSON.stringify(stored[0]).length < 1024);
      const cb = callbackOf(await new UserAgent(op.url).authorize(authorizeUrl(pub.client_id, request_uri), login()));
      const tokens = await oidc.authorizationCodeGrant(await rpConfig(op, pub), cb, {
        pkceCodeVerifier: verifier,
        expectedState: 'st-1',
        expectedNonce: 'n-1',
      });
      assert.equal(tokens.claims()?.sub, alice.id);
    });
  });

  test('RFC 9126 §4 once the request_uri is used at /authorize the store keeps none of its parameters', async () => {
    const { params } = await goodParams();
    const { request_uri } = await oauth.processPushedAuthorizationResponse(as, { client_id: rp.client_id }, await push(rp, params));
    callbackOf(await new UserAgent(op.url).authorize(authorizeUrl(rp.client_id, request_uri), login()));
    const row = await takeFromStore(request_uri);
    assert.equal(row.result, 'already-consumed', 'RFC 9126 §4 one-time use still recorded');
    assert.deepEqual(row.result === 'already-consumed' ? row.record.params : null, {});
  });

  test('authorization.parMaxStoredBytes: a push within http.bodyLimit whose parameters exceed the cap is invalid_request (400) and nothing is stored', async () => {
    const { params } = await goodParams();
    // Each value within its own limit: sixteen resource values (RFC 8707 §2); or a large claims
    // request (OIDC Core §5.5) with a long state and nonce and a few resource values.
    const resources = new URLSearchParams(params);
    for (let i = 0; i < 16; i++) resources.append('resource', `https://api${i}.example/${'r'.repeat(1100)}`);
    const wanted = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`https://claims.example/${String(i).padStart(2, '0')}/${'c'.repeat(90)}`, null]));
    const mixed = new URLSearchParams({ ...params, claims: JSON.stringify({ userinfo: wanted }), state: 's'.repeat(2048), nonce: 'n'.repeat(2048) });
    for (let i = 0; i < 6; i++) mixed.append('resource', `https://api${i}.example/${'r'.repeat(1000)}`);
    await recordingInserts(async (stored) => {
      for (const body of [resources, mixed]) {
        assert.ok(body.toString().length < 60_000, 'within http.bodyLimit');
        const res = await oauth.pushedAuthorizationRequest(as, { client_id: rp.client_id }, oauth.ClientSecretBasic(rp.client_secret), body, INSECURE);
        assert.equal(res.status, 400);
        const err = (await res.json()) as { error: string; error_description?: string };
        assert.equal(err.error, 'invalid_request');
        assert.match(err.error_description ?? '', /too large/, 'refused for its size, not its content');
      }
      assert.equal(stored.length, 0, 'nothing stored');
    });
  });
});

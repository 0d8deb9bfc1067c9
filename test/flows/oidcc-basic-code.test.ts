/**
 * OpenID Connect Basic OP conformance plan, part 3: the authorization code itself (single use,
 * redirect URI rules, PKCE), request objects and the refresh token grant.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { exportJWK, generateKeyPair, UnsecuredJWT } from 'jose';
import * as oidc from 'openid-client';
import {
  assertAuthorizationError,
  assertErrorPage,
  authorizeCode,
  authRequest,
  callbackOf,
  codeFlow,
  createRp,
  createTestUser,
  rpConfig,
  serverMetadata,
  startOidcServer,
  startRpFlow,
  tokenRequest,
  userinfo,
  type OidcServer,
  type TestRp,
  type TestUser,
} from '../support/oidc.ts';
import { UserAgent } from '../support/user-agent.ts';

let op: OidcServer;
let alice: TestUser;
let rp: TestRp;
let cfg: oidc.Configuration;
before(async () => {
  ({ op, user: alice, rp, cfg } = await startRpFlow());
});
after(() => op?.close());

const ua = () => new UserAgent(op.url);
const login = {
  get username() {
    return alice.username;
  },
  get password() {
    return alice.password;
  },
};

async function codeReuse(advanceSeconds: number): Promise<void> {
  const { req, callback, code } = await authorizeCode(cfg, rp, ua(), alice);
  const tokens = await oidc.authorizationCodeGrant(cfg, callback, { pkceCodeVerifier: req.verifier, expectedState: req.state, expectedNonce: req.nonce });
  assert.equal((await userinfo(op, tokens.access_token)).status, 200, 'the first access token works');
  op.clock.advance(advanceSeconds);
  const again = await tokenRequest(op, rp, { grant_type: 'authorization_code', code, redirect_uri: rp.redirect_uri, code_verifier: req.verifier });
  // RFC 6749 §4.1.2: "If an authorization code is used more than once, the authorization server
  // MUST deny the request and SHOULD revoke (when possible) all tokens previously issued based on that authorization code."
  assert.equal(again.status, 400);
  assert.equal(again.body['error'], 'invalid_grant');
  assert.equal(again.body['access_token'], undefined);
  const res = await userinfo(op, tokens.access_token);
  assert.equal(res.status, 401, 'the access token issued from the code is revoked');
  assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
}

test('oidcc-codereuse', () => codeReuse(0));
test('oidcc-codereuse-30seconds', () => codeReuse(30));

test('RFC 6749 §5.1 the token response is not cached and the ID token lives tokens.idTokenTtl', async () => {
  const { req, code } = await authorizeCode(cfg, rp, ua(), alice);
  const res = await tokenRequest(op, rp, { grant_type: 'authorization_code', code, redirect_uri: rp.redirect_uri, code_verifier: req.verifier });
  assert.equal(res.status, 200);
  // "The authorization server MUST include the HTTP "Cache-Control" response header field with a value of "no-store""
  assert.match(res.headers.get('cache-control') ?? '', /no-store/);
  assert.equal(String(res.body['token_type']).toLowerCase(), 'bearer');
  const claims = JSON.parse(Buffer.from(String(res.body['id_token']).split('.')[1]!, 'base64url').toString()) as { iat: number; exp: number };
  assert.equal(claims.exp - claims.iat, op.gh.ctx.config.tokens.idTokenTtl);
});

test('RFC 6749 §4.1.3 redirect_uri is required at the token endpoint when it was in the request', async () => {
  const { req, code } = await authorizeCode(cfg, rp, ua(), alice);
  const res = await tokenRequest(op, rp, { grant_type: 'authorization_code', code, code_verifier: req.verifier });
  assert.equal(res.status, 400);
  assert.ok(['invalid_grant', 'invalid_request'].includes(String(res.body['error'])), String(res.body['error']));
});

test('RFC 6749 §4.1.2 an expired code is refused (authorization.codeTtl)', async () => {
  const { req, code } = await authorizeCode(cfg, rp, ua(), alice);
  op.clock.advance(op.gh.ctx.config.authorization.codeTtl + 1);
  const res = await tokenRequest(op, rp, { grant_type: 'authorization_code', code, redirect_uri: rp.redirect_uri, code_verifier: req.verifier });
  assert.equal(res.status, 400);
  assert.equal(res.body['error'], 'invalid_grant');
});

test('oidcc-ensure-registered-redirect-uri', async () => {
  const req = await authRequest(cfg, rp, { redirect_uri: 'https://attacker.example/cb' });
  // RFC 6749 §4.1.2.1: "the authorization server SHOULD inform the resource owner of the error
  // and MUST NOT automatically redirect the user-agent to the invalid redirection URI."
  assertErrorPage(await ua().authorize(req.url, login));
});

test('oidcc-ensure-redirect-uri-in-authorization-request', async () => {
  const req = await authRequest(cfg, rp);
  req.url.searchParams.delete('redirect_uri');
  // OIDC Core §3.1.2.1: redirect_uri is REQUIRED in an OpenID request.
  assertErrorPage(await ua().authorize(req.url, login));
});

test('oidcc-redirect-uri-query-OK', async () => {
  const qrp = await createRp(op.gh, 'confidential', { redirect_uris: ['https://rp.example.test/cb?foo=bar'] });
  const qcfg = await rpConfig(op, qrp);
  const { req, callback, code } = await authorizeCode(qcfg, qrp, ua(), alice);
  // RFC 6749 §3.1.2: the query component of a registered URI "MUST be retained when adding additional query parameters".
  assert.equal(callback.searchParams.get('foo'), 'bar');
  assert.equal(callback.searchParams.get('iss'), op.url);
  // openid-client derives redirect_uri by stripping the query, so the exact URI is sent by hand.
  const res = await tokenRequest(op, qrp, { grant_type: 'authorization_code', code, redirect_uri: qrp.redirect_uri, code_verifier: req.verifier });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.ok(res.body['id_token']);
});

test('oidcc-redirect-uri-query-mismatch', async () => {
  const qrp = await createRp(op.gh, 'confidential', { redirect_uris: ['https://rp.example.test/cb?foo=bar'] });
  const req = await authRequest(await rpConfig(op, qrp), qrp, { redirect_uri: 'https://rp.example.test/cb?foo=zot' });
  assertErrorPage(await ua().authorize(req.url, login));
});

test('oidcc-redirect-uri-query-added', async () => {
  const req = await authRequest(cfg, rp, { redirect_uri: `${rp.redirect_uri}?foo=bar` });
  assertErrorPage(await ua().authorize(req.url, login));
});

test('oidcc-ensure-post-request-succeeds', async () => {
  const req = await authRequest(cfg, rp);
  const browser = ua();
  // OIDC Core §3.1.2.1: "Authorization Servers MUST support the use of the HTTP GET and POST methods"
  const out = await browser.navigate(`${op.url}/authorize`, { method: 'POST', body: req.url.searchParams });
  const done = out.kind === 'page' ? await browser.login(out.page, alice.username, alice.password) : out;
  const final = done.kind === 'page' && done.page.kind === 'consent' ? await browser.consent(done.page, 'allow') : done;
  const tokens = await oidc.authorizationCodeGrant(cfg, callbackOf(final), {
    pkceCodeVerifier: req.verifier,
    expectedState: req.state,
    expectedNonce: req.nonce,
  });
  assert.equal(tokens.claims()!.sub, alice.id);
});

test('oidcc-ensure-request-with-valid-pkce-succeeds', async () => {
  const pub = await createRp(op.gh, 'public');
  const r = await codeFlow(op, await rpConfig(op, pub), pub, ua(), alice);
  assert.deepEqual([r.claims.aud].flat(), [pub.client_id]);
});

test('oidcc-ensure-pkce-required-for-public-clients', async () => {
  const pub = await createRp(op.gh, 'public');
  const req = await authRequest(await rpConfig(op, pub), pub);
  req.url.searchParams.delete('code_challenge');
  req.url.searchParams.delete('code_challenge_method');
  // RFC 7636 §4.4.1 / OAuth 2.1: a public client must send a code_challenge → invalid_request
  assertAuthorizationError(op, await ua().authorize(req.url, login), pub, 'invalid_request', req.state);
});

test('oidcc-ensure-pkce-code-verifier-required', async () => {
  const { code } = await authorizeCode(cfg, rp, ua(), alice);
  const res = await tokenRequest(op, rp, { grant_type: 'authorization_code', code, redirect_uri: rp.redirect_uri });
  // RFC 7636 §4.6: a code bound to a challenge is not redeemed without the verifier.
  assert.equal(res.status, 400);
  assert.equal(res.body['error'], 'invalid_grant');
});

test('oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported', async () => {
  // Default configuration: `alg: none` is refused (RFC 9101 §6.1 lets the server require signed objects).
  const state = oidc.randomState();
  const object = new UnsecuredJWT({
    exp: Math.floor(op.clock.now() / 1000) + 60,
    iss: rp.client_id,
    aud: op.url,
    client_id: rp.client_id,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: rp.redirect_uri,
    state,
    nonce: 'n-1',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  }).encode();
  const url = new URL(`${op.url}/authorize`);
  url.search = new URLSearchParams({
    client_id: rp.client_id,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: rp.redirect_uri,
    state,
    request: object,
  }).toString();
  const out = await ua().authorize(url, login);
  if (out.kind === 'page') assertErrorPage(out);
  else assertAuthorizationError(op, out, rp, ['request_not_supported', 'invalid_request_object'], state);

  // Enabled: the object is honoured and its parameters (not the outer ones) apply.
  const other = await startOidcServer({
    keys: { algorithms: ['ES256'] },
    tokens: { idTokenSigningAlg: 'ES256' },
    authorization: { allowUnsignedRequestObjects: true },
  });
  try {
    const user = await createTestUser(other.gh);
    const orp = await createRp(other.gh);
    const ocfg = await rpConfig(other, orp);
    const verifier = oidc.randomPKCECodeVerifier();
    // docs/par-jar.md: Gatehouse requires exp in every request object (openid-client sets it too).
    const inner = {
      exp: Math.floor(other.clock.now() / 1000) + 60,
      iss: orp.client_id,
      aud: other.url,
      client_id: orp.client_id,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: orp.redirect_uri,
      state: 'inner-state',
      nonce: 'inner-nonce',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    };
    const u = new URL(`${other.url}/authorize`);
    u.search = new URLSearchParams({
      client_id: orp.client_id,
      response_type: 'code',
      scope: 'openid',
      state: 'outer-state',
      request: new UnsecuredJWT(inner).encode(),
    }).toString();
    const cb = callbackOf(await new UserAgent(other.url).authorize(u, { username: user.username, password: user.password }));
    const tokens = await oidc.authorizationCodeGrant(ocfg, cb, { pkceCodeVerifier: verifier, expectedState: 'inner-state', expectedNonce: 'inner-nonce' });
    assert.equal(tokens.claims()!.sub, user.id);
  } finally {
    await other.close();
  }
});

test('oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported', async () => {
  const req = await authRequest(cfg, rp, { request_uri: 'https://rp.example.test/request.jwt' });
  // Discovery says request_uri_parameter_supported=false: only PAR's URNs are accepted, nothing is fetched.
  const meta = await serverMetadata(op.url);
  assert.equal(meta.request_uri_parameter_supported, false);
  const out = await ua().authorize(req.url, login);
  if (out.kind === 'page') assertErrorPage(out);
  else assertAuthorizationError(op, out, rp, ['request_uri_not_supported', 'invalid_request_uri'], req.state);
});

test('oidcc-ensure-request-object-with-redirect-uri', async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'rp-key-1', alg: 'ES256', use: 'sig' };
  const jrp = await createRp(op.gh, 'confidential', { jwks: { keys: [jwk] }, request_object_signing_alg: 'ES256' });
  const jcfg = await rpConfig(op, jrp);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  // RFC 9101 §5: a signed request object carrying redirect_uri (openid-client puts only client_id and request outside).
  const url = await oidc.buildAuthorizationUrlWithJAR(
    jcfg,
    {
      redirect_uri: jrp.redirect_uri,
      scope: 'openid',
      response_type: 'code',
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    },
    { key: privateKey, kid: 'rp-key-1' },
  );
  assert.equal(url.searchParams.get('redirect_uri'), null);
  const cb = callbackOf(await ua().authorize(url, login));
  const tokens = await oidc.authorizationCodeGrant(jcfg, cb, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
  assert.equal(tokens.claims()!.sub, alice.id);
});

test('oidcc-refresh-token', async () => {
  const r = await codeFlow(op, cfg, rp, ua(), alice, { scope: 'openid offline_access email', prompt: 'consent' });
  assert.ok(r.tokens.refresh_token, 'OIDC Core §11: offline_access with prompt=consent yields a refresh token');
  const refreshed = await oidc.refreshTokenGrant(cfg, r.tokens.refresh_token);
  assert.ok(refreshed.access_token && refreshed.access_token !== r.tokens.access_token);
  assert.ok(refreshed.refresh_token && refreshed.refresh_token !== r.tokens.refresh_token, 'rotated');
  const c = refreshed.claims();
  if (c) {
    // OIDC Core §12.2: iss, sub, aud the same; auth_time the original sign-in.
    assert.equal(c.iss, r.claims.iss);
    assert.equal(c.sub, r.claims.sub);
    assert.deepEqual(c.aud, r.claims.aud);
    assert.equal(c.auth_time, r.claims.auth_time);
  }
  const info = await oidc.fetchUserInfo(cfg, refreshed.access_token, r.claims.sub);
  assert.equal(info.email, alice.claims.email);
  // A refresh token belongs to its client (RFC 6749 §6): another client gets invalid_grant.
  const intruder = await createRp(op.gh);
  const stolen = await tokenRequest(op, intruder, { grant_type: 'refresh_token', refresh_token: refreshed.refresh_token });
  assert.equal(stolen.status, 400);
  assert.equal(stolen.body['error'], 'invalid_grant');
});

/**
 * OpenID Connect Hybrid OP conformance plan: `code id_token`, `code token`, `code id_token token`
 * (OIDC Core §3.3). openid-client validates `code id_token` end to end; oauth4webapi validates
 * the front-channel ID token (signature, nonce, c_hash) of `code id_token token`, and at_hash is
 * checked against the access token received beside it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import * as oauth from 'oauth4webapi';
import * as oidc from 'openid-client';
import {
  assertAuthorizationError,
  callbackOf,
  createRp,
  outcomeParams,
  rpConfig,
  serverMetadata,
  startRpFlow,
  userinfo,
  type OidcServer,
  type TestRp,
  type TestUser,
} from '../support/oidc.ts';
import { UserAgent, type Outcome } from '../support/user-agent.ts';

export const HYBRID_TYPES = ['code id_token', 'code token', 'code id_token token'] as const;

let op: OidcServer;
let alice: TestUser;
let rp: TestRp;
before(async () => {
  ({ op, user: alice, rp } = await startRpFlow({ rp: { metadata: { response_types: ['code', ...HYBRID_TYPES] } } }));
});
after(() => op?.close());

const INSECURE = { [oauth.allowInsecureRequests]: true } as const;

/** OIDC Core §3.3.2.11: at_hash / c_hash = base64url of the left half of SHA-256 (RS256/ES256). */
function halfHash(value: string): string {
  const d = createHash('sha256').update(value, 'ascii').digest();
  return d.subarray(0, d.length / 2).toString('base64url');
}

interface HybridRun {
  readonly out: Outcome;
  readonly p: URLSearchParams;
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
}

async function hybrid(responseType: string, extra: Record<string, string> = {}): Promise<HybridRun> {
  const cfg = await rpConfig(op, rp);
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(cfg, {
    redirect_uri: rp.redirect_uri,
    scope: 'openid email',
    response_type: responseType,
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...extra,
  });
  if (extra['nonce'] === '') url.searchParams.delete('nonce');
  const out = await new UserAgent(op.url).authorize(url, { username: alice.username, password: alice.password });
  return { out, p: outcomeParams(out), state, nonce, verifier };
}

/** Redeems the code with oauth4webapi and checks the token endpoint's ID token against the front channel's sub. */
async function redeem(run: HybridRun, validated: URLSearchParams, frontSub: string | null): Promise<oauth.TokenEndpointResponse> {
  const as = await serverMetadata(op.url);
  const client: oauth.Client = { client_id: rp.client_id };
  const res = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    oauth.ClientSecretBasic(rp.client_secret),
    validated,
    rp.redirect_uri,
    run.verifier,
    INSECURE,
  );
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, res, { expectedNonce: run.nonce, requireIdToken: true });
  const claims = oauth.getValidatedIdTokenClaims(tokens)!;
  // OIDC Core §3.3.3.6: the token endpoint's ID token names the same sub as the front channel's.
  if (frontSub !== null) assert.equal(claims.sub, frontSub);
  else assert.equal(claims.sub, alice.id);
  return tokens;
}

test('oidcc-server (code id_token)', async () => {
  const cfg = await rpConfig(op, rp);
  oidc.useCodeIdTokenResponseType(cfg);
  const run = await hybrid('code id_token');
  const cb = callbackOf(run.out);
  // OAuth 2.0 Multiple Response Types §5: the default response mode of a hybrid type is fragment.
  assert.equal(cb.search, '');
  assert.ok(run.p.get('id_token') && run.p.get('code'));
  assert.equal(run.p.get('access_token'), null, 'no access token for code id_token');
  assert.equal(run.p.get('iss'), op.url);
  // openid-client validates the front-channel ID token (signature, nonce, c_hash), then redeems the code.
  const tokens = await oidc.authorizationCodeGrant(cfg, cb, { pkceCodeVerifier: run.verifier, expectedNonce: run.nonce, expectedState: run.state });
  const front = decodeJwt(run.p.get('id_token')!);
  assert.equal(front['c_hash'], halfHash(run.p.get('code')!));
  assert.equal(front['at_hash'], undefined, 'no at_hash without an access token in the response');
  assert.equal(front['email'], undefined, 'OIDC Core §5.4: scope claims go to UserInfo when an access token is issued');
  assert.equal(tokens.claims()!.sub, front.sub);
});

test('oidcc-server (code token)', async () => {
  const run = await hybrid('code token');
  const as = await serverMetadata(op.url);
  // RFC 9207: oauth4webapi requires iss (advertised) and checks state.
  const validated = oauth.validateAuthResponse(
    as,
    { client_id: rp.client_id },
    new URLSearchParams([...run.p].filter(([k]) => !['access_token', 'token_type', 'expires_in', 'scope'].includes(k))),
    run.state,
  );
  assert.equal(run.p.get('id_token'), null, 'no ID token for code token');
  assert.equal(run.p.get('token_type')?.toLowerCase(), 'bearer');
  const at = run.p.get('access_token')!;
  assert.ok(at);
  const res = await userinfo(op, at);
  assert.equal(res.status, 200, 'the front-channel access token works at UserInfo');
  assert.equal(((await res.json()) as { sub: string }).sub, alice.id);
  await redeem(run, validated, null);
});

test('oidcc-server (code id_token token)', async () => {
  const run = await hybrid('code id_token token');
  const as = await serverMetadata(op.url);
  const client: oauth.Client = { client_id: rp.client_id };
  // oauth4webapi: signature, iss, aud, exp, nonce and c_hash of the front-channel ID token.
  const validated = await oauth.validateCodeIdTokenResponse(as, client, new URLSearchParams(run.p), run.nonce, run.state, undefined, INSECURE);
  const idToken = run.p.get('id_token')!;
  const at = run.p.get('access_token')!;
  assert.ok(at);
  const front = decodeJwt(idToken);
  assert.ok(['RS256', 'ES256', 'PS256'].includes(decodeProtectedHeader(idToken).alg!));
  // OIDC Core §3.3.2.11: at_hash is REQUIRED when the ID token is issued with an access token.
  assert.equal(front['at_hash'], halfHash(at));
  assert.equal(front['c_hash'], halfHash(run.p.get('code')!));
  assert.equal((await userinfo(op, at)).status, 200);
  await redeem(run, validated, front.sub!);
});

for (const rt of ['code id_token', 'code id_token token'] as const) {
  test(`oidcc-ensure-request-without-nonce-fails (${rt})`, async () => {
    const run = await hybrid(rt, { nonce: '' });
    // OIDC Core §3.3.2.11: "nonce ... REQUIRED" when an ID token comes from the authorization endpoint.
    assertAuthorizationError(op, run.out, rp, 'invalid_request', run.state);
    assert.equal(callbackOf(run.out).search, '', 'the error uses the fragment, as the response type would');
  });
}

test('OIDC Core §3.3.2.2 an unregistered hybrid type is unauthorized_client', async () => {
  const codeOnly = await createRp(op.gh);
  const cfg = await rpConfig(op, codeOnly);
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(cfg, {
    redirect_uri: codeOnly.redirect_uri,
    scope: 'openid',
    response_type: 'code id_token',
    state,
    nonce: 'n',
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
  });
  const out = await new UserAgent(op.url).authorize(url, { username: alice.username, password: alice.password });
  assertAuthorizationError(op, out, codeOnly, ['unauthorized_client', 'unsupported_response_type'], state);
});

test('OIDC Core §3.2 implicit response types are refused by default (OAuth 2.1)', async () => {
  const cfg = await rpConfig(op, rp);
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(cfg, { redirect_uri: rp.redirect_uri, scope: 'openid', response_type: 'id_token', state, nonce: 'n' });
  const out = await new UserAgent(op.url).authorize(url, { username: alice.username, password: alice.password });
  if (out.kind === 'page') assert.ok(out.page.status >= 400);
  else assertAuthorizationError(op, out, rp, ['unsupported_response_type', 'unauthorized_client'], state);
  const meta = await serverMetadata(op.url);
  assert.ok(!meta.response_types_supported?.includes('id_token'), 'S17: not advertised');
});

test('oidcc-prompt-none-not-logged-in (code id_token)', async () => {
  const cfg = await rpConfig(op, rp);
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(cfg, {
    redirect_uri: rp.redirect_uri,
    scope: 'openid',
    response_type: 'code id_token',
    prompt: 'none',
    state,
    nonce: 'n',
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
  });
  const out = await new UserAgent(op.url).authorize(url);
  assertAuthorizationError(op, out, rp, 'login_required', state);
  assert.equal(callbackOf(out).search, '', 'OAuth 2.0 Multiple Response Types §5: the error is in the fragment');
});

test('oidcc-codereuse (code id_token)', async () => {
  const run = await hybrid('code id_token');
  const as = await serverMetadata(op.url);
  const validated = await oauth.validateCodeIdTokenResponse(
    as,
    { client_id: rp.client_id },
    new URLSearchParams(run.p),
    run.nonce,
    run.state,
    undefined,
    INSECURE,
  );
  const tokens = await redeem(run, validated, null);
  const again = await oauth.authorizationCodeGrantRequest(
    as,
    { client_id: rp.client_id },
    oauth.ClientSecretBasic(rp.client_secret),
    validated,
    rp.redirect_uri,
    run.verifier,
    INSECURE,
  );
  assert.equal(again.status, 400);
  assert.equal(((await again.json()) as { error: string }).error, 'invalid_grant');
  assert.equal((await userinfo(op, tokens.access_token)).status, 401, 'RFC 6749 §4.1.2: tokens from the reused code are revoked');
});

test('OAuth 2.0 Multiple Response Types §5 tokens are never put in the query: response_mode=query is refused for code id_token', async () => {
  const run = await hybrid('code id_token', { response_mode: 'query' });
  if (run.out.kind === 'page') {
    assert.equal(run.out.page.status, 400);
    return;
  }
  const cb = callbackOf(run.out);
  assert.equal(cb.searchParams.get('id_token'), null, 'no ID token in the query');
  assert.equal(cb.searchParams.get('code'), null);
  assertAuthorizationError(op, run.out, rp, ['invalid_request', 'unsupported_response_mode'], run.state);
});

/**
 * OpenID Connect Basic OP conformance plan, part 1 (code flow, UserInfo, scopes, request
 * parameters), mirrored over real HTTP with openid-client as the relying party.
 * Test titles are the conformance-suite module names.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import {
  assertAuthorizationError,
  assertErrorPage,
  authorizeCode,
  authRequest,
  callbackOf,
  codeFlow,
  createRp,
  FULL_CLAIMS,
  rpConfig,
  serverMetadata,
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

test('oidcc-server', async () => {
  const r = await codeFlow(op, cfg, rp, ua(), alice);
  const p = r.callback.searchParams;
  // RFC 9207 §2: "the authorization server MUST include the iss parameter in the response"
  assert.equal(p.get('iss'), op.url);
  assert.equal(r.tokens.token_type.toLowerCase(), 'bearer');
  assert.ok(r.tokens.access_token);
  // OIDC Core §2: iss, sub, aud, exp, iat REQUIRED; nonce echoed (§3.1.3.7 step 11)
  const c = r.claims;
  assert.equal(c.iss, op.url);
  assert.equal(c.sub, alice.id);
  assert.deepEqual([c.aud].flat(), [rp.client_id]);
  assert.equal(c.nonce, r.req.nonce);
  assert.ok(typeof c.auth_time === 'number' && c.auth_time <= c.iat, 'auth_time is a time at or before iat');
  assert.ok(c.exp > c.iat);
  assert.ok(typeof c['sid'] === 'string' && c['sid'].length > 0, 'sid for logout');
  // OIDC Core §5.4: with an access token issued, scope claims come from UserInfo, not the ID token
  assert.equal(c['email'], undefined);
  assert.equal(r.tokens.refresh_token, undefined, 'OIDC Core §11: no refresh token without offline_access');
});

test('oidcc-response-type-missing', async () => {
  const req = await authRequest(cfg, rp);
  req.url.searchParams.delete('response_type');
  const out = await ua().authorize(req.url, { username: alice.username, password: alice.password });
  // RFC 6749 §4.1.2.1: the redirect URI is valid, so the error goes back to the client
  // (the conformance module also accepts an error page).
  if (out.kind === 'page') assertErrorPage(out);
  else assertAuthorizationError(op, out, rp, ['invalid_request', 'unsupported_response_type'], req.state);
});

for (const how of ['get', 'post-header', 'post-body'] as const) {
  test(`oidcc-userinfo-${how}`, async () => {
    const r = await codeFlow(op, cfg, rp, ua(), alice, { scope: 'openid email' });
    if (how === 'get') {
      const info = await oidc.fetchUserInfo(cfg, r.tokens.access_token, r.claims.sub);
      assert.equal(info.email, FULL_CLAIMS.email);
      return;
    }
    const res = await userinfo(op, r.tokens.access_token, how);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const info = (await res.json()) as Record<string, unknown>;
    // OIDC Core §5.3.2: "The sub Claim in the UserInfo Response MUST be verified to exactly match the sub Claim in the ID Token"
    assert.equal(info['sub'], r.claims.sub);
    assert.equal(info['email'], FULL_CLAIMS.email);
  });
}

test('oidcc-ensure-request-without-nonce-succeeds-for-code-flow', async () => {
  const req = await authRequest(cfg, rp);
  req.url.searchParams.delete('nonce');
  const callback = callbackOf(await ua().authorize(req.url, { username: alice.username, password: alice.password }));
  const tokens = await oidc.authorizationCodeGrant(cfg, callback, { pkceCodeVerifier: req.verifier, expectedState: req.state, idTokenExpected: true });
  const c = tokens.claims()!;
  assert.equal(c.sub, alice.id);
  assert.equal(c.nonce, undefined, 'OIDC Core §2: nonce only when sent');
});

const SCOPE_CLAIMS = {
  profile: [
    'name',
    'family_name',
    'given_name',
    'nickname',
    'preferred_username',
    'profile',
    'picture',
    'website',
    'gender',
    'birthdate',
    'zoneinfo',
    'locale',
    'updated_at',
  ],
  email: ['email', 'email_verified'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
} as const;
type ScopeName = keyof typeof SCOPE_CLAIMS;

async function scopeTest(scopes: readonly ScopeName[], scopeParam: string): Promise<void> {
  const r = await codeFlow(op, cfg, rp, ua(), alice, { scope: scopeParam });
  const info = (await oidc.fetchUserInfo(cfg, r.tokens.access_token, r.claims.sub)) as Record<string, unknown>;
  const all = Object.keys(SCOPE_CLAIMS) as ScopeName[];
  for (const s of all) {
    for (const claim of SCOPE_CLAIMS[s]) {
      // OIDC Core §5.4: each scope value requests exactly its claims; nothing else is released.
      if (scopes.includes(s)) assert.deepEqual(info[claim], (FULL_CLAIMS as Record<string, unknown>)[claim], `${claim} released for scope ${s}`);
      else assert.equal(info[claim], undefined, `${claim} not released without scope ${s}`);
      assert.equal((r.claims as Record<string, unknown>)[claim], undefined, `${claim} not in the ID token of the code flow`);
    }
  }
}

for (const s of ['profile', 'email', 'address', 'phone'] as const) {
  test(`oidcc-scope-${s}`, () => scopeTest([s], `openid ${s}`));
}
test('oidcc-scope-all', () => scopeTest(['profile', 'email', 'address', 'phone'], 'openid profile email address phone'));
test('oidcc-ensure-other-scope-order-succeeds', () => scopeTest(['email'], 'email openid'));

for (const display of ['page', 'popup'] as const) {
  test(`oidcc-display-${display}`, async () => {
    const r = await codeFlow(op, cfg, rp, ua(), alice, { display });
    assert.equal(r.claims.sub, alice.id);
  });
}

test('oidcc-ensure-request-with-unknown-parameter-succeeds', async () => {
  // OIDC Core §3.1.2.1 / RFC 6749 §3.1: "The authorization server MUST ignore unrecognized request parameters."
  const r = await codeFlow(op, cfg, rp, ua(), alice, { extra: 'foobar', 'x-unknown': 'ignored' });
  assert.equal(r.claims.sub, alice.id);
});

test('oidcc-ui-locales', async () => {
  const r = await codeFlow(op, cfg, rp, ua(), alice, { ui_locales: 'se fr-CA en' });
  assert.equal(r.claims.sub, alice.id);
});

test('oidcc-claims-locales', async () => {
  const r = await codeFlow(op, cfg, rp, ua(), alice, { claims_locales: 'se', scope: 'openid profile' });
  const info = await oidc.fetchUserInfo(cfg, r.tokens.access_token, r.claims.sub);
  assert.equal(info.name, FULL_CLAIMS.name, 'claims without a language tag are returned as is');
});

test('oidcc-ensure-request-with-acr-values-succeeds', async () => {
  const r = await codeFlow(op, cfg, rp, ua(), alice, { acr_values: 'urn:gatehouse:pwd urn:example:unknown' });
  assert.equal(r.claims.sub, alice.id);
  // OIDC Core §2: acr is the context that was satisfied: the password sign-in this server offers.
  assert.equal(r.claims.acr, 'urn:gatehouse:pwd');
});

test('oidcc-claims-essential', async () => {
  const claims = JSON.stringify({ userinfo: { name: { essential: true } }, id_token: { email: { essential: true } } });
  const r = await codeFlow(op, cfg, rp, ua(), alice, { claims });
  // OIDC Core §5.5: claims requested through the claims parameter are released at the member asked for.
  assert.equal(r.claims['email'], FULL_CLAIMS.email, 'id_token member: email in the ID token');
  assert.equal(r.claims['name'], undefined, 'name asked only for userinfo');
  const info = await oidc.fetchUserInfo(cfg, r.tokens.access_token, r.claims.sub);
  assert.equal(info.name, FULL_CLAIMS.name, 'userinfo member: name at UserInfo');
  assert.equal(info.email, undefined, 'email asked only for the ID token');
});

test('oidcc-server-client-secret-post', async () => {
  const postRp = await createRp(op.gh, 'confidential', { token_endpoint_auth_method: 'client_secret_post' });
  const postCfg = await rpConfig(op, postRp, { auth: 'post' });
  const r = await codeFlow(op, postCfg, postRp, ua(), alice);
  assert.deepEqual([r.claims.aud].flat(), [postRp.client_id]);
  // RFC 6749 §2.3: a client uses exactly its registered method; basic is refused for a post client.
  const { code } = await authorizeCode(postCfg, postRp, ua(), alice);
  const basic = await tokenRequest(op, postRp, { grant_type: 'authorization_code', code, redirect_uri: postRp.redirect_uri }, 'basic');
  assert.equal(basic.status, 401);
  assert.equal(basic.body['error'], 'invalid_client');
});

test('oidcc-server (private_key_jwt)', async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'rp-auth-1', alg: 'ES256', use: 'sig' };
  const pkRp = await createRp(op.gh, 'confidential', {
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    jwks: { keys: [jwk] },
  });
  const as = await serverMetadata(op.url);
  const pkCfg = new oidc.Configuration(as, pkRp.client_id, { redirect_uris: [pkRp.redirect_uri] }, oidc.PrivateKeyJwt({ key: privateKey, kid: 'rp-auth-1' }));
  oidc.allowInsecureRequests(pkCfg);
  // OIDC Core §9: the client authenticates with a JWT signed by its registered key.
  const r = await codeFlow(op, pkCfg, pkRp, ua(), alice);
  assert.deepEqual([r.claims.aud].flat(), [pkRp.client_id]);
});

test('oidcc-server (client_secret_jwt)', async () => {
  const jwtRp = await createRp(op.gh, 'confidential', { token_endpoint_auth_method: 'client_secret_jwt', token_endpoint_auth_signing_alg: 'HS256' });
  const as = await serverMetadata(op.url);
  const jwtCfg = new oidc.Configuration(as, jwtRp.client_id, { redirect_uris: [jwtRp.redirect_uri] }, oidc.ClientSecretJwt(jwtRp.client_secret));
  oidc.allowInsecureRequests(jwtCfg);
  const r = await codeFlow(op, jwtCfg, jwtRp, ua(), alice);
  assert.deepEqual([r.claims.aud].flat(), [jwtRp.client_id]);
});

test('oidcc-id-token-signature', async () => {
  const r = await codeFlow(op, cfg, rp, ua(), alice);
  const idToken = r.tokens.id_token!;
  const header = decodeProtectedHeader(idToken);
  // OIDC Core §2: ID tokens are signed with RS256 by default; the kid names the key in jwks_uri.
  assert.equal(header.alg, 'RS256');
  assert.ok(header.kid, 'kid present');
  const jwks = (await (await fetch(`${op.url}/jwks.json`)).json()) as { keys: { kid: string; kty: string; use?: string; d?: string }[] };
  const key = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(key && key.kty === 'RSA', 'the signing key is published');
  assert.equal(key.d, undefined, 'no private part published');
  const { payload } = await jwtVerify(idToken, createRemoteJWKSet(new URL(`${op.url}/jwks.json`)), {
    issuer: op.url,
    audience: rp.client_id,
    algorithms: ['RS256'],
  });
  assert.equal(payload.sub, alice.id);
});

// oidcc-id-token-kid-absent-single-jwks targets OPs that publish one key without a kid. It does
// not apply: Gatehouse publishes several keys (one per algorithm, plus rotation), so it must and
// does name the key in every ID token. This proves the property the module would otherwise rely on.
test('oidcc-id-token-kid-absent-single-jwks (n/a): with several published keys every ID token names its key by kid', async () => {
  const jwks = (await (await fetch(`${op.url}/jwks.json`)).json()) as { keys: { kid?: string }[] };
  assert.ok(jwks.keys.length > 1, 'several keys are published');
  assert.ok(
    jwks.keys.every((k) => typeof k.kid === 'string' && k.kid.length > 0),
    'every published key has a kid',
  );
  const r = await codeFlow(op, cfg, rp, ua(), alice);
  const kid = decodeProtectedHeader(r.tokens.id_token!).kid;
  assert.ok(
    jwks.keys.some((k) => k.kid === kid),
    'the ID token names a published key',
  );
});

/**
 * OpenID Connect Config OP conformance plan: the discovery document is valid for openid-client,
 * carries every required member, and tells the truth (S17): each advertised response type,
 * response mode, grant type and endpoint is exercised here.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import {
  callbackOf,
  codeFlow,
  createRp,
  createTestUser,
  outcomeParams,
  rpConfig,
  startOidcServer,
  tokenRequest,
  type OidcServer,
  type TestRp,
  type TestUser,
} from '../support/oidc.ts';
import { createTestClient } from '../support/server.ts';
import { UserAgent } from '../support/user-agent.ts';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

let op: OidcServer;
let alice: TestUser;
let meta: oidc.ServerMetadata;
before(async () => {
  op = await startOidcServer();
  alice = await createTestUser(op.gh);
  // openid-client's own discovery: issuer must equal the URL it was fetched from (OIDC Discovery §4.3).
  const cfg = await oidc.discovery(new URL(op.url), 'probe', undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  meta = cfg.serverMetadata();
});
after(() => op?.close());

test('oidcc-discovery-endpoint-verification: required members (OIDC Discovery §3)', () => {
  assert.equal(meta.issuer, op.url);
  for (const k of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'userinfo_endpoint'] as const) {
    assert.ok(typeof meta[k] === 'string' && meta[k].startsWith(op.url), `${k} under the issuer`);
  }
  assert.ok(meta.response_types_supported?.includes('code'), 'dynamic OPs MUST support code');
  assert.ok(meta.subject_types_supported?.includes('public'));
  assert.ok(meta.id_token_signing_alg_values_supported?.includes('RS256'), 'RS256 MUST be included');
  assert.ok(meta.scopes_supported?.includes('openid'), 'scopes_supported, if present, includes openid');
  assert.ok(meta.claims_supported?.includes('sub'));
  assert.ok(meta.grant_types_supported?.includes('authorization_code'));
  assert.ok(meta.code_challenge_methods_supported?.includes('S256'));
  assert.equal(meta.code_challenge_methods_supported?.includes('plain'), false, 'plain PKCE is off by default');
  assert.equal(meta.authorization_response_iss_parameter_supported, true, 'RFC 9207');
  assert.ok(meta.response_modes_supported?.includes('form_post'));
});

/** The artifacts each response type must (and must only) return from the authorization endpoint. */
function artifacts(responseType: string): { code: boolean; id_token: boolean; access_token: boolean } {
  const parts = responseType.split(' ');
  return { code: parts.includes('code'), id_token: parts.includes('id_token'), access_token: parts.includes('token') };
}

test('oidcc-discovery-endpoint-verification: every advertised response type works', async () => {
  const types = meta.response_types_supported ?? [];
  const rp = await createRp(op.gh, 'confidential', { response_types: types });
  const cfg = await rpConfig(op, rp);
  for (const rt of types) {
    const url = oidc.buildAuthorizationUrl(cfg, {
      redirect_uri: rp.redirect_uri,
      scope: 'openid',
      response_type: rt,
      state: 's',
      nonce: 'n',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const p = outcomeParams(await new UserAgent(op.url).authorize(url, { username: alice.username, password: alice.password }));
    assert.equal(p.get('error'), null, `${rt}: ${p.get('error')} ${p.get('error_description')}`);
    const want = artifacts(rt);
    assert.equal(p.has('code'), want.code, `${rt}: code`);
    assert.equal(p.has('id_token'), want.id_token, `${rt}: id_token`);
    assert.equal(p.has('access_token'), want.access_token, `${rt}: access_token`);
  }
});

test('oidcc-discovery-endpoint-verification: every advertised response mode works', async () => {
  const rp = await createRp(op.gh);
  const cfg = await rpConfig(op, rp);
  for (const mode of meta.response_modes_supported ?? []) {
    if (mode === 'form_post') {
      // Validated end to end in oidcc-form-post.test.ts; here: the auto-submit page is produced.
      const url = oidc.buildAuthorizationUrl(cfg, {
        redirect_uri: rp.redirect_uri,
        scope: 'openid',
        response_type: 'code',
        response_mode: 'form_post',
        state: 's',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      });
      const out = await new UserAgent(op.url).authorize(url, { username: alice.username, password: alice.password });
      assert.equal(out.kind, 'form_post');
      assert.ok(outcomeParams(out).get('code'));
      continue;
    }
    if (mode !== 'query' && mode !== 'fragment') assert.fail(`response mode ${mode} is advertised but this plan has no check for it`);
    const r = await codeFlow(op, cfg, rp, new UserAgent(op.url), alice, { response_mode: mode });
    if (mode === 'query') assert.ok(r.callback.searchParams.get('code') && r.callback.hash === '');
    else assert.ok(r.callback.hash.includes('code=') && r.callback.search === '', 'fragment response');
  }
});

test('oidcc-discovery-endpoint-verification: every advertised grant type works', async () => {
  const rp = await createRp(op.gh);
  const cfg = await rpConfig(op, rp);
  for (const grant of meta.grant_types_supported ?? []) {
    switch (grant) {
      case 'authorization_code': {
        const r = await codeFlow(op, cfg, rp, new UserAgent(op.url), alice);
        assert.ok(r.tokens.access_token);
        break;
      }
      case 'refresh_token': {
        const r = await codeFlow(op, cfg, rp, new UserAgent(op.url), alice, { scope: 'openid offline_access', prompt: 'consent' });
        const next = await oidc.refreshTokenGrant(cfg, r.tokens.refresh_token!);
        assert.ok(next.access_token);
        break;
      }
      case 'client_credentials': {
        const m2m = await createTestClient(op.gh, { scope: 'read' });
        const mcfg = new oidc.Configuration(meta, m2m.client_id, {}, oidc.ClientSecretBasic(m2m.client_secret));
        oidc.allowInsecureRequests(mcfg);
        assert.ok((await oidc.clientCredentialsGrant(mcfg, { scope: 'read' })).access_token);
        break;
      }
      case 'implicit':
        // OIDC Discovery §3: implicit is listed because a response type returns a token from the
        // authorization endpoint; the response-type test above exercised it.
        assert.ok(meta.response_types_supported?.some((t) => t.split(' ').includes('token')));
        break;
      case DEVICE_GRANT: {
        assert.ok(meta.device_authorization_endpoint, 'RFC 8628 §4: the device endpoint is advertised');
        const dev = await createRp(op.gh, 'public', { grant_types: [DEVICE_GRANT], response_types: [], redirect_uris: [] });
        const dcfg = await rpConfig(op, dev);
        const da = await oidc.initiateDeviceAuthorization(dcfg, { scope: 'openid' });
        assert.ok(da.device_code && da.user_code && da.verification_uri);
        const poll = await tokenRequest(op, dev, { grant_type: DEVICE_GRANT, device_code: da.device_code });
        assert.equal(poll.body['error'], 'authorization_pending');
        break;
      }
      case 'urn:ietf:params:oauth:grant-type:token-exchange': {
        // RFC 8693 §2.1: a client allowed the grant exchanges its own access token (the default
        // policy: its own tokens, for this server as audience), downscoped.
        const tx = await createTestClient(op.gh, { grant_types: [grant, 'client_credentials'], scope: 'read write' });
        const tcfg = new oidc.Configuration(meta, tx.client_id, {}, oidc.ClientSecretBasic(tx.client_secret));
        oidc.allowInsecureRequests(tcfg);
        const subject = (await oidc.clientCredentialsGrant(tcfg, { scope: 'read write' })).access_token;
        const exchanged = await oidc.genericGrantRequest(tcfg, grant, {
          subject_token: subject,
          subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
          scope: 'read',
        });
        assert.ok(exchanged.access_token);
        assert.equal(exchanged.scope, 'read');
        break;
      }
      default:
        assert.fail(`grant type ${grant} is advertised but this plan has no check for it`);
    }
  }
});

test('oidcc-discovery-endpoint-verification: every advertised end-user endpoint answers', async () => {
  const info = await fetch(meta.userinfo_endpoint!);
  assert.equal(info.status, 401);
  assert.match(info.headers.get('www-authenticate') ?? '', /^Bearer/);
  if (meta.end_session_endpoint) {
    const res = await fetch(meta.end_session_endpoint, { redirect: 'manual' });
    assert.equal(res.status, 200, 'RP-Initiated Logout §2: without a hint the OP asks the user');
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
  }
  const checkSession = (meta as Record<string, unknown>)['check_session_iframe'];
  if (typeof checkSession === 'string') {
    const res = await fetch(checkSession);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
  }
  if (meta.pushed_authorization_request_endpoint) {
    const rp = await createRp(op.gh);
    const cfg = await rpConfig(op, rp);
    const verifier = oidc.randomPKCECodeVerifier();
    const url = await oidc.buildAuthorizationUrlWithPAR(cfg, {
      redirect_uri: rp.redirect_uri,
      scope: 'openid',
      response_type: 'code',
      state: 's',
      nonce: 'n',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const out = await new UserAgent(op.url).authorize(url, { username: alice.username, password: alice.password });
    assert.equal(url.searchParams.get('redirect_uri'), null, 'RFC 9126 §4: only client_id and request_uri travel');
    const tokens = await oidc.authorizationCodeGrant(cfg, callbackOf(out), { pkceCodeVerifier: verifier, expectedState: 's', expectedNonce: 'n' });
    assert.equal(tokens.claims()!.sub, alice.id);
  }
  assert.equal(meta.registration_endpoint, undefined, 'registration is off by default');
});

test('oidcc-idtoken-rs256', async () => {
  const rp: TestRp = await createRp(op.gh);
  const r = await codeFlow(op, await rpConfig(op, rp), rp, new UserAgent(op.url), alice);
  assert.equal(decodeProtectedHeader(r.tokens.id_token!).alg, 'RS256');
});

// oidcc-userinfo-rs256 needs signed UserInfo responses, which are not offered: this checks that
// discovery does not claim them and that UserInfo answers plain JSON (S17).
test('oidcc-userinfo-rs256 (n/a): signed UserInfo is not advertised and UserInfo answers JSON', async () => {
  assert.equal((meta as Record<string, unknown>)['userinfo_signing_alg_values_supported'], undefined);
  const rp: TestRp = await createRp(op.gh);
  const cfg = await rpConfig(op, rp);
  const r = await codeFlow(op, cfg, rp, new UserAgent(op.url), alice);
  const res = await fetch(meta.userinfo_endpoint!, { headers: { authorization: `Bearer ${r.tokens.access_token}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(((await res.json()) as { sub: string }).sub, alice.id);
});

test('oidcc-server-rotate-keys', async () => {
  const rp = await createRp(op.gh);
  const before = await codeFlow(op, await rpConfig(op, rp), rp, new UserAgent(op.url), alice);
  const oldKid = decodeProtectedHeader(before.tokens.id_token!).kid;
  await op.gh.ctx.keys.rotate(['RS256']);
  const after = await codeFlow(op, await rpConfig(op, rp), rp, new UserAgent(op.url), alice);
  const newKid = decodeProtectedHeader(after.tokens.id_token!).kid;
  assert.notEqual(newKid, oldKid, 'new ID tokens are signed with the new key');
  const jwks = createRemoteJWKSet(new URL(meta.jwks_uri!));
  // Tokens signed before the rotation still verify: the retired key stays published for a while.
  await jwtVerify(before.tokens.id_token!, jwks, { issuer: op.url, audience: rp.client_id });
  await jwtVerify(after.tokens.id_token!, jwks, { issuer: op.url, audience: rp.client_id });
});

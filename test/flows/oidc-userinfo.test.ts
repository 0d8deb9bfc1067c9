/**
 * ID tokens, UserInfo and refresh over real HTTP with oauth4webapi as the relying party: claims
 * by scope vs the `claims` parameter (OIDC Core §5.4, §5.5), pairwise subjects (§8.1) seen the
 * same in ID token, UserInfo and refreshed ID tokens, an EdDSA ID token with its SHA-512 at_hash,
 * and UserInfo refusing the access tokens of a family revoked by refresh token reuse.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import * as oauth from 'oauth4webapi';
import {
  authorizeCode,
  createRp,
  createTestUser,
  rpConfig,
  serverMetadata,
  startOidcServer,
  userinfo,
  type OidcServer,
  type TestRp,
  type TestUser,
} from '../support/oidc.ts';
import { UserAgent } from '../support/user-agent.ts';

const INSECURE = { [oauth.allowInsecureRequests]: true } as const;

let op: OidcServer;
let alice: TestUser;
before(async () => {
  op = await startOidcServer({ keys: { algorithms: ['RS256', 'ES256', 'EdDSA'] }, tokens: { pairwiseSalt: 'flow-test-pairwise-salt-0123' } });
  alice = await createTestUser(op.gh);
});
after(() => op?.close());

interface Signed {
  readonly tokens: oauth.TokenEndpointResponse;
  readonly idClaims: oauth.IDToken;
  readonly as: oauth.AuthorizationServer;
  readonly client: oauth.Client;
  readonly auth: oauth.ClientAuth;
}

/** Authorizes in a fresh browser, then redeems the code and validates the ID token with oauth4webapi. */
async function signIn(rp: TestRp, params: Record<string, string>, clientMeta: Partial<oauth.Client> = {}): Promise<Signed> {
  const cfg = await rpConfig(op, rp);
  const { req, callback } = await authorizeCode(cfg, rp, new UserAgent(op.url), alice, params);
  const as = (await serverMetadata(op.url)) as oauth.AuthorizationServer;
  const client: oauth.Client = { client_id: rp.client_id, ...clientMeta };
  const auth = rp.kind === 'public' ? oauth.None() : oauth.ClientSecretBasic(rp.client_secret);
  const validated = oauth.validateAuthResponse(as, client, callback, req.state);
  const res = await oauth.authorizationCodeGrantRequest(as, client, auth, validated, rp.redirect_uri, req.verifier, INSECURE);
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, res, { expectedNonce: req.nonce, requireIdToken: true });
  return { tokens, idClaims: oauth.getValidatedIdTokenClaims(tokens)!, as, client, auth };
}

async function userInfoOf(s: Signed, accessToken: string, expectedSub: string): Promise<oauth.UserInfoResponse> {
  const res = await oauth.userInfoRequest(s.as, s.client, accessToken, INSECURE);
  return oauth.processUserInfoResponse(s.as, s.client, expectedSub, res);
}

describe('OIDC Core §5.3 UserInfo and ID tokens with oauth4webapi', () => {
  test('oidcc-scope-profile OIDC Core §5.4 scope claims come from UserInfo, not the ID token, when an access token is issued', async () => {
    const rp = await createRp(op.gh, 'public');
    const s = await signIn(rp, { scope: 'openid profile email' });
    assert.equal(s.idClaims.sub, alice.id);
    assert.equal(s.idClaims['email'], undefined);
    assert.equal(s.idClaims['name'], undefined);
    const info = await userInfoOf(s, s.tokens.access_token, alice.id);
    assert.equal(info.email, alice.claims.email);
    assert.equal(info.email_verified, true);
    assert.equal(info.name, alice.claims.name);
    assert.equal(info.phone_number, undefined, 'phone was not in scope');
  });

  test('oidcc-claims-essential OIDC Core §5.5 the claims parameter puts claims where it asks', async () => {
    const rp = await createRp(op.gh, 'public');
    const claims = JSON.stringify({ id_token: { email: { essential: true } }, userinfo: { phone_number: null, address: null } });
    const s = await signIn(rp, { scope: 'openid', claims });
    assert.equal(s.idClaims['email'], alice.claims.email);
    const info = await userInfoOf(s, s.tokens.access_token, alice.id);
    assert.equal(info.phone_number, alice.claims.phone_number);
    assert.deepEqual(info.address, alice.claims.address);
    assert.equal(info.email, undefined, 'email was asked for the ID token only');
  });

  test('OIDC Core §8.1 a pairwise client sees one sub in the ID token, UserInfo and refreshed ID tokens', async () => {
    const rp = await createRp(op.gh, 'confidential', { subject_type: 'pairwise' });
    const other = await createRp(op.gh, 'confidential', { subject_type: 'pairwise', redirect_uris: ['https://other-rp.example.test/cb'] });
    const s = await signIn(rp, { scope: 'openid email offline_access', prompt: 'consent' });
    const sub = s.idClaims.sub;
    assert.notEqual(sub, alice.id);
    assert.equal((await userInfoOf(s, s.tokens.access_token, sub)).email, alice.claims.email);
    const refreshed = await oauth.processRefreshTokenResponse(
      s.as,
      s.client,
      await oauth.refreshTokenGrantRequest(s.as, s.client, s.auth, s.tokens.refresh_token!, INSECURE),
    );
    assert.equal(oauth.getValidatedIdTokenClaims(refreshed)?.sub, sub, 'OIDC Core §12.2: same sub');
    await userInfoOf(s, refreshed.access_token, sub);
    const elsewhere = await signIn(other, { scope: 'openid' });
    assert.notEqual(elsewhere.idClaims.sub, sub, 'another sector gets another sub');
    assert.notEqual(elsewhere.idClaims.sub, alice.id);
  });

  test('OpenID connect#1125 an EdDSA ID token carries at_hash from SHA-512', async () => {
    const rp = await createRp(op.gh, 'public', { id_token_signed_response_alg: 'EdDSA' });
    const s = await signIn(rp, { scope: 'openid' }, { id_token_signed_response_alg: 'EdDSA' });
    assert.equal(decodeProtectedHeader(s.tokens.id_token!).alg, 'EdDSA');
    const digest = createHash('sha512').update(s.tokens.access_token).digest();
    assert.equal(s.idClaims['at_hash'], digest.subarray(0, 32).toString('base64url'));
  });

  test('RFC 9700 §4.14.2 after refresh token reuse, UserInfo refuses every access token of the family', async () => {
    const rp = await createRp(op.gh, 'public');
    const s = await signIn(rp, { scope: 'openid offline_access', prompt: 'consent' });
    const refreshed = await oauth.processRefreshTokenResponse(
      s.as,
      s.client,
      await oauth.refreshTokenGrantRequest(s.as, s.client, s.auth, s.tokens.refresh_token!, INSECURE),
    );
    assert.equal((await userinfo(op, refreshed.access_token)).status, 200);
    const reuse = await oauth.refreshTokenGrantRequest(s.as, s.client, s.auth, s.tokens.refresh_token!, INSECURE);
    await assert.rejects(
      oauth.processRefreshTokenResponse(s.as, s.client, reuse),
      (e: unknown) => e instanceof oauth.ResponseBodyError && e.error === 'invalid_grant',
    );
    for (const token of [s.tokens.access_token, refreshed.access_token]) {
      const res = await userinfo(op, token);
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/);
    }
  });

  test('RFC 6750 §2.2 the access token in a POST body; never header and body at once', async () => {
    const rp = await createRp(op.gh, 'public');
    const s = await signIn(rp, { scope: 'openid email' });
    const body = await userinfo(op, s.tokens.access_token, 'post-body');
    assert.equal(body.status, 200);
    assert.equal(((await body.json()) as { sub: string }).sub, alice.id);
    const both = await fetch(`${op.url}/userinfo`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.tokens.access_token}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ access_token: s.tokens.access_token }),
    });
    assert.equal(both.status, 400);
    assert.match(both.headers.get('www-authenticate') ?? '', /error="invalid_request"/);
  });
});

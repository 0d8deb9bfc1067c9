/**
 * What spends an authorization code at the token endpoint (docs/tokens.md, code redemption
 * order), driven over HTTP with oauth4webapi: a request error the client can correct (RFC 8707
 * `resource`) leaves the code usable; what only an attacker gets wrong (RFC 7636 verifier: wrong,
 * missing, or sent for a code without challenge, the RFC 9700 §2.1.1 downgrade; RFC 6749
 * redirect_uri) spends it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { INSECURE } from '../support/oauth-client.ts';
import { authorizeCode, authRequest, callbackOf, rpConfig, startRpFlow, type OidcServer, type TestRp, type TestUser } from '../support/oidc.ts';
import { UserAgent } from '../support/user-agent.ts';

const API_A = 'https://api.example/a';
const API_B = 'https://api.example/b';

let op: OidcServer;
let alice: TestUser;
let rp: TestRp;
let as: oauth.AuthorizationServer;
before(async () => {
  ({
    op,
    user: alice,
    rp,
  } = await startRpFlow({
    server: {
      resources: [
        { identifier: API_A, scopes: [] },
        { identifier: API_B, scopes: [] },
      ],
    },
  }));
  const issuer = new URL(op.url);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...INSECURE }));
});
after(() => op?.close());

interface Authorized {
  readonly params: URLSearchParams;
  readonly verifier: string;
  readonly nonce: string;
}

/** Signs alice in and returns the callback parameters, validated by oauth4webapi. */
async function authorize(extra: Record<string, string> = {}): Promise<Authorized> {
  const { req, callback } = await authorizeCode(await rpConfig(op, rp), rp, new UserAgent(op.url), alice, extra);
  return { params: oauth.validateAuthResponse(as, { client_id: rp.client_id }, callback, req.state), verifier: req.verifier, nonce: req.nonce };
}

/**
 * Signs alice in with an authorization request that carries no code_challenge (a confidential
 * client may omit PKCE unless `authorization.pkceRequired` is `all`).
 */
async function authorizeWithoutPkce(): Promise<Authorized> {
  const req = await authRequest(await rpConfig(op, rp), rp);
  req.url.searchParams.delete('code_challenge');
  req.url.searchParams.delete('code_challenge_method');
  const callback = callbackOf(await new UserAgent(op.url).authorize(req.url, { username: alice.username, password: alice.password }));
  return { params: oauth.validateAuthResponse(as, { client_id: rp.client_id }, callback, req.state), verifier: '', nonce: req.nonce };
}

/**
 * Redeems through oauth4webapi; resolves to the token response or the OAuth error code.
 * `verifier: oauth.nopkce` sends no code_verifier at all.
 */
async function redeem(
  a: Authorized,
  opts: { verifier?: string | typeof oauth.nopkce; redirectUri?: string; resource?: string } = {},
): Promise<oauth.TokenEndpointResponse | string> {
  const client: oauth.Client = { client_id: rp.client_id };
  const res = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    oauth.ClientSecretBasic(rp.client_secret),
    a.params,
    opts.redirectUri ?? rp.redirect_uri,
    opts.verifier ?? a.verifier,
    { ...INSECURE, ...(opts.resource ? { additionalParameters: { resource: opts.resource } } : {}) },
  );
  try {
    return await oauth.processAuthorizationCodeResponse(as, client, res, { expectedNonce: a.nonce, requireIdToken: true });
  } catch (e) {
    if (e instanceof oauth.ResponseBodyError) return e.error;
    throw e;
  }
}

const tokensOf = (r: oauth.TokenEndpointResponse | string): oauth.TokenEndpointResponse => {
  assert.notEqual(typeof r, 'string', `expected tokens, got ${String(r)}`);
  return r as oauth.TokenEndpointResponse;
};

test('RFC 8707 §2 a resource the grant does not cover is invalid_target, and the same code then redeems with the right one', async () => {
  const a = await authorize({ resource: API_A });
  assert.equal(await redeem(a, { resource: API_B }), 'invalid_target');
  const tokens = tokensOf(await redeem(a, { resource: API_A }));
  const at = JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString()) as { aud: unknown };
  assert.equal(at.aud, API_A);
  assert.ok(tokens.id_token, 'the retry was answered as a first redemption');
});

test('RFC 7636 §4.6 a wrong code_verifier is invalid_grant and spends the code: the correct verifier then gets invalid_grant', async () => {
  const a = await authorize();
  assert.equal(await redeem(a, { verifier: oauth.generateRandomCodeVerifier() }), 'invalid_grant');
  assert.equal(await redeem(a), 'invalid_grant');
});

test('RFC 7636 §4.5 no code_verifier for a code issued with a code_challenge is invalid_grant and spends the code', async () => {
  const a = await authorize();
  assert.equal(await redeem(a, { verifier: oauth.nopkce }), 'invalid_grant');
  assert.equal(await redeem(a), 'invalid_grant', 'the code was spent: the right verifier comes too late');
});

test('RFC 9700 §2.1.1 a code_verifier for a code issued without code_challenge (PKCE downgrade) is invalid_grant and spends the code', async () => {
  const control = await authorizeWithoutPkce();
  assert.ok(tokensOf(await redeem(control, { verifier: oauth.nopkce })).access_token, 'without a challenge, no verifier redeems');
  const a = await authorizeWithoutPkce();
  assert.equal(await redeem(a, { verifier: oauth.generateRandomCodeVerifier() }), 'invalid_grant');
  assert.equal(await redeem(a, { verifier: oauth.nopkce }), 'invalid_grant', 'the code was spent');
});

test("RFC 6749 §4.1.2 a redirect_uri other than the authorization request's spends the code", async () => {
  const a = await authorize();
  assert.equal(await redeem(a, { redirectUri: `${rp.redirect_uri}/other` }), 'invalid_grant');
  assert.equal(await redeem(a), 'invalid_grant');
});

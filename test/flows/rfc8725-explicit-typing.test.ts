/**
 * RFC 8725 §3.11 explicit typing over real HTTP: a JWT a client signed for one purpose is not
 * accepted for another. A request object typed as something else (`at+jwt`) is refused at
 * /authorize and /par (RFC 9101 §10.8), and a client assertion typed `oauth-authz-req+jwt` is
 * refused at /token, so a request object the client signed (iss = sub = client_id, aud = the
 * issuer, exp, jti: every claim an assertion needs) cannot be replayed as its credential.
 * oauth4webapi is the client (its own private_key_jwt assertion is accepted); jose builds the
 * typed JWTs.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import * as oauth from 'oauth4webapi';
import { discover, INSECURE } from '../support/oauth-client.ts';
import { assertAuthorizationError, createRp, createTestUser, startOidcServer, type OidcServer, type TestRp, type TestUser } from '../support/oidc.ts';
import { UserAgent } from '../support/user-agent.ts';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const KID = 'typing-key';

let op: OidcServer;
let as: oauth.AuthorizationServer;
let alice: TestUser;
let rp: TestRp;
let key: CryptoKey;

before(async () => {
  op = await startOidcServer();
  as = await discover(op.url, 'oidc');
  alice = await createTestUser(op.gh);
  const pair = await generateKeyPair('ES256', { extractable: true });
  key = pair.privateKey;
  rp = await createRp(op.gh, 'confidential', {
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'ES256', use: 'sig' }] },
    request_object_signing_alg: 'ES256',
    grant_types: ['authorization_code', 'client_credentials'],
  });
});
after(() => op?.close());

const now = () => Math.floor(op.clock.now() / 1000);
const client = () => ({ client_id: rp.client_id });
/** oauth4webapi's own private_key_jwt assertion. */
const libraryAuth = () => oauth.PrivateKeyJwt({ key, kid: KID });
/** Sends exactly `jwt` as the client assertion. */
const rawAssertion =
  (jwt: string): oauth.ClientAuth =>
  (_as, _client, body) => {
    body.set('client_assertion_type', ASSERTION_TYPE);
    body.set('client_assertion', jwt);
  };

/** Signs `claims` with the client's registered key; `typ` undefined leaves the header without one. */
const sign = (claims: JWTPayload, typ: string | undefined) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: KID, ...(typ === undefined ? {} : { typ }) }).sign(key);

/** A good request object for `rp` (with sub = client_id too, which RFC 9101 does not forbid). */
async function requestObjectClaims(): Promise<JWTPayload> {
  const challenge = await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier());
  return {
    iss: rp.client_id,
    sub: rp.client_id,
    aud: op.url,
    iat: now(),
    exp: now() + 60,
    jti: randomUUID(),
    client_id: rp.client_id,
    response_type: 'code',
    redirect_uri: rp.redirect_uri,
    scope: 'openid',
    state: 'inner-state',
    nonce: 'n',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  };
}

/** An assertion's claims (RFC 7523 §3, OIDC Core §9). */
const assertionClaims = (): JWTPayload => ({ iss: rp.client_id, sub: rp.client_id, aud: op.url, iat: now(), exp: now() + 60, jti: randomUUID() });

async function push(request: string): Promise<Response> {
  return oauth.pushedAuthorizationRequest(as, client(), libraryAuth(), { request }, INSECURE);
}

async function clientCredentials(auth: oauth.ClientAuth): Promise<Response> {
  return oauth.clientCredentialsGrantRequest(as, client(), auth, { scope: 'openid' }, INSECURE);
}

async function assertOAuthError(res: Response, status: number, error: string): Promise<void> {
  const body = (await res.json()) as { error?: string; error_description?: string };
  assert.equal(res.status, status, JSON.stringify(body));
  assert.equal(body.error, error, JSON.stringify(body));
}

describe('RFC 8725 §3.11 one kind of JWT is not accepted as another', () => {
  test('RFC 9101 §10.8 a request object typed at+jwt is refused at /authorize (invalid_request_object)', async () => {
    const request = await sign(await requestObjectClaims(), 'at+jwt');
    const out = await new UserAgent(op.url).authorize(new URL(`${op.url}/authorize?${new URLSearchParams({ client_id: rp.client_id, request })}`), alice);
    // The client's one registered redirect URI gets the error (the object's own is not trusted).
    const p = assertAuthorizationError(op, out, rp, 'invalid_request_object', null);
    assert.equal(p.get('error_description'), 'the request object typ must be oauth-authz-req+jwt when present');
  });

  test('RFC 9101 §10.8 a request object typed at+jwt is refused at /par; oauth-authz-req+jwt (any case, application/) and untyped are accepted', async () => {
    await assertOAuthError(await push(await sign(await requestObjectClaims(), 'at+jwt')), 400, 'invalid_request_object');
    await assertOAuthError(await push(await sign(await requestObjectClaims(), 'JWT')), 400, 'invalid_request_object');
    for (const typ of ['oauth-authz-req+jwt', 'application/OAuth-Authz-Req+JWT', undefined]) {
      const res = await push(await sign(await requestObjectClaims(), typ));
      assert.ok((await oauth.processPushedAuthorizationResponse(as, client(), res)).request_uri, String(typ));
    }
  });

  test("RFC 8725 §3.11 a client assertion typed oauth-authz-req+jwt is refused at /token (invalid_client); untyped, JWT, client-authentication+jwt and oauth4webapi's own are accepted", async () => {
    await assertOAuthError(await clientCredentials(rawAssertion(await sign(assertionClaims(), 'oauth-authz-req+jwt'))), 401, 'invalid_client');
    await assertOAuthError(await clientCredentials(rawAssertion(await sign(assertionClaims(), 'at+jwt'))), 401, 'invalid_client');
    for (const typ of [undefined, 'JWT', 'client-authentication+jwt']) {
      const res = await clientCredentials(rawAssertion(await sign(assertionClaims(), typ)));
      assert.ok((await oauth.processClientCredentialsResponse(as, client(), res)).access_token, String(typ));
    }
    assert.ok((await oauth.processClientCredentialsResponse(as, client(), await clientCredentials(libraryAuth()))).access_token);
  });

  test('RFC 9101 §10.8 a request object the client signed cannot be replayed as its client assertion', async () => {
    const requestObject = await sign(await requestObjectClaims(), 'oauth-authz-req+jwt');
    assert.equal((await push(requestObject)).status, 201, 'a good request object');
    await assertOAuthError(await clientCredentials(rawAssertion(requestObject)), 401, 'invalid_client');
  });
});

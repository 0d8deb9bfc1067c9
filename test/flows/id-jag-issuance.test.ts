/**
 * ID-JAG issuance (draft-ietf-oauth-identity-assertion-authz-grant, the IdP side) over real HTTP:
 * a client signs a user in by a code flow (openid-client / oauth4webapi), trades the ID token for
 * an Identity Assertion JWT Authorization Grant with oauth4webapi's generic token endpoint
 * request, and the ID-JAG is verified with jose against /jwks.json (typ, claims, lifetime).
 * Section numbers are those of the draft as of April 2026 (§3.1 claims, §4.3 request,
 * §4.3.3 processing rules, §4.3.4 response, §5 client ids and subjects, §7 metadata).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { authorizeCode, createTestUser, rpConfig, serverMetadata, startOidcServer, type OidcServer, type TestRp, type TestUser } from '../support/oidc.ts';
import { createTestClient } from '../support/server.ts';
import { UserAgent } from '../support/user-agent.ts';

const INSECURE = { [oauth.allowInsecureRequests]: true } as const;
const TX = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ID_JAG = 'urn:ietf:params:oauth:token-type:id-jag';
const IDT = 'urn:ietf:params:oauth:token-type:id_token';
const AT = 'urn:ietf:params:oauth:token-type:access_token';
const CHAT_AS = 'https://acme.chat.example/';
const CHAT_API = 'https://api.chat.example/';
const SSO_AS = 'https://sso-rp.example/';
const CLOSED_AS = 'https://closed.example/';
const REDIRECT = 'https://wiki.example.test/cb';

let op: OidcServer;
let as: oauth.AuthorizationServer;
let alice: TestUser;
let wiki: TestRp;
let wiki2: TestRp;
let stranger: TestRp;
let noExchange: TestRp;
let chatSso: TestRp;
let wikiTokens: oauth.TokenEndpointResponse;

type Result = { ok: true; body: oauth.TokenEndpointResponse } | { ok: false; error: string; status: number };

async function exchange(c: TestRp, params: URLSearchParams | Record<string, string>): Promise<Result> {
  const client: oauth.Client = { client_id: c.client_id };
  const res = await oauth.genericTokenEndpointRequest(as, client, oauth.ClientSecretBasic(c.client_secret), TX, params, INSECURE);
  try {
    // RFC 8693 §2.2.1: token_type N_A (not an access token) is recognised explicitly.
    return { ok: true, body: await oauth.processGenericTokenEndpointResponse(as, client, res, { recognizedTokenTypes: { n_a: () => {} } }) };
  } catch (e) {
    if (e instanceof oauth.ResponseBodyError) return { ok: false, error: e.error, status: e.status };
    throw e;
  }
}

function ok(r: Result): oauth.TokenEndpointResponse {
  assert.ok(r.ok, `expected success, got ${r.ok ? '' : `${r.status} ${r.error}`}`);
  return r.body;
}

function refusedWith(r: Result, error: string): void {
  assert.equal(r.ok, false, 'the exchange must be refused');
  if (!r.ok) assert.equal(r.error, error);
}

async function rp(clientId: string, metadata: Record<string, unknown> = {}): Promise<TestRp> {
  const c = await createTestClient(
    op.gh,
    {
      client_name: clientId,
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token', TX],
      response_types: ['code'],
      scope: 'openid profile email offline_access',
      ...metadata,
    },
    { clientId },
  );
  return { ...c, redirect_uri: REDIRECT, kind: 'confidential' };
}

/** A code flow for `client` (openid-client front channel, oauth4webapi back channel). */
async function signIn(client: TestRp): Promise<oauth.TokenEndpointResponse> {
  const ua = new UserAgent(op.url);
  const cfg = await rpConfig(op, client);
  const { req, callback } = await authorizeCode(cfg, client, ua, alice, { scope: 'openid email', prompt: 'consent' });
  const c: oauth.Client = { client_id: client.client_id };
  const validated = oauth.validateAuthResponse(as, c, callback, req.state);
  const res = await oauth.authorizationCodeGrantRequest(
    as,
    c,
    oauth.ClientSecretBasic(client.client_secret),
    validated,
    client.redirect_uri,
    req.verifier,
    INSECURE,
  );
  return oauth.processAuthorizationCodeResponse(as, c, res, { expectedNonce: req.nonce, requireIdToken: true });
}

async function verifyIdJag(token: string, audience: string) {
  const jwks = createRemoteJWKSet(new URL(`${op.url}/jwks.json`));
  return jwtVerify(token, jwks, { issuer: op.url, audience, typ: 'oauth-id-jag+jwt', currentDate: new Date(op.clock.now()) });
}

const request = (extra: Record<string, string> = {}) => ({
  requested_token_type: ID_JAG,
  subject_token: wikiTokens.id_token!,
  subject_token_type: IDT,
  audience: CHAT_AS,
  ...extra,
});

before(async () => {
  op = await startOidcServer({
    tokens: { pairwiseSalt: 'id-jag-test-pairwise-salt-0123456789' },
    idJag: {
      audiences: [
        {
          issuer: CHAT_AS,
          clients: ['wiki', 'wiki2'],
          clientIds: { wiki: 'f53f191f9311af35' },
          scopes: ['chat.read', 'chat.history'],
          resources: [CHAT_API],
          includeEmail: true,
        },
        { issuer: SSO_AS, clients: ['wiki'], ssoClientId: 'chat-sso' },
        { issuer: CLOSED_AS, clients: ['someone-else'] },
      ],
    },
  });
  as = (await serverMetadata(op.url)) as oauth.AuthorizationServer;
  alice = await createTestUser(op.gh);
  wiki = await rp('wiki');
  wiki2 = await rp('wiki2');
  stranger = await rp('stranger');
  noExchange = await rp('no-exchange', { grant_types: ['authorization_code', 'refresh_token'] });
  chatSso = await rp('chat-sso', { grant_types: ['authorization_code'], subject_type: 'pairwise' });
  wikiTokens = await signIn(wiki);
});
after(() => op?.close());

describe('ID-JAG issuance (draft-ietf-oauth-identity-assertion-authz-grant)', () => {
  test('§7: discovery lists id-jag in identity_chaining_requested_token_types_supported (an audience is configured)', () => {
    assert.deepEqual((as as Record<string, unknown>)['identity_chaining_requested_token_types_supported'], [ID_JAG]);
  });

  test('S17: transaction tokens are not configured on this server: txn_token is an unsupported requested_token_type', async () => {
    refusedWith(await exchange(wiki, request({ requested_token_type: 'urn:ietf:params:oauth:token-type:txn_token' })), 'invalid_request');
  });

  test('§4.3 / §4.3.4 / §3.1: an ID token for an ID-JAG: typ oauth-id-jag+jwt, signed with our keys, the claims of §3.1, N_A, no refresh token', async () => {
    const body = ok(await exchange(wiki, request({ resource: CHAT_API, scope: 'chat.read chat.history' })));
    assert.equal(body['issued_token_type'], ID_JAG);
    assert.equal(body.token_type.toLowerCase(), 'n_a');
    assert.equal(body.refresh_token, undefined);
    assert.equal(body.scope, 'chat.read chat.history');
    assert.equal(body.expires_in, 300);
    const { payload, protectedHeader } = await verifyIdJag(body.access_token, CHAT_AS);
    assert.equal(protectedHeader.typ, 'oauth-id-jag+jwt');
    const idToken = decodeJwt(wikiTokens.id_token!);
    assert.equal(payload.iss, op.url);
    assert.equal(payload.sub, alice.id, 'the public sub');
    assert.equal(payload.aud, CHAT_AS);
    assert.equal(payload['client_id'], 'f53f191f9311af35', "§5: the client's id at the resource AS");
    assert.ok(typeof payload.jti === 'string' && payload.jti.length >= 16);
    assert.equal((payload.exp as number) - (payload.iat as number), 300);
    assert.equal(payload['scope'], 'chat.read chat.history');
    assert.equal(payload['resource'], CHAT_API);
    assert.equal(payload['auth_time'], idToken['auth_time']);
    assert.deepEqual(payload['amr'], idToken['amr']);
    assert.equal(payload['email'], alice.claims.email, '§3.1: email RECOMMENDED (includeEmail)');
    assert.equal(payload['nonce'], undefined);
    assert.equal(payload['azp'], undefined);
    // Two exchanges, two ID-JAGs (unique jti).
    const again = ok(await exchange(wiki, request()));
    assert.notEqual(decodeJwt(again.access_token).jti, payload.jti);
    assert.equal(decodeJwt(again.access_token)['scope'], undefined, 'no scope requested, none granted');
    assert.equal(decodeJwt(again.access_token)['email'], alice.claims.email);
  });

  test('audit: each ID-JAG publishes token.exchanged with issuedTokenType id-jag, the audience and its jti; a refusal publishes nothing', async () => {
    const seen: Record<string, unknown>[] = [];
    const off = op.gh.services.events.on('token.exchanged', (e) => {
      seen.push(e as unknown as Record<string, unknown>);
    });
    try {
      const body = ok(await exchange(wiki, request({ scope: 'chat.read' })));
      refusedWith(await exchange(wiki, request({ audience: CLOSED_AS })), 'invalid_target');
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!['issuedTokenType'], ID_JAG);
      assert.equal(seen[0]!['clientId'], 'wiki');
      assert.deepEqual(seen[0]!['audience'], [CHAT_AS]);
      assert.equal(seen[0]!['scope'], 'chat.read');
      assert.equal(seen[0]!['jti'], decodeJwt(body.access_token).jti);
    } finally {
      off();
    }
  });

  test('§5: a client without a clientIds mapping keeps its own id; an audience without includeEmail gets no email', async () => {
    const body = ok(await exchange(wiki, request({ audience: SSO_AS })));
    const { payload } = await verifyIdJag(body.access_token, SSO_AS);
    assert.equal(payload['client_id'], 'wiki');
    assert.equal(payload['email'], undefined);
  });

  test("§5: with ssoClientId the sub is the one the resource AS sees as our RP (pairwise here), not the client's", async () => {
    const body = ok(await exchange(wiki, request({ audience: SSO_AS })));
    const { payload } = await verifyIdJag(body.access_token, SSO_AS);
    const ssoIdToken = decodeJwt((await signIn(chatSso)).id_token!);
    assert.notEqual(ssoIdToken.sub, alice.id, 'chat-sso is pairwise');
    assert.equal(payload.sub, ssoIdToken.sub);
  });

  test('§4.3 audience REQUIRED: without it invalid_request; two audiences invalid_target (RFC 8693 §2.2.2)', async () => {
    const { audience: _drop, ...noAudience } = request();
    refusedWith(await exchange(wiki, noAudience), 'invalid_request');
    const two = new URLSearchParams(request());
    two.append('audience', SSO_AS);
    refusedWith(await exchange(wiki, two), 'invalid_target');
  });

  test('§4.3.3 policy: an unknown audience, one this client is not allowed, or a resource not allowed is invalid_target', async () => {
    refusedWith(await exchange(wiki, request({ audience: 'https://unknown.example/' })), 'invalid_target');
    refusedWith(await exchange(wiki, request({ audience: CLOSED_AS })), 'invalid_target');
    refusedWith(await exchange(wiki, request({ resource: 'https://api.other.example/' })), 'invalid_target');
  });

  test('§4.3.3 policy: a client on no audience list is refused (invalid_target), a client without the grant type unauthorized_client', async () => {
    const strangerTokens = await signIn(stranger);
    refusedWith(await exchange(stranger, request({ subject_token: strangerTokens.id_token! })), 'invalid_target');
    const noExchangeTokens = await signIn(noExchange);
    refusedWith(await exchange(noExchange, request({ subject_token: noExchangeTokens.id_token! })), 'unauthorized_client');
  });

  test('§4.3.3 scope: a scope beyond the audience policy is invalid_scope (no upscoping)', async () => {
    refusedWith(await exchange(wiki, request({ scope: 'chat.read chat.admin' })), 'invalid_scope');
    refusedWith(await exchange(wiki, request({ audience: SSO_AS, scope: 'chat.read' })), 'invalid_scope');
  });

  test('§4.3.3: "the audience of the assertion ... matches the client_id of the client authentication": another client\'s ID token is invalid_request', async () => {
    refusedWith(await exchange(wiki2, request()), 'invalid_request');
  });

  test('§4.3 subject_token_type: an access token is not an Identity Assertion (invalid_request), nor is it taken as an ID token', async () => {
    refusedWith(await exchange(wiki, request({ subject_token: wikiTokens.access_token, subject_token_type: AT })), 'invalid_request');
    refusedWith(await exchange(wiki, request({ subject_token: wikiTokens.access_token })), 'invalid_request');
    refusedWith(
      await exchange(wiki, request({ subject_token: wikiTokens.refresh_token!, subject_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' })),
      'invalid_request',
    );
    refusedWith(await exchange(wiki, request({ subject_token: 'not-a-token' })), 'invalid_request');
  });

  test('§3.1 typ (RFC 8725 §3.11): an ID-JAG is neither an ID token nor an access token here', async () => {
    const idJag = ok(await exchange(wiki, request())).access_token;
    refusedWith(await exchange(wiki, request({ subject_token: idJag })), 'invalid_request');
    refusedWith(await exchange(wiki, { subject_token: idJag, subject_token_type: AT }), 'invalid_request');
    const res = await fetch(`${op.url}/userinfo`, { headers: { authorization: `Bearer ${idJag}` } });
    assert.equal(res.status, 401);
  });

  test('§4.3: an actor_token is refused rather than silently ignored', async () => {
    refusedWith(await exchange(wiki, request({ actor_token: wikiTokens.access_token, actor_token_type: AT })), 'invalid_request');
  });

  test('the ID-JAG never outlives the ID token; an expired ID token is invalid_request', async () => {
    const idExp = decodeJwt(wikiTokens.id_token!).exp as number;
    op.clock.advance(idExp - Math.floor(op.clock.now() / 1000) - 100);
    const body = ok(await exchange(wiki, request()));
    const { payload } = await verifyIdJag(body.access_token, CHAT_AS);
    assert.equal(payload.exp, idExp);
    assert.ok(body.expires_in! <= 100);
    op.clock.advance(101);
    refusedWith(await exchange(wiki, request()), 'invalid_request');
  });
});

/**
 * Transaction tokens (draft-ietf-oauth-transaction-tokens) over real HTTP: an allow-listed
 * workload trades an access token of ours for a `txntoken+jwt` with oauth4webapi's generic token
 * endpoint request; the token is verified with jose against /jwks.json, then by the kit's
 * `verifyTransactionToken` (web `Request` with the `Txn-Token` header, and a Fastify route).
 * Section numbers are those of the draft as of 2026 (§6 lifetime, §9 format, §11.1 request,
 * §11.3 processing, §11.4 response, §12 use and validation, §13 security).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { createRemoteJWKSet, decodeJwt, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import {
  createTransactionTokenVerifier,
  requireTransactionToken,
  type TransactionTokenVerifier,
  verifyTransactionToken,
} from '../../src/resource-server-kit/mod.ts';
import { authorizeCode, createTestUser, rpConfig, serverMetadata, startOidcServer, type OidcServer, type TestRp, type TestUser } from '../support/oidc.ts';
import { createTestClient, type TestClient } from '../support/server.ts';
import { UserAgent } from '../support/user-agent.ts';

const INSECURE = { [oauth.allowInsecureRequests]: true } as const;
const TX = 'urn:ietf:params:oauth:grant-type:token-exchange';
const TXN = 'urn:ietf:params:oauth:token-type:txn_token';
const AT = 'urn:ietf:params:oauth:token-type:access_token';
const JWT = 'urn:ietf:params:oauth:token-type:jwt';
const IDT = 'urn:ietf:params:oauth:token-type:id_token';
const RT = 'urn:ietf:params:oauth:token-type:refresh_token';
const DOMAIN = 'trust-domain.example';
const REDIRECT = 'https://shop.example.test/cb';
const CALLER_IP = '203.0.113.7';

let op: OidcServer;
let as: oauth.AuthorizationServer;
let alice: TestUser;
let shop: TestRp;
let gateway: TestClient;
let intruder: TestClient;
let batch: TestClient;
let userTokens: oauth.TokenEndpointResponse;
let verifier: TransactionTokenVerifier;

type Result = { ok: true; body: oauth.TokenEndpointResponse } | { ok: false; error: string; description: string | undefined; status: number };

async function exchange(c: TestClient, params: URLSearchParams | Record<string, string>): Promise<Result> {
  const client: oauth.Client = { client_id: c.client_id };
  const res = await oauth.genericTokenEndpointRequest(as, client, oauth.ClientSecretBasic(c.client_secret), TX, params, {
    ...INSECURE,
    // The workload is behind the trusted proxy (http.trustProxy): req_ip is the forwarded address.
    headers: new Headers({ 'x-forwarded-for': CALLER_IP }),
  });
  try {
    // RFC 8693 §2.2.1 / §11.4: token_type N_A is recognised explicitly.
    return { ok: true, body: await oauth.processGenericTokenEndpointResponse(as, client, res, { recognizedTokenTypes: { n_a: () => {} } }) };
  } catch (e) {
    if (e instanceof oauth.ResponseBodyError) return { ok: false, error: e.error, description: e.error_description, status: e.status };
    throw e;
  }
}

function ok(r: Result): oauth.TokenEndpointResponse {
  assert.ok(r.ok, `expected success, got ${r.ok ? '' : `${r.status} ${r.error}`}`);
  return r.body;
}

function refusedWith(r: Result, error: string, description?: RegExp): void {
  assert.equal(r.ok, false, 'the request must be refused');
  if (r.ok) return;
  assert.equal(r.error, error);
  if (description) assert.match(r.description ?? '', description);
}

const request = (extra: Record<string, string> = {}) => ({
  requested_token_type: TXN,
  subject_token: userTokens.access_token,
  subject_token_type: AT,
  audience: DOMAIN,
  scope: 'trade',
  ...extra,
});

async function verifyWithJose(token: string) {
  const jwks = createRemoteJWKSet(new URL(`${op.url}/jwks.json`));
  return jwtVerify(token, jwks, { audience: DOMAIN, typ: 'txntoken+jwt', currentDate: new Date(op.clock.now()) });
}

async function clientToken(c: TestClient, scope: string): Promise<string> {
  const client: oauth.Client = { client_id: c.client_id };
  const res = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(c.client_secret), { scope }, INSECURE);
  return (await oauth.processClientCredentialsResponse(as, client, res)).access_token;
}

/** A token signed with the server's own key, for the kit's negative cases. */
function signWithOurKey(payload: Record<string, unknown>, typ: string): Promise<string> {
  return op.gh.services.keys.signer('ES256').signAsync(payload, typ);
}

/** A user access token of ours that records how the user signed in (`amr`), as an upstream exchange would. */
function amrAccessToken(): Promise<string> {
  const iat = Math.floor(op.clock.now() / 1000);
  const claims = { iss: op.url, sub: alice.id, aud: op.url, client_id: shop.client_id, iat, exp: iat + 300, scope: 'trade', auth_time: iat - 10 };
  return signWithOurKey({ ...claims, jti: `amr-${iat}-${Math.random()}`, amr: ['pwd', 'otp'] }, 'at+jwt');
}

function txnClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = Math.floor(op.clock.now() / 1000);
  return { iss: op.url, iat, exp: iat + 60, aud: DOMAIN, txn: `t-${Math.random()}`, sub: 'u1', scope: 'trade', req_wl: 'gateway', rctx: {}, ...overrides };
}

before(async () => {
  op = await startOidcServer({
    http: { trustProxy: true },
    transactionTokens: { trustDomain: DOMAIN, workloads: ['gateway', 'batch'], maxContextBytes: 512 },
  });
  as = (await serverMetadata(op.url)) as oauth.AuthorizationServer;
  alice = await createTestUser(op.gh);
  const c = await createTestClient(op.gh, {
    redirect_uris: [REDIRECT],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    scope: 'openid email offline_access trade',
  });
  shop = { ...c, redirect_uri: REDIRECT, kind: 'confidential' };
  gateway = await createTestClient(op.gh, { grant_types: [TX], scope: 'read' }, { clientId: 'gateway' });
  batch = await createTestClient(
    op.gh,
    { grant_types: [TX, 'client_credentials'], scope: 'trade report', access_token_format: 'opaque' },
    { clientId: 'batch' },
  );
  intruder = await createTestClient(op.gh, { grant_types: [TX], scope: 'read' });
  const ua = new UserAgent(op.url);
  const cfg = await rpConfig(op, shop);
  const { req, callback } = await authorizeCode(cfg, shop, ua, alice, { scope: 'openid email offline_access trade', prompt: 'consent' });
  const client: oauth.Client = { client_id: shop.client_id };
  const validated = oauth.validateAuthResponse(as, client, callback, req.state);
  const res = await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretBasic(shop.client_secret), validated, REDIRECT, req.verifier, INSECURE);
  userTokens = await oauth.processAuthorizationCodeResponse(as, client, res, { expectedNonce: req.nonce, requireIdToken: true });
  verifier = createTransactionTokenVerifier({ trustDomain: DOMAIN, jwks: `${op.url}/jwks.json`, issuer: op.url, now: () => op.clock.now() });
});
after(() => op?.close());

describe('Transaction tokens (draft-ietf-oauth-transaction-tokens): issuance', () => {
  test('§11.1 / §11.4 / §9: a user access token for a txn token: typ txntoken+jwt, aud the trust domain, txn, sub, purpose, req_wl, rctx, tctx; N_A; no refresh token', async () => {
    const body = ok(
      await exchange(
        gateway,
        request({
          request_context: JSON.stringify({ transport: 'https', req_ip: '10.9.9.9' }),
          request_details: JSON.stringify({ action: 'BUY', ticker: 'MSFT', quantity: '100' }),
        }),
      ),
    );
    assert.equal(body['issued_token_type'], TXN);
    assert.equal(body.token_type.toLowerCase(), 'n_a');
    assert.equal(body.refresh_token, undefined, '§11.4: MUST NOT include the refresh_token');
    assert.equal(body.expires_in, 60);
    const { payload, protectedHeader } = await verifyWithJose(body.access_token);
    assert.equal(protectedHeader.typ, 'txntoken+jwt');
    assert.ok(typeof protectedHeader.kid === 'string', '§9.1: kid for key rotation');
    assert.equal(payload.aud, DOMAIN);
    assert.equal((payload.exp as number) - (payload.iat as number), 60);
    assert.ok(typeof payload['txn'] === 'string' && (payload['txn'] as string).length >= 16);
    assert.equal(payload.sub, alice.id);
    assert.equal(payload['scope'], 'trade');
    assert.equal(payload['req_wl'], 'gateway');
    // Our access tokens from a code flow carry auth_time but no amr: no authn then.
    assert.deepEqual(payload['rctx'], { transport: 'https', req_ip: CALLER_IP, req_wl: 'gateway' }, 'the server-known req_ip wins over the claimed one');
    assert.deepEqual(payload['tctx'], { action: 'BUY', ticker: 'MSFT', quantity: '100' });
    assert.equal(payload['client_id'], undefined, 'not an access token');
    // §13.4: "the Txn-Token MUST NOT contain the access token presented".
    assert.ok(!JSON.stringify(payload).includes(userTokens.access_token));
    const again = ok(await exchange(gateway, request()));
    assert.notEqual(decodeJwt(again.access_token)['txn'], payload['txn'], '§13.2: txn unique');
    assert.equal(decodeJwt(again.access_token)['tctx'], undefined);
  });

  test("§9.2.2 rctx authn: the subject token's amr (RFC 8176) becomes authn", async () => {
    const subjectToken = await amrAccessToken();
    const body = ok(await exchange(gateway, request({ subject_token: subjectToken })));
    const { payload } = await verifyWithJose(body.access_token);
    assert.deepEqual(payload['rctx'], { req_ip: CALLER_IP, authn: 'pwd otp', req_wl: 'gateway' });
    assert.equal(payload.sub, alice.id);
  });

  test('§9.2.2 rctx authn is what the TTS knows of the sign-in: a request_context naming authn is invalid_request, with or without an amr in the subject token', async () => {
    // A code-flow access token has no amr: a requester-supplied authn would stand unchallenged.
    const forged = JSON.stringify({ authn: 'hwk mfa', transport: 'https' });
    refusedWith(await exchange(gateway, request({ request_context: forged })), 'invalid_request', /authn/);
    refusedWith(await exchange(gateway, request({ subject_token: await amrAccessToken(), request_context: forged })), 'invalid_request', /authn/);
    // Without it the other members pass, and authn is absent when the subject token has no amr.
    const body = ok(await exchange(gateway, request({ request_context: JSON.stringify({ transport: 'https' }) })));
    const { payload } = await verifyWithJose(body.access_token);
    assert.deepEqual(payload['rctx'], { transport: 'https', req_ip: CALLER_IP, req_wl: 'gateway' });
  });

  test('audit: each txn token publishes token.exchanged with issuedTokenType txn_token, the trust domain and its txn', async () => {
    const seen: Record<string, unknown>[] = [];
    const off = op.gh.services.events.on('token.exchanged', (e) => {
      seen.push(e as unknown as Record<string, unknown>);
    });
    try {
      const body = ok(await exchange(gateway, request()));
      refusedWith(await exchange(intruder, request()), 'invalid_request');
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!['issuedTokenType'], TXN);
      assert.equal(seen[0]!['clientId'], 'gateway');
      assert.equal(seen[0]!['subjectClientId'], shop.client_id);
      assert.deepEqual(seen[0]!['audience'], [DOMAIN]);
      assert.equal(seen[0]!['jti'], decodeJwt(body.access_token)['txn']);
    } finally {
      off();
    }
  });

  test('S17: no ID-JAG audience is configured here: id-jag is unsupported (invalid_request) and discovery does not list it', async () => {
    refusedWith(await exchange(gateway, request({ requested_token_type: 'urn:ietf:params:oauth:token-type:id-jag' })), 'invalid_request');
    assert.equal((as as Record<string, unknown>)['identity_chaining_requested_token_types_supported'], undefined);
  });

  test('§11.2: an opaque access token of a client (client credentials) is a subject too; sub is that client', async () => {
    const opaque = await clientToken(batch, 'trade report');
    assert.equal(opaque.split('.').length, 1, 'opaque');
    const body = ok(await exchange(batch, request({ subject_token: opaque, scope: 'report' })));
    const { payload } = await verifyWithJose(body.access_token);
    assert.equal(payload.sub, 'batch');
    assert.equal(payload['req_wl'], 'batch');
    assert.equal(payload['scope'], 'report');
  });

  test('§11.1 audience: the wrong trust domain or two audiences is invalid_target; none is invalid_request', async () => {
    refusedWith(await exchange(gateway, request({ audience: 'other-domain.example' })), 'invalid_target');
    const two = new URLSearchParams(request());
    two.append('audience', 'other-domain.example');
    refusedWith(await exchange(gateway, two), 'invalid_target');
    const { audience: _a, ...none } = request();
    refusedWith(await exchange(gateway, none), 'invalid_request');
    refusedWith(await exchange(gateway, request({ resource: 'https://api.example/' })), 'invalid_target');
  });

  test("§13.6: the purpose must be within the subject token's scope (invalid_scope); §11.1 scope REQUIRED", async () => {
    refusedWith(await exchange(gateway, request({ scope: 'trade admin' })), 'invalid_scope');
    const { scope: _s, ...noScope } = request();
    refusedWith(await exchange(gateway, noScope), 'invalid_request');
  });

  test('§11.3 / §13.10: a workload not on transactionTokens.workloads is refused (invalid_request)', async () => {
    refusedWith(await exchange(intruder, request()), 'invalid_request');
  });

  test("§6 (Gatehouse's policy): a txn token never outlives the subject token: expires_in and exp end at the subject's exp", async () => {
    const iat = Math.floor(op.clock.now() / 1000);
    const shortLived = await signWithOurKey(
      { iss: op.url, sub: alice.id, aud: op.url, client_id: shop.client_id, iat, exp: iat + 20, jti: `short-${iat}`, scope: 'trade' },
      'at+jwt',
    );
    const body = ok(await exchange(gateway, request({ subject_token: shortLived })));
    const { payload } = await verifyWithJose(body.access_token);
    assert.equal(payload.exp, iat + 20, "capped at the subject token's exp");
    // expires_in counts from the server's own clock (a second may have turned since `iat`).
    assert.equal(body.expires_in, (payload.exp as number) - (payload.iat as number));
    assert.ok(body.expires_in <= 20);
  });

  test('§11.1 request_context / request_details: oversized, malformed JSON, or not an object is invalid_request', async () => {
    refusedWith(await exchange(gateway, request({ request_context: JSON.stringify({ pad: 'x'.repeat(600) }) })), 'invalid_request');
    refusedWith(await exchange(gateway, request({ request_details: JSON.stringify({ pad: 'x'.repeat(600) }) })), 'invalid_request');
    refusedWith(await exchange(gateway, request({ request_context: '{"req_ip":' })), 'invalid_request');
    refusedWith(await exchange(gateway, request({ request_context: '["a"]' })), 'invalid_request');
    refusedWith(await exchange(gateway, request({ request_details: 'null' })), 'invalid_request');
    refusedWith(await exchange(gateway, request({ request_details: '"BUY"' })), 'invalid_request');
  });

  test('§13.13: a transaction token is not an access token: userinfo refuses it, and it is no subject token for another exchange', async () => {
    const txnToken = ok(await exchange(gateway, request())).access_token;
    const res = await fetch(`${op.url}/userinfo`, { headers: { authorization: `Bearer ${txnToken}` } });
    assert.equal(res.status, 401);
    refusedWith(await exchange(gateway, request({ subject_token: txnToken })), 'invalid_request');
    refusedWith(await exchange(gateway, request({ subject_token: txnToken, subject_token_type: JWT })), 'invalid_request');
  });

  test('§11.2 / §13.3: a refresh token or an ID token is not a subject token for a txn token (invalid_request)', async () => {
    refusedWith(await exchange(gateway, request({ subject_token: userTokens.refresh_token!, subject_token_type: RT })), 'invalid_request');
    refusedWith(await exchange(gateway, request({ subject_token: userTokens.id_token!, subject_token_type: IDT })), 'invalid_request');
    refusedWith(await exchange(gateway, request({ subject_token: 'garbage', subject_token_type: JWT })), 'invalid_request');
  });
});

describe('Transaction tokens: replacement (§13 "Txn-Token as a subject_token")', () => {
  const replaceRequest = (subjectToken: string, extra: Record<string, string> = {}) => ({
    requested_token_type: TXN,
    subject_token: subjectToken,
    subject_token_type: TXN,
    audience: DOMAIN,
    scope: 'trade',
    ...extra,
  });
  let original: string;
  before(async () => {
    original = ok(
      await exchange(
        gateway,
        request({ request_context: JSON.stringify({ transport: 'https' }), request_details: JSON.stringify({ action: 'BUY', ticker: 'MSFT' }) }),
      ),
    ).access_token;
  });

  test('a workload further down the chain gets a replacement: txn, sub and aud kept, req_wl a chain, members added, never past the original exp', async () => {
    const body = ok(
      await exchange(
        batch,
        replaceRequest(original, { request_context: JSON.stringify({ hop: 'batch' }), request_details: JSON.stringify({ ticker: 'MSFT', venue: 'XNAS' }) }),
      ),
    );
    assert.equal(body['issued_token_type'], TXN);
    assert.equal(body.token_type.toLowerCase(), 'n_a');
    assert.equal(body.refresh_token, undefined);
    const before = decodeJwt(original);
    const { payload, protectedHeader } = await verifyWithJose(body.access_token);
    assert.equal(protectedHeader.typ, 'txntoken+jwt');
    // "MUST NOT modify txn, sub, and aud values".
    assert.equal(payload['txn'], before['txn']);
    assert.equal(payload.sub, before.sub);
    assert.equal(payload.aud, DOMAIN);
    // "MUST maintain the Call Chain of workloads".
    assert.deepEqual(payload['req_wl'], ['gateway', 'batch']);
    assert.deepEqual(payload['rctx'], { transport: 'https', req_ip: CALLER_IP, req_wl: ['gateway', 'batch'], hop: 'batch' });
    assert.deepEqual(payload['tctx'], { action: 'BUY', ticker: 'MSFT', venue: 'XNAS' });
    assert.ok((payload.exp as number) <= (before.exp as number), 'never outlives the replaced token');
    // The kit reads the chain.
    const v = await verifier.verify(body.access_token);
    assert.deepEqual(v.requestingWorkloads, ['gateway', 'batch']);
    // A replacement of a replacement extends the chain.
    const third = ok(await exchange(gateway, replaceRequest(body.access_token)));
    assert.deepEqual(decodeJwt(third.access_token)['req_wl'], ['gateway', 'batch', 'gateway']);
  });

  test('the replacement ends when the replaced token does: exp and expires_in capped at its exp', async () => {
    const claims = txnClaims({ sub: alice.id, scope: 'trade' });
    claims['exp'] = (claims['iat'] as number) + 7;
    const body = ok(await exchange(gateway, replaceRequest(await signWithOurKey(claims, 'txntoken+jwt'))));
    const issued = decodeJwt(body.access_token);
    assert.equal(issued.exp, claims['exp']);
    // expires_in counts from the server's own clock (a second may have turned since `iat`).
    assert.equal(body.expires_in, (issued.exp as number) - (issued.iat as number));
    assert.ok(body.expires_in <= 7);
  });

  test('"MUST NOT ... expand the scope": a purpose beyond the replaced token is invalid_scope; a narrower one passes', async () => {
    const wide = ok(await exchange(batch, request({ subject_token: await clientToken(batch, 'trade report'), scope: 'trade report' }))).access_token;
    refusedWith(await exchange(gateway, replaceRequest(original, { scope: 'trade report' })), 'invalid_scope');
    const narrowed = ok(await exchange(gateway, replaceRequest(wide, { scope: 'report' })));
    assert.equal(decodeJwt(narrowed.access_token)['scope'], 'report');
  });

  test('asserted values stay: a member sent again with the same value (nested keys in another order) is kept, not a change', async () => {
    const first = ok(await exchange(gateway, request({ request_details: JSON.stringify({ order: { side: 'BUY', qty: 100, legs: [1, 2] } }) }))).access_token;
    const again = ok(
      await exchange(batch, replaceRequest(first, { request_details: JSON.stringify({ order: { legs: [1, 2], qty: 100, side: 'BUY' }, venue: 'XNAS' }) })),
    );
    assert.deepEqual(decodeJwt(again.access_token)['tctx'], { order: { side: 'BUY', qty: 100, legs: [1, 2] }, venue: 'XNAS' });
    refusedWith(
      await exchange(batch, replaceRequest(first, { request_details: JSON.stringify({ order: { legs: [2, 1], qty: 100, side: 'BUY' } }) })),
      'invalid_request',
    );
    refusedWith(
      await exchange(batch, replaceRequest(first, { request_details: JSON.stringify({ order: { side: 'BUY', qty: '100', legs: [1, 2] } }) })),
      'invalid_request',
    );
  });

  test('asserted values stay: changing a tctx or rctx member (or req_ip) is invalid_request', async () => {
    refusedWith(await exchange(batch, replaceRequest(original, { request_details: JSON.stringify({ action: 'SELL' }) })), 'invalid_request');
    refusedWith(await exchange(batch, replaceRequest(original, { request_context: JSON.stringify({ req_ip: '10.0.0.1' }) })), 'invalid_request');
    refusedWith(await exchange(batch, replaceRequest(original, { request_context: JSON.stringify({ transport: 'http' }) })), 'invalid_request');
  });

  test('§9.2.2 rctx authn on replacement: kept from the replaced token, never added or re-asserted through request_context (invalid_request)', async () => {
    // The original has no authn (its subject token had no amr): a replacement may not add one.
    refusedWith(await exchange(batch, replaceRequest(original, { request_context: JSON.stringify({ authn: 'hwk mfa' }) })), 'invalid_request', /authn/);
    // One made from an amr-bearing token keeps its authn through replacements.
    const withAmr = ok(await exchange(gateway, request({ subject_token: await amrAccessToken() }))).access_token;
    const replaced = ok(await exchange(batch, replaceRequest(withAmr, { request_context: JSON.stringify({ hop: 'batch' }) })));
    assert.equal((decodeJwt(replaced.access_token)['rctx'] as Record<string, unknown>)['authn'], 'pwd otp');
    refusedWith(await exchange(batch, replaceRequest(withAmr, { request_context: JSON.stringify({ authn: 'pwd otp' }) })), 'invalid_request', /authn/);
  });

  test('only a valid txn token of ours for this trust domain is replaced; only allow-listed workloads replace', async () => {
    refusedWith(await exchange(intruder, replaceRequest(original)), 'invalid_request');
    // Expired ("MUST NOT issue a new Txn-Token when the Txn-Token being replaced has expired").
    const iat = Math.floor(op.clock.now() / 1000) - 120;
    refusedWith(await exchange(gateway, replaceRequest(await signWithOurKey(txnClaims({ iat, exp: iat + 60 }), 'txntoken+jwt'))), 'invalid_request');
    // Another trust domain, another issuer, another typ, another key, or an access token.
    refusedWith(await exchange(gateway, replaceRequest(await signWithOurKey(txnClaims({ aud: 'other-domain.example' }), 'txntoken+jwt'))), 'invalid_request');
    refusedWith(
      await exchange(gateway, replaceRequest(await signWithOurKey(txnClaims({ iss: 'https://elsewhere.example' }), 'txntoken+jwt'))),
      'invalid_request',
    );
    refusedWith(await exchange(gateway, replaceRequest(await signWithOurKey(txnClaims(), 'JWT'))), 'invalid_request');
    const { privateKey } = await generateKeyPair('ES256');
    const ours = (await (await fetch(`${op.url}/jwks.json`)).json()) as { keys: { kid: string; kty: string }[] };
    const kid = ours.keys.find((k) => k.kty === 'EC')!.kid;
    const forged = await new SignJWT(txnClaims()).setProtectedHeader({ alg: 'ES256', typ: 'txntoken+jwt', kid }).sign(privateKey);
    refusedWith(await exchange(gateway, replaceRequest(forged)), 'invalid_request');
    refusedWith(await exchange(gateway, replaceRequest(userTokens.access_token)), 'invalid_request');
    // A txn token is still no subject token for an access token (§13.13).
    refusedWith(await exchange(gateway, { ...replaceRequest(original), requested_token_type: AT }), 'invalid_request');
  });
});

describe('Transaction tokens: the resource-server kit verifies them (§12)', () => {
  let txnToken: string;
  let app: FastifyInstance;
  before(async () => {
    txnToken = ok(await exchange(gateway, request({ request_details: JSON.stringify({ action: 'BUY' }) }))).access_token;
    app = Fastify();
    app.get('/orders', { preHandler: requireTransactionToken(verifier, ['trade']) }, async (req) => ({
      txn: req.transactionToken?.txn,
      tctx: req.transactionToken?.transactionContext,
    }));
    app.get('/reports', { preHandler: requireTransactionToken(verifier, ['report']) }, async () => ({ ok: true }));
    await app.ready();
  });
  after(() => app?.close());

  test('§12.1 / §12.2: a web Request with the Txn-Token header verifies: txn, sub, purpose, workloads, contexts', async () => {
    const v = await verifyTransactionToken(new Request('https://orders.internal/x', { headers: { 'Txn-Token': txnToken } }), verifier);
    const claims = decodeJwt(txnToken);
    assert.equal(v.txn, claims['txn']);
    assert.equal(v.subject, alice.id);
    assert.deepEqual(v.scopes, ['trade']);
    assert.deepEqual(v.requestingWorkloads, ['gateway']);
    assert.deepEqual(v.transactionContext, { action: 'BUY' });
    assert.equal(v.requestContext['req_ip'], CALLER_IP);
    assert.equal((await verifyTransactionToken(txnToken, verifier)).txn, claims['txn']);
  });

  test('§12: a Fastify preHandler takes the Txn-Token header; none or the wrong purpose is refused', async () => {
    const good = await app.inject({ url: '/orders', headers: { 'txn-token': txnToken } });
    assert.equal(good.statusCode, 200);
    assert.deepEqual(good.json().tctx, { action: 'BUY' });
    const missing = await app.inject({ url: '/orders' });
    assert.equal(missing.statusCode, 401);
    assert.equal(missing.json().error, 'invalid_token');
    assert.equal((await app.inject({ url: '/reports', headers: { 'txn-token': txnToken } })).statusCode, 403);
    // §13.13: an Authorization header is not where a txn token travels.
    assert.equal((await app.inject({ url: '/orders', headers: { authorization: `Bearer ${txnToken}` } })).statusCode, 401);
  });

  test('§9.1: a token of ours with another typ is refused; §13.13: an access token presented as a txn token is refused', async () => {
    await assert.rejects(verifier.verify(await signWithOurKey(txnClaims(), 'JWT')), /typ/);
    await assert.rejects(verifier.verify(userTokens.access_token), /typ/);
    const res = await app.inject({ url: '/orders', headers: { 'txn-token': userTokens.access_token } });
    assert.equal(res.statusCode, 401);
  });

  test('§9.2 / §12.2: another trust domain (aud) is refused', async () => {
    await assert.rejects(verifier.verify(await signWithOurKey(txnClaims({ aud: 'other-domain.example' }), 'txntoken+jwt')), /trust domain/);
    const elsewhere = createTransactionTokenVerifier({ trustDomain: 'other-domain.example', jwks: `${op.url}/jwks.json`, now: () => op.clock.now() });
    await assert.rejects(elsewhere.verify(txnToken), /trust domain/);
  });

  test('§12.2: an expired txn token is refused', async () => {
    const iat = Math.floor(op.clock.now() / 1000) - 600;
    await assert.rejects(verifier.verify(await signWithOurKey(txnClaims({ iat, exp: iat + 60 }), 'txntoken+jwt')), /expired/);
  });

  test('§12.2: a txn token signed by another key (same kid, same claims) is refused', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const ours = (await (await fetch(`${op.url}/jwks.json`)).json()) as { keys: { kid: string; alg?: string; kty: string }[] };
    const kid = ours.keys.find((k) => k.kty === 'EC')!.kid;
    assert.ok((await exportJWK(publicKey)).kty === 'EC');
    const forged = await new SignJWT(txnClaims()).setProtectedHeader({ alg: 'ES256', typ: 'txntoken+jwt', kid }).sign(privateKey);
    await assert.rejects(verifier.verify(forged), /signature/);
  });

  test('§9.2: txn, sub, scope and req_wl are required', async () => {
    for (const drop of ['txn', 'sub', 'scope', 'req_wl']) {
      const claims = txnClaims();
      delete claims[drop];
      await assert.rejects(verifier.verify(await signWithOurKey(claims, 'txntoken+jwt')), `without ${drop}`);
    }
    await assert.rejects(verifier.verifyRequest({ headers: { 'txn-token': `${txnToken},${txnToken}` } }), /exactly one/);
  });

  test('§6: an expired subject token gets no txn token (invalid_request)', async () => {
    const exp = decodeJwt(userTokens.access_token).exp as number;
    op.clock.advance(exp - Math.floor(op.clock.now() / 1000) + 1);
    refusedWith(await exchange(gateway, request()), 'invalid_request');
  });
});

/**
 * Transaction tokens (draft-ietf-oauth-transaction-tokens) from an EXTERNAL access token: the
 * edge workload received a JWT access token of a trusted issuer (config `trustedIssuers`, use
 * `token-exchange`) and trades it for a `txntoken+jwt` (§11.2: the subject token may be "an
 * external access token"). Driven by oauth4webapi's generic token endpoint request; the issued
 * token is checked by the resource-server kit's verifier against our /jwks.json. The external
 * issuers are this test signing with jose (test/support/external-idp.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import { createTransactionTokenVerifier, type TransactionTokenVerifier } from '../../src/resource-server-kit/mod.ts';
import { bearerGrant, ok, refused, ID_JAG_TYP, JWT_BEARER, makeIdp, type GrantResult, type Idp } from '../support/external-idp.ts';
import { createTestUser, type TestUser } from '../support/oidc.ts';
import { createTestClient, startTestServer, type TestClient, type TestServer } from '../support/server.ts';

const TX = 'urn:ietf:params:oauth:grant-type:token-exchange';
const TXN = 'urn:ietf:params:oauth:token-type:txn_token';
const AT = 'urn:ietf:params:oauth:token-type:access_token';
const JWT = 'urn:ietf:params:oauth:token-type:jwt';
const DOMAIN = 'trust-domain.example';

let s: TestServer;
let as: oauth.AuthorizationServer;
let partner: Idp; // trusted, token-exchange, external subjects (no local user)
let corp: Idp; // trusted, token-exchange, subjects mapped to local users by username
let rogue: Idp; // not in the registry
let ci: Idp; // trusted, jwt-bearer, external subjects (no local user)
let gateway: TestClient;
let batch: TestClient;
let alice: TestUser;
let verifier: TransactionTokenVerifier;

const txnRequest = (subject_token: string, extra: Record<string, string> = {}) => ({
  requested_token_type: TXN,
  subject_token,
  subject_token_type: AT,
  audience: DOMAIN,
  scope: 'trade',
  ...extra,
});

// N_A (§11.4) is not a token type oauth4webapi knows; read the response body ourselves.
async function txn(c: TestClient, params: Record<string, string>): Promise<GrantResult> {
  const client: oauth.Client = { client_id: c.client_id };
  const res = await oauth.genericTokenEndpointRequest(as, client, oauth.ClientSecretBasic(c.client_secret), TX, params, {
    [oauth.allowInsecureRequests]: true,
  });
  try {
    return { ok: true, body: await oauth.processGenericTokenEndpointResponse(as, client, res, { recognizedTokenTypes: { n_a: () => {} } }) };
  } catch (e) {
    if (e instanceof oauth.ResponseBodyError) return { ok: false, error: e.error, description: e.error_description, status: e.status };
    throw e;
  }
}

/** An RFC 9068 access token of `idp` addressed to us. */
const externalAt = (idp: Idp, claims: Record<string, unknown>) => idp.sign({ aud: s.url, scope: 'trade read', ...claims }, { typ: 'at+jwt' });

before(async () => {
  partner = await makeIdp('https://partner.example', 'p1');
  corp = await makeIdp('https://corp.example', 'c1');
  rogue = await makeIdp('https://rogue.example', 'r1');
  ci = await makeIdp('https://ci.example', 'ci1');
  s = await startTestServer({
    keys: { algorithms: ['RS256', 'ES256'] },
    tokens: { accessTokenSigningAlg: 'ES256', idTokenSigningAlg: 'RS256' },
    transactionTokens: { trustDomain: DOMAIN, workloads: ['gateway', 'batch'] },
    trustedIssuers: [
      { issuer: partner.issuer, jwks: { keys: [partner.publicJwk] }, algorithms: ['ES256'], uses: ['token-exchange'], subjects: ['*'], clients: ['gateway'] },
      {
        issuer: corp.issuer,
        jwks: { keys: [corp.publicJwk] },
        algorithms: ['ES256'],
        uses: ['token-exchange'],
        subjects: ['*'],
        clients: ['gateway'],
        subjectMapping: { localUser: 'username', claim: 'preferred_username' },
      },
      { issuer: ci.issuer, jwks: { keys: [ci.publicJwk] }, algorithms: ['ES256'], uses: ['jwt-bearer'], subjects: ['*'], clients: ['gateway'] },
    ],
  });
  as = await oauth.processDiscoveryResponse(new URL(s.url), await oauth.discoveryRequest(new URL(s.url), { [oauth.allowInsecureRequests]: true }));
  gateway = await createTestClient(s.gh, { grant_types: [TX, JWT_BEARER], scope: 'read' }, { clientId: 'gateway' });
  batch = await createTestClient(s.gh, { grant_types: [TX], scope: 'read' }, { clientId: 'batch' });
  alice = await createTestUser(s.gh, { roles: ['admin'] });
  verifier = createTransactionTokenVerifier({ trustDomain: DOMAIN, jwks: `${s.url}/jwks.json`, issuer: s.url });
});
after(() => s?.close());

describe('draft-ietf-oauth-transaction-tokens §11.2: an external access token as the subject token', () => {
  test('§11.1 / §11.3 / §9.2: a trusted issuer access token becomes a txn token: purpose, req_wl, rctx.authn from its amr, verified by the kit', async () => {
    const body = ok(await txn(gateway, txnRequest(await externalAt(partner, { sub: 'cust-42', amr: ['pwd', 'otp'] }), { request_details: '{"order":"o-1"}' })));
    assert.equal(body.issued_token_type, TXN);
    assert.equal(body.token_type.toLowerCase(), 'n_a');
    assert.equal(body.refresh_token, undefined);
    const v = await verifier.verify(body.access_token);
    assert.deepEqual(v.scopes, ['trade']);
    assert.deepEqual(v.requestingWorkloads, ['gateway']);
    assert.equal(v.requestContext['authn'], 'pwd otp');
    assert.deepEqual(v.transactionContext, { order: 'o-1' });
    // §11.3 sub unique in the trust domain: the external subject qualified by its issuer.
    assert.equal(v.subject, `${partner.issuer}#cust-42`);
  });

  test('§11.3 "sub ... unique within the Trust Domain": an external sub equal to a local user id does not name that user', async () => {
    const body = ok(await txn(gateway, txnRequest(await externalAt(partner, { sub: alice.id }))));
    const v = await verifier.verify(body.access_token);
    assert.notEqual(v.subject, alice.id, 'a trusted issuer must not mint txn tokens naming a local user');
    assert.equal(v.subject, `${partner.issuer}#${alice.id}`);
  });

  test('§11.3 "sub ... unique within the Trust Domain": an external subject first exchanged for our own access token (RFC 8693) keeps its issuer; the txn token never names the local user', async () => {
    // Hop 1: a plain exchange turns the external token into one of ours; its `sub` stays the
    // external one, and RFC 9493 `sub_id` (iss_sub) says whose namespace it is in.
    const ours = ok(await bearerGrant(as, gateway, { subject_token: await externalAt(partner, { sub: alice.id }), subject_token_type: AT }, { grant: TX }));
    const claims = decodeJwt(ours.access_token);
    assert.equal(claims.sub, alice.id);
    assert.equal(claims['auth_time'], undefined);
    assert.deepEqual(claims['sub_id'], { format: 'iss_sub', iss: partner.issuer, sub: alice.id });
    // Hop 2: that token for a txn token names the external subject as a direct exchange does.
    const v = await verifier.verify(ok(await txn(gateway, txnRequest(ours.access_token, { scope: 'read' }))).access_token);
    assert.notEqual(v.subject, alice.id, 'a trusted issuer must not reach a local user through our own token');
    assert.equal(v.subject, `${partner.issuer}#${alice.id}`);
    // A second plain exchange keeps the marker, so any number of hops ends the same.
    const again = ok(await bearerGrant(as, gateway, { subject_token: ours.access_token, subject_token_type: AT }, { grant: TX }));
    assert.deepEqual(decodeJwt(again.access_token)['sub_id'], { format: 'iss_sub', iss: partner.issuer, sub: alice.id });
    assert.equal(
      (await verifier.verify(ok(await txn(gateway, txnRequest(again.access_token, { scope: 'read' }))).access_token)).subject,
      `${partner.issuer}#${alice.id}`,
    );
  });

  test('§11.3 / RFC 7523 §2.1: an access token from the JWT bearer grant for an unmapped external subject (localUser none) keeps its issuer too', async () => {
    const assertion = await ci.sign({ sub: alice.id, aud: s.url });
    const ours = ok(await bearerGrant(as, gateway, { assertion, scope: 'read' }));
    assert.deepEqual(decodeJwt(ours.access_token)['sub_id'], { format: 'iss_sub', iss: ci.issuer, sub: alice.id });
    const v = await verifier.verify(ok(await txn(gateway, txnRequest(ours.access_token, { scope: 'read' }))).access_token);
    assert.equal(v.subject, `${ci.issuer}#${alice.id}`);
  });

  test('§11.3: an external subject mapped to a local user (subjectMapping username) gets that user id as sub; the jwt token type works too', async () => {
    const at = await externalAt(corp, { sub: 'corp-7', preferred_username: alice.username });
    const v = await verifier.verify(ok(await txn(gateway, txnRequest(at))).access_token);
    assert.equal(v.subject, alice.id);
    const v2 = await verifier.verify(ok(await txn(gateway, txnRequest(at, { subject_token_type: JWT }))).access_token);
    assert.equal(v2.subject, alice.id);
  });

  test('RFC 8693 §2.2.2: an untrusted issuer access token is invalid_request', async () => {
    refused(await txn(gateway, txnRequest(await externalAt(rogue, { sub: 'cust-42' }))), 'invalid_request', /trusted issuer/);
  });

  test("RFC 8693 §2.2.2: a workload the issuer's entry does not list (clients) is refused, though it may ask for txn tokens", async () => {
    refused(await txn(batch, txnRequest(await externalAt(partner, { sub: 'cust-42' }))), 'invalid_request', /client may not present/);
  });

  test('§13.6: the purpose must be within the external token scope; an admin scope is never one for an external subject (issue #11)', async () => {
    refused(await txn(gateway, txnRequest(await externalAt(partner, { sub: 'cust-42' }), { scope: 'report' })), 'invalid_scope');
    const admin = await externalAt(partner, { sub: 'cust-42', scope: 'trade gatehouse:admin' });
    refused(await txn(gateway, txnRequest(admin, { scope: 'gatehouse:admin' })), 'invalid_scope');
  });

  test('RFC 8725 §3.11: an external ID-JAG, a foreign aud or an expired token is not a subject token (invalid_request)', async () => {
    const jag = await partner.sign({ sub: 'cust-42', aud: s.url, scope: 'trade', client_id: 'gateway' }, { typ: ID_JAG_TYP });
    refused(await txn(gateway, txnRequest(jag)), 'invalid_request', /typ/);
    refused(await txn(gateway, txnRequest(await externalAt(partner, { sub: 'cust-42', aud: 'https://elsewhere.example' }))), 'invalid_request', /aud/);
    const t = Math.floor(Date.now() / 1000);
    refused(await txn(gateway, txnRequest(await externalAt(partner, { sub: 'cust-42', iat: t - 200, exp: t - 100 }))), 'invalid_request', /expired/);
  });

  test('OIDC Core §2: an external auth_time in the future is refused (it would pass any max_age downstream)', async () => {
    const future = await externalAt(corp, { sub: 'corp-7', preferred_username: alice.username, auth_time: Math.floor(Date.now() / 1000) + 3600 });
    refused(await txn(gateway, txnRequest(future)), 'invalid_request', /auth_time/);
    // A plain token exchange reads the subject the same way.
    refused(await bearerGrant(as, gateway, { subject_token: future, subject_token_type: AT }, { grant: TX }), 'invalid_request', /auth_time/);
    const badAmr = await externalAt(partner, { sub: 'cust-42', amr: 'pwd' });
    refused(await txn(gateway, txnRequest(badAmr)), 'invalid_request', /amr/);
  });
});

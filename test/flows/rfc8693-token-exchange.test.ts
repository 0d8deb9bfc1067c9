/**
 * RFC 8693 OAuth 2.0 Token Exchange over real HTTP, driven by oauth4webapi (`genericTokenEndpointRequest`):
 * impersonation and delegation (nested `act`), `may_act`, the per-client `token_exchange` policy
 * (docs/token-exchange.md: delegation, impersonation, subject_clients, `aud` naming the client),
 * downscoping, lifetimes capped by the subject token (the client's own refresh token included),
 * revoked, expired and disabled-user subject tokens, repeatable `audience`/`resource`. Issued JWTs are verified
 * with jose against /jwks and introspected.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { OPERATOR } from '../support/app-world.ts';
import {
  authorizeCode,
  createRp,
  createTestUser,
  rpConfig,
  serverMetadata,
  startOidcServer,
  type OidcServer,
  type TestRp,
  type TestUser,
} from '../support/oidc.ts';
import { createTestClient, type TestClient } from '../support/server.ts';
import { UserAgent } from '../support/user-agent.ts';

const INSECURE = { [oauth.allowInsecureRequests]: true } as const;
const TX = 'urn:ietf:params:oauth:grant-type:token-exchange';
const AT = 'urn:ietf:params:oauth:token-type:access_token';
const JWT = 'urn:ietf:params:oauth:token-type:jwt';
const RT = 'urn:ietf:params:oauth:token-type:refresh_token';
const IDT = 'urn:ietf:params:oauth:token-type:id_token';
const RS_ID = 'tx-introspector';
const BACKEND = 'https://backend.example';
const OTHER = 'https://other.example';
const RESOURCE_A = 'https://api.example/a';
const RESOURCE_B = 'https://api.example/b';
/** A resource whose audience is a client id: tokens for it name that client in `aud`. */
const ADDRESSED_ID = 'tx-addressed';
const ADDRESSED_RESOURCE = 'https://addressed.example/api';

let op: OidcServer;
let as: oauth.AuthorizationServer;
let rp: TestRp;
let alice: TestUser;
let api: TestClient;
let actor1: TestClient;
let actor2: TestClient;
let stranger: TestClient;
let ccOnly: TestClient;
let rs: TestClient;
let noDelegation: TestClient;
let noImpersonation: TestClient;
let anyClient: TestClient;
let addressed: TestClient;
let txRp: TestRp;
let userTokens: oauth.TokenEndpointResponse;

type Result = { ok: true; body: oauth.TokenEndpointResponse } | { ok: false; error: string; status: number };

async function exchange(c: TestClient, params: URLSearchParams | Record<string, string>, grant = TX, DPoP?: oauth.DPoPHandle): Promise<Result> {
  const client: oauth.Client = { client_id: c.client_id };
  const res = await oauth.genericTokenEndpointRequest(as, client, oauth.ClientSecretBasic(c.client_secret), grant, params, {
    ...INSECURE,
    ...(DPoP ? { DPoP } : {}),
  });
  try {
    return { ok: true, body: await oauth.processGenericTokenEndpointResponse(as, client, res) };
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

async function clientToken(c: TestClient, scope = 'read', resource?: string): Promise<string> {
  const client: oauth.Client = { client_id: c.client_id };
  const params: Record<string, string> = { scope, ...(resource ? { resource } : {}) };
  const res = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(c.client_secret), params, INSECURE);
  return (await oauth.processClientCredentialsResponse(as, client, res)).access_token;
}

async function signIn(r: TestRp = rp): Promise<oauth.TokenEndpointResponse> {
  const ua = new UserAgent(op.url);
  const cfg = await rpConfig(op, r);
  const { req, callback } = await authorizeCode(cfg, r, ua, alice, { scope: 'openid offline_access email', prompt: 'consent' });
  const client: oauth.Client = { client_id: r.client_id };
  const validated = oauth.validateAuthResponse(as, client, callback, req.state);
  const res = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    oauth.ClientSecretBasic(r.client_secret),
    validated,
    r.redirect_uri,
    req.verifier,
    INSECURE,
  );
  return oauth.processAuthorizationCodeResponse(as, client, res, { expectedNonce: req.nonce, requireIdToken: true });
}

async function introspect(token: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${op.url}/introspect`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${rs.client_id}:${rs.client_secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ token }),
  });
  assert.equal(res.status, 200);
  return (await res.json()) as Record<string, unknown>;
}

async function verifyAccessToken(token: string, audience: string) {
  const jwks = createRemoteJWKSet(new URL(`${op.url}/jwks.json`));
  return (await jwtVerify(token, jwks, { issuer: op.url, audience, typ: 'at+jwt', currentDate: new Date(op.clock.now()) })).payload;
}

/** A token this server signed carrying `may_act` (as a claim mapping or an upstream exchange would). */
async function mayActToken(mayAct: Record<string, unknown>): Promise<string> {
  const iat = Math.floor(op.clock.now() / 1000);
  return op.gh.services.keys.signer('ES256').signAsync(
    {
      iss: op.url,
      sub: 'batch-service',
      aud: api.client_id,
      client_id: rp.client_id,
      exp: iat + 600,
      iat,
      jti: `may-act-${iat}-${Math.random()}`,
      scope: 'email',
      may_act: mayAct,
    },
    'at+jwt',
  );
}

before(async () => {
  op = await startOidcServer({
    introspection: { privilegedClients: [RS_ID] },
    registration: { enabled: true, allowedScopes: ['read'], allowedGrantTypes: ['client_credentials', TX] },
    rateLimits: { registration: { perAddress: 0 } },
    // The disabled-user test proves the exchange's own principal check, not the revocation on disable.
    users: { revokeOnDisable: false },
    resources: [
      { identifier: RESOURCE_A, audience: 'res-a' },
      { identifier: RESOURCE_B, audience: 'res-b' },
      { identifier: ADDRESSED_RESOURCE, audience: ADDRESSED_ID },
    ],
  });
  as = (await serverMetadata(op.url)) as oauth.AuthorizationServer;
  alice = await createTestUser(op.gh);
  rp = await createRp(op.gh);
  const txClient = (policy: Record<string, unknown> | undefined) =>
    createTestClient(op.gh, { grant_types: [TX, 'client_credentials'], scope: 'openid profile email read', ...(policy ? { token_exchange: policy } : {}) });
  api = await txClient({ subject_clients: [rp.client_id], audiences: [BACKEND, OTHER, RESOURCE_A, RESOURCE_B] });
  stranger = await txClient(undefined);
  actor1 = await createTestClient(op.gh, { grant_types: ['client_credentials'], scope: 'read' });
  actor2 = await createTestClient(op.gh, { grant_types: ['client_credentials'], scope: 'read' });
  ccOnly = await createTestClient(op.gh, { grant_types: ['client_credentials'], scope: 'openid email read' });
  rs = await createTestClient(op.gh, { grant_types: ['client_credentials'] }, { clientId: RS_ID });
  noDelegation = await txClient({ delegation: false });
  noImpersonation = await txClient({ impersonation: false });
  anyClient = await txClient({ subject_clients: '*' });
  // Lists another client, never actor1: only `aud` lets it exchange actor1's tokens addressed to it.
  addressed = await createTestClient(
    op.gh,
    { grant_types: [TX, 'client_credentials'], scope: 'read', token_exchange: { subject_clients: [rp.client_id] } },
    { clientId: ADDRESSED_ID },
  );
  txRp = await createRp(op.gh, 'confidential', { grant_types: ['authorization_code', 'refresh_token', TX] });
  userTokens = await signIn();
});
after(() => op?.close());

describe('RFC 8693 token exchange', () => {
  test('RFC 8414 §2 / RFC 8693 §2.1: discovery advertises the token-exchange grant', () => {
    assert.ok(as.grant_types_supported?.includes(TX));
  });

  test('RFC 8693 §2.1 / §2.2.1 impersonation: a user access token for a permitted audience; the JWT verifies against the jwks_uri and introspects active; no act, no refresh token', async () => {
    const body = ok(await exchange(api, { subject_token: userTokens.access_token, subject_token_type: AT, audience: BACKEND, scope: 'openid email' }));
    assert.equal(body['issued_token_type'], AT);
    assert.equal(body.token_type, 'bearer');
    assert.equal(body.scope, 'openid email');
    assert.equal(body.refresh_token, undefined);
    assert.ok(typeof body.expires_in === 'number' && body.expires_in > 0);
    const claims = await verifyAccessToken(body.access_token, BACKEND);
    const original = decodeJwt(userTokens.access_token);
    assert.equal(claims.sub, original.sub);
    assert.equal(claims['client_id'], api.client_id);
    assert.equal(claims['act'], undefined);
    assert.ok((claims.exp as number) <= (original.exp as number));
    const info = await introspect(body.access_token);
    assert.equal(info['active'], true);
    assert.equal(info['client_id'], api.client_id);
  });

  test('RFC 8693 §3 requested_token_type jwt: issued_token_type says jwt; an unsupported type is invalid_request', async () => {
    const body = ok(await exchange(api, { subject_token: userTokens.access_token, subject_token_type: JWT, requested_token_type: JWT, audience: BACKEND }));
    assert.equal(body['issued_token_type'], JWT);
    await verifyAccessToken(body.access_token, BACKEND);
    refusedWith(
      await exchange(api, {
        subject_token: userTokens.access_token,
        subject_token_type: AT,
        requested_token_type: 'urn:ietf:params:oauth:token-type:saml2',
        audience: BACKEND,
      }),
      'invalid_request',
    );
  });

  test('RFC 8693 §4.1 delegation: the act claim names the actor, and a second exchange nests the first actor', async () => {
    const first = ok(
      await exchange(api, {
        subject_token: userTokens.access_token,
        subject_token_type: AT,
        actor_token: await clientToken(actor1),
        actor_token_type: AT,
        audience: BACKEND,
      }),
    );
    const c1 = await verifyAccessToken(first.access_token, BACKEND);
    assert.deepEqual(c1['act'], { sub: actor1.client_id, client_id: actor1.client_id });
    const second = ok(
      await exchange(api, {
        subject_token: first.access_token,
        subject_token_type: AT,
        actor_token: await clientToken(actor2),
        actor_token_type: AT,
        audience: OTHER,
      }),
    );
    const c2 = await verifyAccessToken(second.access_token, OTHER);
    assert.deepEqual(c2['act'], { sub: actor2.client_id, client_id: actor2.client_id, act: { sub: actor1.client_id, client_id: actor1.client_id } });
    assert.equal(c2.sub, decodeJwt(userTokens.access_token).sub);
  });

  test('RFC 8693 §2.1 actor_token_type is required with actor_token', async () => {
    refusedWith(
      await exchange(api, { subject_token: userTokens.access_token, subject_token_type: AT, actor_token: await clientToken(actor1), audience: BACKEND }),
      'invalid_request',
    );
  });

  test('RFC 8693 §2.1 actor_token_type id_token: our ID token issued to the requesting client names the person acting; one issued to another client, or a refresh token, is refused', async () => {
    const iat = Math.floor(op.clock.now() / 1000);
    // An ID token as Gatehouse issues one to `api` (a person signed in there).
    const idToken = await op.gh.services.keys
      .signer('RS256')
      .signAsync({ iss: op.url, sub: alice.id, aud: api.client_id, azp: api.client_id, iat, exp: iat + 300, auth_time: iat - 5 }, 'JWT');
    const body = ok(
      await exchange(api, { subject_token: userTokens.access_token, subject_token_type: AT, actor_token: idToken, actor_token_type: IDT, audience: BACKEND }),
    );
    const claims = await verifyAccessToken(body.access_token, BACKEND);
    assert.deepEqual(claims['act'], { sub: alice.id, client_id: api.client_id });
    // The RP's ID token was issued to another client: it says nothing about who acts through `api`.
    refusedWith(
      await exchange(api, {
        subject_token: userTokens.access_token,
        subject_token_type: AT,
        actor_token: userTokens.id_token!,
        actor_token_type: IDT,
        audience: BACKEND,
      }),
      'invalid_request',
    );
    // RFC 6749 §10.4: a refresh token is a credential, not an actor statement.
    refusedWith(
      await exchange(api, {
        subject_token: userTokens.access_token,
        subject_token_type: AT,
        actor_token: userTokens.refresh_token!,
        actor_token_type: RT,
        audience: BACKEND,
      }),
      'invalid_request',
    );
  });

  test('RFC 8693 §2.1 actor_token_type MUST NOT be included without actor_token (invalid_request)', async () => {
    refusedWith(
      await exchange(api, { subject_token: userTokens.access_token, subject_token_type: AT, actor_token_type: AT, audience: BACKEND }),
      'invalid_request',
    );
    // The same request without the stray parameter is an ordinary impersonation.
    ok(await exchange(api, { subject_token: userTokens.access_token, subject_token_type: AT, audience: BACKEND }));
  });

  test('RFC 8693 §4.4 may_act: the named actor may act; another actor, or none, is refused (§2.2.2 invalid_request)', async () => {
    const token = await mayActToken({ client_id: actor1.client_id });
    const body = ok(
      await exchange(api, { subject_token: token, subject_token_type: JWT, actor_token: await clientToken(actor1), actor_token_type: AT, audience: BACKEND }),
    );
    assert.equal((await verifyAccessToken(body.access_token, BACKEND))['may_act'], undefined);
    refusedWith(
      await exchange(api, { subject_token: token, subject_token_type: JWT, actor_token: await clientToken(actor2), actor_token_type: AT, audience: BACKEND }),
      'invalid_request',
    );
    refusedWith(await exchange(api, { subject_token: token, subject_token_type: JWT, audience: BACKEND }), 'invalid_request');
  });

  test('RFC 8693 §2.2.2 invalid_target: an audience or a resource outside the client policy', async () => {
    refusedWith(await exchange(api, { subject_token: userTokens.access_token, subject_token_type: AT, audience: 'https://evil.example' }), 'invalid_target');
    const twice = new URLSearchParams({ subject_token: userTokens.access_token, subject_token_type: AT });
    twice.append('audience', BACKEND);
    twice.append('audience', 'https://evil.example');
    refusedWith(await exchange(api, twice), 'invalid_target');
    refusedWith(await exchange(stranger, { subject_token: await clientToken(stranger), subject_token_type: AT, resource: RESOURCE_A }), 'invalid_target');
  });

  test('RFC 8693 §2.1 scope / RFC 6749 §5.2 invalid_scope: downscoping only, never beyond the subject token', async () => {
    refusedWith(
      await exchange(api, { subject_token: userTokens.access_token, subject_token_type: AT, audience: BACKEND, scope: 'openid email profile' }),
      'invalid_scope',
    );
    const narrower = ok(await exchange(api, { subject_token: userTokens.access_token, subject_token_type: AT, audience: BACKEND, scope: 'email' }));
    assert.equal(narrower.scope, 'email');
  });

  test('RFC 8693 §2.1 audience and resource may repeat for token exchange; every value is in the issued aud', async () => {
    const p = new URLSearchParams({ subject_token: userTokens.access_token, subject_token_type: AT });
    p.append('audience', BACKEND);
    p.append('audience', OTHER);
    p.append('resource', RESOURCE_A);
    p.append('resource', RESOURCE_B);
    const body = ok(await exchange(api, p));
    const claims = decodeJwt(body.access_token);
    assert.deepEqual([...(claims.aud as string[])].sort(), [BACKEND, OTHER, 'res-a', 'res-b'].sort());
  });

  test('RFC 6749 §3.1: scope stays single for token exchange, and audience may not repeat for client_credentials', async () => {
    const p = new URLSearchParams({ subject_token: userTokens.access_token, subject_token_type: AT, audience: BACKEND });
    p.append('scope', 'email');
    p.append('scope', 'openid');
    refusedWith(await exchange(api, p), 'invalid_request');
    const cc = new URLSearchParams({ scope: 'read' });
    cc.append('audience', BACKEND);
    cc.append('audience', OTHER);
    refusedWith(await exchange(ccOnly, cc, 'client_credentials'), 'invalid_request');
  });

  test('RFC 6749 §5.2 unauthorized_client: a client not registered for token exchange', async () => {
    refusedWith(await exchange(ccOnly, { subject_token: userTokens.access_token, subject_token_type: AT }), 'unauthorized_client');
  });

  test("RFC 8693 §2.2.2 policy: another client's token is refused unless listed in subject_clients or addressed to the exchanger", async () => {
    refusedWith(await exchange(stranger, { subject_token: userTokens.access_token, subject_token_type: AT }), 'invalid_request');
    // Its own token (default policy): allowed, to the default audience.
    ok(await exchange(stranger, { subject_token: await clientToken(stranger), subject_token_type: AT }));
    // A refresh token is its own client's credential only.
    assert.ok(userTokens.refresh_token);
    refusedWith(await exchange(api, { subject_token: userTokens.refresh_token, subject_token_type: RT, audience: BACKEND }), 'invalid_request');
    // The subject_token_type must match the token.
    refusedWith(await exchange(api, { subject_token: userTokens.access_token, subject_token_type: RT, audience: BACKEND }), 'invalid_request');
    refusedWith(await exchange(api, { subject_token: 'not-a-token', subject_token_type: AT, audience: BACKEND }), 'invalid_request');
  });

  test('RFC 8693 §2.2.2 policy: token_exchange.delegation false refuses an exchange with an actor_token; without one it is allowed', async () => {
    const subject = await clientToken(noDelegation);
    refusedWith(
      await exchange(noDelegation, { subject_token: subject, subject_token_type: AT, actor_token: await clientToken(actor1), actor_token_type: AT }),
      'invalid_request',
    );
    ok(await exchange(noDelegation, { subject_token: subject, subject_token_type: AT }));
  });

  test('RFC 8693 §2.2.2 policy: token_exchange.impersonation false refuses an exchange without an actor_token; with one it is allowed', async () => {
    const subject = await clientToken(noImpersonation);
    refusedWith(await exchange(noImpersonation, { subject_token: subject, subject_token_type: AT }), 'invalid_request');
    const body = ok(
      await exchange(noImpersonation, { subject_token: subject, subject_token_type: AT, actor_token: await clientToken(actor1), actor_token_type: AT }),
    );
    assert.deepEqual(decodeJwt(body.access_token)['act'], { sub: actor1.client_id, client_id: actor1.client_id });
  });

  test("RFC 8693 §2.2.2 policy: token_exchange.subject_clients '*' lets the client exchange any client's token", async () => {
    // A user token of the RP and a client_credentials token of actor1: neither issued to nor addressed to anyClient.
    assert.equal(decodeJwt(userTokens.access_token).aud, op.url);
    const body = ok(await exchange(anyClient, { subject_token: userTokens.access_token, subject_token_type: AT }));
    assert.equal(decodeJwt(body.access_token).sub, decodeJwt(userTokens.access_token).sub);
    assert.equal(decodeJwt(body.access_token)['client_id'], anyClient.client_id);
    ok(await exchange(anyClient, { subject_token: await clientToken(actor1), subject_token_type: AT }));
  });

  test('RFC 8693 §2.2.2 policy: a subject token whose aud names the exchanging client may be exchanged though its client is not in subject_clients', async () => {
    // actor1's token for a resource whose audience is the exchanging client's id.
    const forAddressed = await clientToken(actor1, 'read', ADDRESSED_RESOURCE);
    assert.equal(decodeJwt(forAddressed).aud, ADDRESSED_ID);
    assert.equal(decodeJwt(forAddressed)['client_id'], actor1.client_id);
    const body = ok(await exchange(addressed, { subject_token: forAddressed, subject_token_type: AT }));
    const claims = decodeJwt(body.access_token);
    assert.equal(claims.sub, actor1.client_id);
    assert.equal(claims['client_id'], ADDRESSED_ID);
    // actor1's token not addressed to it: actor1 is not in its subject_clients, so it is refused.
    refusedWith(await exchange(addressed, { subject_token: await clientToken(actor1), subject_token_type: AT }), 'invalid_request');
  });

  test("RFC 8693 §2.2.2: a disabled user's token is refused, and accepted again once the user is enabled", async () => {
    await op.gh.services.application.users.disable(OPERATOR, { user: alice.username });
    try {
      refusedWith(await exchange(api, { subject_token: userTokens.access_token, subject_token_type: AT, audience: BACKEND }), 'invalid_request');
    } finally {
      await op.gh.services.application.users.enable(OPERATOR, { user: alice.username });
    }
    ok(await exchange(api, { subject_token: userTokens.access_token, subject_token_type: AT, audience: BACKEND }));
  });

  test('RFC 8693 §2.2.2 / RFC 7009: a revoked subject token is refused', async () => {
    const fresh = await signIn();
    const client: oauth.Client = { client_id: rp.client_id };
    const res = await oauth.revocationRequest(as, client, oauth.ClientSecretBasic(rp.client_secret), fresh.access_token, INSECURE);
    await oauth.processRevocationResponse(res);
    refusedWith(await exchange(api, { subject_token: fresh.access_token, subject_token_type: AT, audience: BACKEND }), 'invalid_request');
  });

  test('RFC 8693 §2.2.1 / RFC 9449 §5: a DPoP proof on the exchange binds the issued token (token_type DPoP, cnf.jkt)', async () => {
    const keys = await oauth.generateKeyPair('ES256');
    const dpop = oauth.DPoP({}, keys);
    const body = ok(await exchange(api, { subject_token: userTokens.access_token, subject_token_type: AT, audience: BACKEND }, TX, dpop));
    assert.equal(body.token_type, 'dpop');
    const claims = await verifyAccessToken(body.access_token, BACKEND);
    assert.deepEqual(claims['cnf'], { jkt: await dpop.calculateThumbprint() });
  });

  test('RFC 8693 audit: every exchange publishes token.exchanged with the subject, the actor and the new jti', async () => {
    const seen: Record<string, unknown>[] = [];
    const off = op.gh.services.events.on('token.exchanged', (e) => {
      seen.push(e as unknown as Record<string, unknown>);
    });
    try {
      const body = ok(
        await exchange(api, {
          subject_token: userTokens.access_token,
          subject_token_type: AT,
          actor_token: await clientToken(actor1),
          actor_token_type: AT,
          audience: BACKEND,
        }),
      );
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!['clientId'], api.client_id);
      assert.equal(seen[0]!['subjectClientId'], rp.client_id);
      assert.equal(seen[0]!['actorClientId'], actor1.client_id);
      assert.equal(seen[0]!['delegation'], true);
      assert.equal(seen[0]!['jti'], decodeJwt(body.access_token).jti);
    } finally {
      off();
    }
  });

  test('RFC 7591 §2: dynamic registration may ask for the grant but not set token_exchange policy (operator only)', async () => {
    const register = (meta: Record<string, unknown>) =>
      fetch(`${op.url}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_types: [TX], scope: 'read', ...meta }),
      });
    const refused = await register({ token_exchange: { subject_clients: '*' } });
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as Record<string, unknown>)['error'], 'invalid_client_metadata');
    assert.equal((await register({})).status, 201);
  });

  test('RFC 8693 policy through the application layer (CLI, admin API): token_exchange is set, kept on update, and its shape checked', async () => {
    const app = op.gh.services.application;
    const policy = { subject_clients: [rp.client_id], audiences: [BACKEND] };
    const r = await app.clients.create(OPERATOR, { client_name: 'tx app', grant_types: [TX], scope: 'openid email', token_exchange: policy });
    assert.deepEqual(r.client['token_exchange'], policy);
    const updated = await app.clients.update(OPERATOR, { client_id: r.client.client_id, metadata: { client_name: 'tx app 2' } });
    assert.deepEqual(updated.client['token_exchange'], policy);
    const c: TestClient = { client_id: r.client.client_id, client_secret: r.client_secret ?? '', client: undefined as never };
    ok(await exchange(c, { subject_token: userTokens.access_token, subject_token_type: AT, audience: BACKEND }));
    await assert.rejects(app.clients.create(OPERATOR, { client_name: 'bad', grant_types: [TX], token_exchange: { subject_clients: 'all' } as never }));
  });

  test('RFC 8693 §3 id_token subject: our ID token stands for the user (scope openid only); an access token sent as an ID token is refused', async () => {
    assert.ok(userTokens.id_token);
    const body = ok(await exchange(api, { subject_token: userTokens.id_token, subject_token_type: IDT, audience: BACKEND }));
    assert.equal(body.scope, 'openid');
    const claims = await verifyAccessToken(body.access_token, BACKEND);
    assert.equal(claims.sub, decodeJwt(userTokens.id_token).sub);
    refusedWith(await exchange(api, { subject_token: userTokens.id_token, subject_token_type: IDT, audience: BACKEND, scope: 'email' }), 'invalid_scope');
    refusedWith(await exchange(api, { subject_token: userTokens.access_token, subject_token_type: IDT, audience: BACKEND }), 'invalid_request');
    refusedWith(await exchange(stranger, { subject_token: userTokens.id_token, subject_token_type: IDT }), 'invalid_request');
  });

  test('RFC 8693 §2.2.1 lifetime: the issued token expires no later than the subject token; an expired subject token is refused', async () => {
    const subjectExp = decodeJwt(userTokens.access_token).exp as number;
    const left = 60;
    op.clock.advance(subjectExp - Math.floor(op.clock.now() / 1000) - left);
    const body = ok(await exchange(api, { subject_token: userTokens.access_token, subject_token_type: AT, audience: BACKEND }));
    assert.ok(body.expires_in! <= left, `expires_in ${body.expires_in} ≤ ${left}`);
    assert.ok((decodeJwt(body.access_token).exp as number) <= subjectExp);
    op.clock.advance(left + 1);
    refusedWith(await exchange(api, { subject_token: userTokens.access_token, subject_token_type: AT, audience: BACKEND }), 'invalid_request');
    // The ID token (shorter-lived) is past its exp too.
    refusedWith(await exchange(api, { subject_token: userTokens.id_token!, subject_token_type: IDT, audience: BACKEND }), 'invalid_request');
  });
});

describe("RFC 8693 token exchange: the client's own refresh token as subject token", () => {
  // Runs after the lifetime test above (which moves the clock): fresh tokens only.
  test('RFC 8693 §3 refresh_token subject: the issued token lives the access-token lifetime, never past the refresh token; an expired refresh token is refused', async () => {
    const tokens = await signIn(txRp);
    assert.ok(tokens.refresh_token);
    const rt = await introspect(tokens.refresh_token);
    assert.equal(rt['active'], true);
    const rtExp = rt['exp'] as number;
    const ttl = op.gh.services.config.tokens.accessTokenTtl;
    const now = () => Math.floor(op.clock.now() / 1000);
    // A refresh token lives far longer than an access token (tokens.refreshTokenTtl): the cap is the access-token lifetime.
    assert.ok(rtExp - now() > ttl, 'the refresh token outlives an access token');
    const params = { subject_token: tokens.refresh_token, subject_token_type: RT, requested_token_type: JWT };
    const body = ok(await exchange(txRp, params));
    assert.equal(body['issued_token_type'], JWT);
    assert.equal(body.refresh_token, undefined);
    assert.equal(body.expires_in, ttl);
    const claims = decodeJwt(body.access_token);
    assert.equal((claims.exp as number) - (claims.iat as number), ttl);
    assert.equal(claims.sub, decodeJwt(tokens.access_token).sub);
    assert.equal(claims['client_id'], txRp.client_id);
    assert.equal((await introspect(body.access_token))['active'], true);
    // A minute before the refresh token expires, the issued token ends with it.
    const left = 60;
    op.clock.advance(rtExp - now() - left);
    const late = ok(await exchange(txRp, params));
    assert.ok(late.expires_in! <= left, `expires_in ${late.expires_in} ≤ ${left}`);
    assert.ok((decodeJwt(late.access_token).exp as number) <= rtExp);
    op.clock.advance(left + 1);
    refusedWith(await exchange(txRp, params), 'invalid_request');
  });

  test('RFC 7009 §2.1 / RFC 8693 §2.2.1: a JWT exchanged for a refresh token or an opaque access token carries its grant_id, and revoking the grant ends it', async () => {
    // A client whose own access tokens are opaque: neither subject token shows grant_id itself.
    const opaqueRp = await createRp(op.gh, 'confidential', { grant_types: ['authorization_code', 'refresh_token', TX], access_token_format: 'opaque' });
    const tokens = await signIn(opaqueRp);
    assert.equal(tokens.access_token.split('.').length, 1, 'opaque');
    const fromRefresh = ok(await exchange(opaqueRp, { subject_token: tokens.refresh_token!, subject_token_type: RT, requested_token_type: JWT }));
    const fromAccess = ok(await exchange(opaqueRp, { subject_token: tokens.access_token, subject_token_type: AT, requested_token_type: JWT }));
    const grantId = decodeJwt(fromRefresh.access_token)['grant_id'];
    assert.ok(typeof grantId === 'string' && grantId !== '', 'the exchanged JWT names the grant');
    assert.equal(decodeJwt(fromAccess.access_token)['grant_id'], grantId, 'the same grant from either subject token');
    // Exchanging the exchanged JWT keeps it.
    const twice = ok(await exchange(opaqueRp, { subject_token: fromAccess.access_token, subject_token_type: JWT, requested_token_type: JWT }));
    assert.equal(decodeJwt(twice.access_token)['grant_id'], grantId);
    for (const t of [fromRefresh, fromAccess, twice]) assert.equal((await introspect(t.access_token))['active'], true);
    // RFC 7009 §2.1: revoking the refresh token revokes its grant, and every token exchanged from it.
    const client: oauth.Client = { client_id: opaqueRp.client_id };
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, oauth.ClientSecretBasic(opaqueRp.client_secret), tokens.refresh_token!, INSECURE),
    );
    assert.equal((await introspect(tokens.access_token))['active'], false);
    for (const t of [fromRefresh, fromAccess, twice])
      assert.equal((await introspect(t.access_token))['active'], false, 'the exchanged JWT ends with its grant');
  });
});

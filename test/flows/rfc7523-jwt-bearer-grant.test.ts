/**
 * RFC 7523 §2.1 / §3 JWT bearer authorization grant over real HTTP, driven by oauth4webapi
 * (`genericTokenEndpointRequest`), with a registry of trusted external issuers (config
 * `trustedIssuers`, docs/jwt-bearer.md). The external IdPs are this test signing with jose keys:
 * one entry with inline JWKS, one with a jwks_uri served over https on loopback (test TLS). Also
 * RFC 8693 token exchange of those issuers' JWTs as subject tokens. Issued JWT access tokens are
 * verified with jose against our /jwks.json.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CompactSign, createRemoteJWKSet, decodeJwt, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import { buildConfig } from '../../src/config/load.ts';
import { bearerGrant, ok, refused, JWT_BEARER, makeIdp, serveJwks, unsignedJwt, type GrantResult, type Idp } from '../support/external-idp.ts';
import { createTestUser, type TestUser } from '../support/oidc.ts';
import { createTestClient, startTestServer, type TestClient, type TestServer } from '../support/server.ts';
import { makeTestTls, type TestTls } from '../support/test-tls.ts';

const TX = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
const AT_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

let tls: TestTls;
let jwksServer: Awaited<ReturnType<typeof serveJwks>>;
let idpA: Idp; // inline JWKS, jwt-bearer + token-exchange, external subjects
let idpB: Idp; // jwks_uri, jwt-bearer, subjects mapped to local users by e-mail
let rogue: Idp; // not in the registry
let down: Idp; // jwks_uri where nothing listens
let staff: Idp; // subjects mapped to local users, admin scopes NOT opted in
let staffAdmin: Idp; // subjects mapped to local users, adminScopes: true
let adminApp: TestClient;
let s: TestServer;
let as: oauth.AuthorizationServer;
let app: TestClient;
let other: TestClient;
let noGrant: TestClient;
let bob: TestUser;

const now = () => Math.floor(Date.now() / 1000);

before(async () => {
  tls = await makeTestTls();
  idpA = await makeIdp('https://idp-a.example', 'a1');
  idpB = await makeIdp('https://idp-b.example/tenant', 'b1', 'PS256');
  rogue = await makeIdp('https://rogue.example', 'r1');
  down = await makeIdp('https://down.example', 'd1');
  staff = await makeIdp('https://staff.example', 's1');
  staffAdmin = await makeIdp('https://staff-admin.example', 's2');
  jwksServer = await serveJwks(tls, () => ({ keys: [idpB.publicJwk] }));
  s = await startTestServer(
    {
      trustedIssuers: [
        { issuer: down.issuer, jwksUri: 'https://127.0.0.1:1/jwks.json', uses: ['jwt-bearer'], subjects: ['*'], clients: '*' },
        {
          issuer: idpA.issuer,
          jwks: { keys: [idpA.publicJwk] },
          algorithms: ['ES256'],
          uses: ['jwt-bearer', 'token-exchange'],
          subjects: ['svc-reporting', 'user-*'],
          audiences: ['https://gatehouse.example/alias'],
          clients: ['bearer-app', 'other-app'],
          maxLifetime: 600,
          copyClaims: { tenant: 'ext_tenant' },
        },
        {
          issuer: idpB.issuer,
          jwksUri: jwksServer.url,
          algorithms: ['PS256'],
          uses: ['jwt-bearer'],
          subjects: ['*'],
          clients: ['bearer-app'],
          subjectMapping: { localUser: 'username', claim: 'email' },
          copyClaims: { department: 'department' },
        },
        ...[staff, staffAdmin].map((idp) => ({
          issuer: idp.issuer,
          jwks: { keys: [idp.publicJwk] },
          uses: ['jwt-bearer' as const],
          subjects: ['*'],
          clients: ['admin-app'],
          subjectMapping: { localUser: 'username' as const, claim: 'email' },
          adminScopes: idp === staffAdmin,
        })),
      ],
    },
    { outboundTestCa: tls.ca },
  );
  as = await oauth.processDiscoveryResponse(new URL(s.url), await oauth.discoveryRequest(new URL(s.url), { [oauth.allowInsecureRequests]: true }));
  const grants = { grant_types: [JWT_BEARER, TX], scope: 'read write' };
  app = await createTestClient(s.gh, grants, { clientId: 'bearer-app' });
  other = await createTestClient(s.gh, { grant_types: [JWT_BEARER], scope: 'read gatehouse:admin' }, { clientId: 'other-app' });
  noGrant = await createTestClient(s.gh, { grant_types: ['client_credentials'], scope: 'read' }, { clientId: 'no-grant-app' });
  bob = await createTestUser(s.gh, { username: 'bob@corp.example' });
  adminApp = await createTestClient(s.gh, { grant_types: [JWT_BEARER], scope: 'read gatehouse:admin' }, { clientId: 'admin-app' });
  await createTestUser(s.gh, { username: 'root@corp.example', roles: ['admin'] });
});

after(async () => {
  await s?.close();
  await jwksServer?.close();
});

const assertionA = (claims: Record<string, unknown> = {}, header?: Parameters<Idp['sign']>[1]) =>
  idpA.sign({ sub: 'svc-reporting', aud: s.url, ...claims }, header);

async function verifyOurs(token: string) {
  return jwtVerify(token, createRemoteJWKSet(new URL(`${s.url}/jwks.json`)), { issuer: s.url, typ: 'at+jwt' });
}

describe('RFC 7523 §2.1 JWT bearer grant: accepted assertions', () => {
  test('RFC 8414 §2 discovery lists the jwt-bearer grant when a trusted issuer allows it', () => {
    assert.ok((as.grant_types_supported ?? []).includes(JWT_BEARER));
  });

  test('RFC 7523 §2.1 an inline-JWKS issuer: an access token for the external subject, no refresh token', async () => {
    const body = ok(await bearerGrant(as, app, { assertion: await assertionA({ tenant: 'acme' }), scope: 'read' }));
    assert.equal(body.token_type.toLowerCase(), 'bearer');
    assert.equal(body.scope, 'read');
    assert.equal(body.refresh_token, undefined, 'no refresh token');
    const { payload } = await verifyOurs(body.access_token);
    assert.equal(payload.sub, 'svc-reporting');
    assert.equal(payload.client_id, 'bearer-app');
    assert.equal(payload.aud, s.url);
    assert.equal(payload['ext_tenant'], 'acme', 'copyClaims: tenant → ext_tenant');
    assert.equal(payload['tenant'], undefined, 'only mapped claims are copied');
    assert.equal(payload['auth_time'], undefined, 'an external subject never looks like a local user');
  });

  test('RFC 7523 §3 item 3 aud may be the token endpoint URL or an entry audience', async () => {
    ok(await bearerGrant(as, app, { assertion: await assertionA({ aud: `${s.url}/token` }) }));
    ok(await bearerGrant(as, app, { assertion: await assertionA({ aud: ['https://elsewhere.example', 'https://gatehouse.example/alias'] }) }));
  });

  test('RFC 7523 §3 item 2 a subject pattern (prefix*) of the entry is accepted', async () => {
    const { payload } = await verifyOurs(ok(await bearerGrant(as, app, { assertion: await assertionA({ sub: 'user-42' }) })).access_token);
    assert.equal(payload.sub, 'user-42');
  });

  test('RFC 7523 §2.1 a jwks_uri issuer (fetched over https, cached) mapping the subject to a local user by e-mail', async () => {
    const before = jwksServer.fetches();
    const assertion = await idpB.sign({ sub: 'ext-77', aud: s.url, email: 'bob@corp.example', department: 'sales' });
    const body = ok(await bearerGrant(as, app, { assertion, scope: 'read write' }));
    const { payload } = await verifyOurs(body.access_token);
    assert.equal(payload.sub, bob.id, 'the local user, public subject');
    assert.equal(payload['department'], 'sales');
    assert.equal(typeof payload['auth_time'], 'number');
    assert.equal(body.scope, 'read write');
    ok(await bearerGrant(as, app, { assertion: await idpB.sign({ sub: 'ext-77', aud: s.url, email: 'bob@corp.example' }) }));
    assert.ok(jwksServer.fetches() - before <= 1, 'the JWK Set is cached between grants');
  });

  test('RFC 7523 §3 a mapped local user that does not exist or is disabled is invalid_grant', async () => {
    refused(await bearerGrant(as, app, { assertion: await idpB.sign({ sub: 'x', aud: s.url, email: 'nobody@corp.example' }) }), 'invalid_grant', /local user/);
    const carol = await createTestUser(s.gh, { username: 'carol@corp.example' });
    await s.gh.services.storage.users.update(s.gh.ctx.tenantId, carol.id, { disabled: true });
    refused(await bearerGrant(as, app, { assertion: await idpB.sign({ sub: 'x', aud: s.url, email: 'carol@corp.example' }) }), 'invalid_grant', /local user/);
  });

  test("RFC 7662 §2.2 a mapped local user's token is active, and inactive once the user is disabled", async () => {
    const dave = await createTestUser(s.gh, { username: 'dave@corp.example' });
    const token = ok(await bearerGrant(as, app, { assertion: await idpB.sign({ sub: 'ext-d', aud: s.url, email: 'dave@corp.example' }) })).access_token;
    const introspect = async () => {
      const res = await fetch(`${s.url}/introspect`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ token }),
      });
      return (await res.json()) as { active: boolean; sub?: string };
    };
    const active = await introspect();
    assert.equal(active.active, true);
    assert.equal(active.sub, dave.id);
    await s.gh.services.storage.users.update(s.gh.ctx.tenantId, dave.id, { disabled: true });
    assert.equal((await introspect()).active, false);
  });

  test('issue #11 an external subject without a local user never gets an admin scope', async () => {
    refused(await bearerGrant(as, other, { assertion: await assertionA(), scope: 'gatehouse:admin' }), 'invalid_scope');
    assert.equal(ok(await bearerGrant(as, other, { assertion: await assertionA() })).scope, 'read', 'the default leaves admin scopes out');
  });

  test('issue #11 a local admin mapped from an external issuer gets an admin scope only when that issuer has adminScopes: true', async () => {
    const as_root = (idp: Idp) => idp.sign({ sub: 'ext-root', aud: s.url, email: 'root@corp.example' });
    refused(await bearerGrant(as, adminApp, { assertion: await as_root(staff), scope: 'gatehouse:admin' }), 'invalid_scope');
    assert.equal(ok(await bearerGrant(as, adminApp, { assertion: await as_root(staff) })).scope, 'read', 'no opt-in: admin scopes left out');
    const granted = ok(await bearerGrant(as, adminApp, { assertion: await as_root(staffAdmin), scope: 'gatehouse:admin' }));
    assert.equal(granted.scope, 'gatehouse:admin');
    assert.equal((await verifyOurs(granted.access_token)).payload.scope, 'gatehouse:admin');
  });

  test('RFC 9449 §5 a DPoP proof binds the issued token (cnf.jkt, token_type DPoP)', async () => {
    const DPoP = oauth.DPoP({}, await generateKeyPair('ES256'));
    const params = { assertion: await assertionA() };
    let r = await bearerGrant(as, app, params, { DPoP });
    if (!r.ok && r.error === 'use_dpop_nonce') r = await bearerGrant(as, app, { assertion: await assertionA() }, { DPoP });
    const body = ok(r);
    assert.equal(body.token_type.toLowerCase(), 'dpop');
    assert.equal(typeof (decodeJwt(body.access_token).cnf as { jkt?: string })?.jkt, 'string');
  });
});

describe('RFC 7523 §3 JWT bearer grant: refused assertions (invalid_grant)', () => {
  test('RFC 7523 §3 item 1 an issuer not in the registry', async () => {
    refused(await bearerGrant(as, app, { assertion: await rogue.sign({ sub: 'svc-reporting', aud: s.url }) }), 'invalid_grant', /issuer is not trusted/);
  });

  test('RFC 7523 §3 item 1 a JWT claiming our own issuer is not an external assertion', async () => {
    refused(await bearerGrant(as, app, { assertion: await assertionA({ iss: s.url }) }), 'invalid_grant', /not trusted/);
  });

  test('RFC 7523 §3 item 3 an aud that does not name this server', async () => {
    refused(await bearerGrant(as, app, { assertion: await assertionA({ aud: 'https://other-as.example' }) }), 'invalid_grant', /aud/);
  });

  test('RFC 7523 §3 item 4 an expired assertion', async () => {
    refused(await bearerGrant(as, app, { assertion: await assertionA({ iat: now() - 400, exp: now() - 200 }) }), 'invalid_grant', /expired/);
  });

  test('RFC 7523 §3 item 4 exp is required', async () => {
    refused(await bearerGrant(as, app, { assertion: await assertionA({ exp: undefined }) }), 'invalid_grant', /exp/);
  });

  test('RFC 7523 §3 item 5 an nbf in the future', async () => {
    refused(await bearerGrant(as, app, { assertion: await assertionA({ nbf: now() + 300 }) }), 'invalid_grant');
  });

  test('RFC 7523 §3 item 6 an iat older than the entry maxLifetime', async () => {
    refused(await bearerGrant(as, app, { assertion: await assertionA({ iat: now() - 900, exp: now() + 60 }) }), 'invalid_grant', /iat-too-old/);
  });

  test('RFC 7523 §3 item 6 an iat in the future', async () => {
    refused(await bearerGrant(as, app, { assertion: await assertionA({ iat: now() + 300, exp: now() + 400 }) }), 'invalid_grant');
  });

  test('RFC 7523 §3 item 7 jti is required', async () => {
    refused(await bearerGrant(as, app, { assertion: await assertionA({ jti: undefined }) }), 'invalid_grant', /jti/);
  });

  test('RFC 7523 §3 item 7 a replayed jti is refused', async () => {
    const assertion = await assertionA();
    ok(await bearerGrant(as, app, { assertion }));
    refused(await bearerGrant(as, app, { assertion }), 'invalid_grant', /already used/);
  });

  test('RFC 7523 §3 item 2 sub is required and must be allowed by the entry', async () => {
    refused(await bearerGrant(as, app, { assertion: await assertionA({ sub: 'admin' }) }), 'invalid_grant', /subject is not accepted/);
    refused(await bearerGrant(as, app, { assertion: await assertionA({ sub: undefined }) }), 'invalid_grant', /sub/);
  });

  test('RFC 7523 §3 a client the entry does not list may not present its assertions', async () => {
    refused(
      await bearerGrant(as, other, { assertion: await idpB.sign({ sub: 'x', aud: s.url, email: 'bob@corp.example' }) }),
      'invalid_grant',
      /client may not/,
    );
  });

  test('RFC 6749 §5.2 a client without the jwt-bearer grant type is unauthorized_client', async () => {
    refused(await bearerGrant(as, noGrant, { assertion: await assertionA() }), 'unauthorized_client');
  });

  test('RFC 8725 §3.1 alg none is refused', async () => {
    const claims = { iss: idpA.issuer, sub: 'svc-reporting', aud: s.url, iat: now(), exp: now() + 60, jti: 'none-1' };
    refused(await bearerGrant(as, app, { assertion: unsignedJwt(claims) }), 'invalid_grant', /algorithm/);
  });

  test('RFC 8725 §2.1 an HS256 assertion (keyed with anything) is refused', async () => {
    const hs = await new SignJWT({ sub: 'svc-reporting', aud: s.url, jti: 'hs-1' })
      .setProtectedHeader({ alg: 'HS256', kid: 'a1' })
      .setIssuer(idpA.issuer)
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode(JSON.stringify(idpA.publicJwk)));
    refused(await bearerGrant(as, app, { assertion: hs }), 'invalid_grant', /algorithm/);
  });

  test("RFC 7523 §3 item 9 a signature by another key than the issuer's", async () => {
    const { privateKey } = await generateKeyPair('ES256');
    refused(await bearerGrant(as, app, { assertion: await idpA.sign({ sub: 'svc-reporting', aud: s.url }, {}, privateKey) }), 'invalid_grant', /signature/);
  });

  test("RFC 7523 §3 an algorithm outside the entry's allow-list is refused", async () => {
    const rs = await makeIdp(idpA.issuer, 'a1', 'ES384');
    refused(await bearerGrant(as, app, { assertion: await rs.sign({ sub: 'svc-reporting', aud: s.url }) }), 'invalid_grant', /algorithm/);
  });

  test('RFC 8725 §3.10 / RFC 7515 §4.1.2-§4.1.5 an embedded jwk, a jku or an x5u header never supplies the key (kid of the issuer, key of the attacker)', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(publicKey);
    const forged = await new SignJWT({ sub: 'svc-reporting', aud: s.url, jti: `forged-${Math.random()}` })
      .setProtectedHeader({ alg: 'ES256', kid: 'a1', jwk, jku: 'https://rogue.example/jwks.json', x5u: 'https://rogue.example/cert.pem' })
      .setIssuer(idpA.issuer)
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(privateKey);
    refused(await bearerGrant(as, app, { assertion: forged }), 'invalid_grant', /signature/);
    // The same headers on an assertion the issuer really signed change nothing either way.
    const genuine = await new SignJWT({ sub: 'svc-reporting', aud: s.url, jti: `genuine-${Math.random()}` })
      .setProtectedHeader({ alg: 'ES256', kid: 'a1', jwk, jku: 'https://rogue.example/jwks.json' })
      .setIssuer(idpA.issuer)
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(idpA.privateKey);
    ok(await bearerGrant(as, app, { assertion: genuine }));
  });

  test('RFC 7515 §4.1.11 an unknown crit header parameter refuses the assertion (RFC 7523 §3 item 10: "valid in all other respects")', async () => {
    // jose will not sign an unknown crit either, so the JWS is put together by hand (WebCrypto ES256).
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const handSigned = async (header: Record<string, unknown>) => {
      const claims = { iss: idpA.issuer, sub: 'svc-reporting', aud: s.url, iat: now(), exp: now() + 60, jti: `crit-${Math.random()}` };
      const input = `${b64(header)}.${b64(claims)}`;
      const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, idpA.privateKey, new TextEncoder().encode(input));
      return `${input}.${Buffer.from(sig).toString('base64url')}`;
    };
    ok(await bearerGrant(as, app, { assertion: await handSigned({ alg: 'ES256', kid: 'a1' }) }));
    const critical = await handSigned({ alg: 'ES256', kid: 'a1', crit: ['urn:example:must-understand'], 'urn:example:must-understand': true });
    refused(await bearerGrant(as, app, { assertion: critical }), 'invalid_grant');
  });

  test('RFC 8725 §2.8 a nested JWT (cty JWT) or an oversized assertion is invalid_grant, never a 500', async () => {
    const inner = await assertionA();
    const nested = await new CompactSign(new TextEncoder().encode(inner)).setProtectedHeader({ alg: 'ES256', kid: 'a1', cty: 'JWT' }).sign(idpA.privateKey);
    refused(await bearerGrant(as, app, { assertion: nested }), 'invalid_grant');
    const huge = await assertionA({ padding: 'x'.repeat(20_000) });
    refused(await bearerGrant(as, app, { assertion: huge }), 'invalid_grant', /malformed/);
  });

  test('RFC 7523 §3 item 3 an aud array is accepted when one value names this server, refused when none does', async () => {
    ok(await bearerGrant(as, app, { assertion: await assertionA({ aud: ['https://other-as.example', s.url] }) }));
    refused(await bearerGrant(as, app, { assertion: await assertionA({ aud: ['https://other-as.example', `${s.url}/userinfo`] }) }), 'invalid_grant', /aud/);
  });

  test('RFC 7523 §3 item 7 a jti over 256 characters is refused before it reaches the replay cache', async () => {
    refused(await bearerGrant(as, app, { assertion: await assertionA({ jti: 'j'.repeat(257) }) }), 'invalid_grant', /jti/);
  });

  test('RFC 7517 §4.5 a burst of unknown kids does not become a burst of jwks_uri fetches (refetch cooldown)', async () => {
    const before = jwksServer.fetches();
    for (let i = 0; i < 5; i++) {
      const assertion = await idpB.sign({ sub: 'x', aud: s.url, email: 'bob@corp.example' }, { kid: `unknown-${i}` });
      refused(await bearerGrant(as, app, { assertion }), 'invalid_grant', /signature/);
    }
    assert.ok(jwksServer.fetches() - before <= 1, `fetched ${jwksServer.fetches() - before} times`);
  });

  test('RFC 7523 §3.1 an issuer whose jwks_uri cannot be fetched is invalid_grant, never a 500', async () => {
    refused(await bearerGrant(as, app, { assertion: await down.sign({ sub: 'x', aud: s.url }) }), 'invalid_grant', /keys could not be retrieved/);
  });

  test('RFC 8725 §3.11 a JWT typed as another kind (at+jwt) is not an assertion', async () => {
    refused(await bearerGrant(as, app, { assertion: await assertionA({}, { typ: 'at+jwt' }) }), 'invalid_grant', /typ/);
  });

  test('RFC 7523 §2.1 a missing or malformed assertion', async () => {
    refused(await bearerGrant(as, app, {}), 'invalid_request');
    refused(await bearerGrant(as, app, { assertion: 'not-a-jwt' }), 'invalid_grant', /malformed/);
  });
});

describe('RFC 8693 §2.1 token exchange of trusted external JWTs', () => {
  test('RFC 8693 §2.1 an external JWT (token-type jwt) from an entry with token-exchange use is exchanged', async () => {
    const subject_token = await idpA.sign({ sub: 'user-7', aud: s.url, scope: 'read write', tenant: 't1' });
    const body = ok(await bearerGrant(as, app, { subject_token, subject_token_type: JWT_TYPE, scope: 'read' }, { grant: TX }));
    assert.equal(body.issued_token_type, AT_TYPE);
    assert.equal(body.scope, 'read');
    const { payload } = await verifyOurs(body.access_token);
    assert.equal(payload.sub, 'user-7');
    assert.equal(payload['ext_tenant'], 't1');
    // No single-use jti for subject tokens: the same token is exchanged again until it expires.
    ok(await bearerGrant(as, app, { subject_token, subject_token_type: AT_TYPE }, { grant: TX }));
  });

  test('RFC 8693 §2.2.2 an external subject token of an untrusted issuer is invalid_request', async () => {
    const subject_token = await rogue.sign({ sub: 'user-7', aud: s.url, scope: 'read' });
    refused(await bearerGrant(as, app, { subject_token, subject_token_type: JWT_TYPE }, { grant: TX }), 'invalid_request');
  });

  test('RFC 8693 §2.2.2 an issuer without token-exchange use is refused', async () => {
    const subject_token = await idpB.sign({ sub: 'x', aud: s.url, email: 'bob@corp.example', scope: 'read' });
    refused(await bearerGrant(as, app, { subject_token, subject_token_type: JWT_TYPE }, { grant: TX }), 'invalid_request', /token exchange/);
  });

  test('RFC 8693 §2.2.2 an expired external subject token or one with a foreign aud is refused', async () => {
    refused(
      await bearerGrant(
        as,
        app,
        { subject_token: await idpA.sign({ sub: 'user-7', aud: s.url, iat: now() - 300, exp: now() - 100 }), subject_token_type: JWT_TYPE },
        { grant: TX },
      ),
      'invalid_request',
      /expired/,
    );
    refused(
      await bearerGrant(as, app, { subject_token: await idpA.sign({ sub: 'user-7', aud: 'https://x.example' }), subject_token_type: JWT_TYPE }, { grant: TX }),
      'invalid_request',
      /aud/,
    );
  });

  test('RFC 8693 §4.4 an external may_act is enforced: every member must match (an iss other than ours refuses)', async () => {
    const subject_token = await idpA.sign({ sub: 'user-7', aud: s.url, scope: 'read', may_act: { sub: 'bearer-app' } });
    const r = await bearerGrant(as, app, { subject_token, subject_token_type: JWT_TYPE }, { grant: TX });
    assert.equal(r.ok, true, 'may_act naming the requesting client by sub alone is satisfied');
    const strict = await idpA.sign({ sub: 'user-7', aud: s.url, scope: 'read', may_act: { iss: idpA.issuer, sub: 'bearer-app' } });
    refused(await bearerGrant(as, app, { subject_token: strict, subject_token_type: JWT_TYPE }, { grant: TX }), 'invalid_request', /may_act/);
  });

  test('RFC 8693 §4.1 / §4.4 an external actor is qualified by its issuer: act carries iss, and a may_act naming our sub is not met by an equal external sub', async () => {
    const actor_token = await idpA.sign({ sub: 'user-9', aud: s.url });
    const ours = await idpA.sign({ sub: 'user-7', aud: s.url, scope: 'read', may_act: { sub: 'user-9' } });
    refused(
      await bearerGrant(as, app, { subject_token: ours, subject_token_type: JWT_TYPE, actor_token, actor_token_type: JWT_TYPE }, { grant: TX }),
      'invalid_request',
      /may_act/,
    );
    const theirs = await idpA.sign({ sub: 'user-7', aud: s.url, scope: 'read', may_act: { iss: idpA.issuer, sub: 'user-9' } });
    const body = ok(
      await bearerGrant(as, app, { subject_token: theirs, subject_token_type: JWT_TYPE, actor_token, actor_token_type: JWT_TYPE }, { grant: TX }),
    );
    const { payload } = await verifyOurs(body.access_token);
    assert.deepEqual(payload['act'], { sub: 'user-9', client_id: 'bearer-app', iss: idpA.issuer });
  });

  test('RFC 8693 §2.2.1 downscoping only: an external token without the scope gets invalid_scope', async () => {
    const subject_token = await idpA.sign({ sub: 'user-7', aud: s.url, scope: 'read' });
    refused(await bearerGrant(as, app, { subject_token, subject_token_type: JWT_TYPE, scope: 'write' }, { grant: TX }), 'invalid_scope');
  });
});

describe('trusted issuer registry: configuration and discovery', () => {
  test('RFC 8414 §2 without a jwt-bearer entry the grant is neither listed nor served', async () => {
    const plain = await startTestServer();
    try {
      const meta = (await (await fetch(`${plain.url}/.well-known/oauth-authorization-server`)).json()) as { grant_types_supported: string[] };
      assert.ok(!meta.grant_types_supported.includes(JWT_BEARER));
      const res = await fetch(`${plain.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: JWT_BEARER, assertion: 'x' }),
      });
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as { error: string }).error, 'unsupported_grant_type');
    } finally {
      await plain.close();
    }
  });

  test('S8 a bad trustedIssuers entry is a clear config error at start', () => {
    const entry = { issuer: 'https://idp.example', jwks: { keys: [idpA.publicJwk] }, uses: ['jwt-bearer'] };
    assert.doesNotThrow(() => buildConfig({ trustedIssuers: [entry] }));
    assert.throws(
      () => buildConfig({ trustedIssuers: [{ ...entry, jwksUri: 'https://idp.example/jwks' }] }),
      /trustedIssuers\.0.*exactly one of jwks and jwksUri/s,
    );
    assert.throws(() => buildConfig({ trustedIssuers: [{ ...entry, algorithms: ['HS256'] }] }), /trustedIssuers\.0\.algorithms/);
    assert.throws(() => buildConfig({ trustedIssuers: [{ ...entry, algorithms: ['none'] }] }), /trustedIssuers\.0\.algorithms/);
    assert.throws(() => buildConfig({ trustedIssuers: [{ ...entry, uses: ['password'] }] }), /trustedIssuers\.0\.uses/);
    assert.throws(() => buildConfig({ trustedIssuers: [{ ...entry, copyClaims: { x: 'sub' } }] }), /trustedIssuers\.0\.copyClaims/);
    // OIDC Core §5.5: the UserInfo claims request a user token carries is the server's, never an issuer's.
    assert.throws(() => buildConfig({ trustedIssuers: [{ ...entry, copyClaims: { x: 'userinfo_claims' } }] }), /trustedIssuers\.0\.copyClaims/);
    // RFC 9493 sub_id marks an unmapped external subject's issuer: an issuer may not forge or drop it.
    assert.throws(() => buildConfig({ trustedIssuers: [{ ...entry, copyClaims: { x: 'sub_id' } }] }), /trustedIssuers\.0\.copyClaims/);
    assert.throws(() => buildConfig({ trustedIssuers: [{ ...entry, subjects: ['a*b'] }] }), /trustedIssuers\.0\.subjects/);
    assert.throws(() => buildConfig({ trustedIssuers: [{ ...entry, jwks: { keys: [{ kty: 'oct', k: 'AAAA' }] } }] }), /trustedIssuers\.0\.jwks/);
    assert.throws(() => buildConfig({ trustedIssuers: [entry, entry] }), /listed twice/);
    // RFC 8725 §3.8: our own issuer (with or without a trailing slash) is never an external one.
    assert.throws(
      () => buildConfig({ issuer: 'https://as.example', trustedIssuers: [{ ...entry, issuer: 'https://as.example/' }] }),
      /trustedIssuers\.0\.issuer/,
    );
    // RFC 7523 §3 item 4 "allowable clock skew" is bounded: a day of skew would switch expiry off.
    assert.throws(() => buildConfig({ clientAuth: { clockSkew: 86_400 } }), /clientAuth\.clockSkew/);
  });
});

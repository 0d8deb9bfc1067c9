/**
 * draft-ietf-oauth-identity-assertion-authz-grant (Identity Assertion JWT Authorization Grant,
 * ID-JAG), receiving side: a client presents an ID-JAG its enterprise IdP issued through the
 * RFC 7523 JWT bearer grant (oauth4webapi `genericTokenEndpointRequest`). The IdP is this test
 * signing with jose; its JWK Set is served over https on loopback. The issued access token is
 * verified with jose against our /jwks.json. Section numbers: draft §3 (the ID-JAG), §4.3/§4.4
 * (the Resource Authorization Server's processing).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { bearerGrant, ok, refused, ID_JAG_TYP, JWT_BEARER, makeIdp, serveJwks, type GrantResult, type Idp } from '../support/external-idp.ts';
import { createTestUser, type TestUser } from '../support/oidc.ts';
import { createTestClient, startTestServer, type TestClient, type TestServer } from '../support/server.ts';
import { makeTestTls, type TestTls } from '../support/test-tls.ts';

const MCP = 'https://mcp.example/api';
/** A second registered resource, which the ID-JAGs below do not name. */
const OTHER_API = 'https://other.example/api';

let tls: TestTls;
let jwksServer: Awaited<ReturnType<typeof serveJwks>>;
let enterprise: Idp; // uses: id-jag (jwks_uri)
let bearerOnly: Idp; // uses: jwt-bearer (no id-jag)
let strict: Idp; // uses: id-jag only, inline JWKS
let s: TestServer;
let as: oauth.AuthorizationServer;
let agent: TestClient;
let otherAgent: TestClient;
let alice: TestUser;

before(async () => {
  tls = await makeTestTls();
  enterprise = await makeIdp('https://login.enterprise.example', 'e1');
  bearerOnly = await makeIdp('https://bearer-only.example', 'o1');
  strict = await makeIdp('https://jag-only.example', 'j1', 'EdDSA');
  jwksServer = await serveJwks(tls, () => ({ keys: [enterprise.publicJwk] }));
  s = await startTestServer(
    {
      resources: [
        { identifier: MCP, scopes: ['tools:read', 'tools:write'] },
        { identifier: OTHER_API, scopes: ['tools:read', 'tools:write'] },
      ],
      trustedIssuers: [
        {
          issuer: enterprise.issuer,
          jwksUri: jwksServer.url,
          algorithms: ['ES256'],
          uses: ['id-jag'],
          subjects: ['*'],
          clients: '*',
          subjectMapping: { localUser: 'username', claim: 'email' },
        },
        { issuer: bearerOnly.issuer, jwks: { keys: [bearerOnly.publicJwk] }, uses: ['jwt-bearer'], subjects: ['*'], clients: '*' },
        { issuer: strict.issuer, jwks: { keys: [strict.publicJwk] }, algorithms: ['EdDSA'], uses: ['id-jag'], subjects: ['*'], clients: '*' },
      ],
    },
    { outboundTestCa: tls.ca },
  );
  as = await oauth.processDiscoveryResponse(new URL(s.url), await oauth.discoveryRequest(new URL(s.url), { [oauth.allowInsecureRequests]: true }));
  agent = await createTestClient(s.gh, { grant_types: [JWT_BEARER], scope: 'tools:read tools:write' }, { clientId: 'mcp-agent' });
  otherAgent = await createTestClient(s.gh, { grant_types: [JWT_BEARER], scope: 'tools:read' }, { clientId: 'other-agent' });
  alice = await createTestUser(s.gh, { username: 'alice@enterprise.example' });
});

after(async () => {
  await s?.close();
  await jwksServer?.close();
});

/** An ID-JAG (draft §3) for alice, for the agent, naming this server and the MCP resource. */
const jag = (claims: Record<string, unknown> = {}, typ = ID_JAG_TYP, idp = enterprise) =>
  idp.sign(
    { sub: 'alice-ext-id', email: 'alice@enterprise.example', aud: s.url, client_id: 'mcp-agent', resource: MCP, scope: 'tools:read', ...claims },
    { typ },
  );

describe('ID-JAG accepted (draft-ietf-oauth-identity-assertion-authz-grant)', () => {
  test('draft §4.3 an ID-JAG gets an access token for the mapped user, the ID-JAG resource and scope, no refresh token', async () => {
    const authTime = Math.floor(Date.now() / 1000) - 60;
    const body = ok(await bearerGrant(as, agent, { assertion: await jag({ auth_time: authTime, amr: ['pwd', 'mfa'], acr: 'phr' }) }));
    assert.equal(body.scope, 'tools:read', "the ID-JAG's scope bounds the token");
    assert.equal(body.refresh_token, undefined);
    const { payload } = await jwtVerify(body.access_token, createRemoteJWKSet(new URL(`${s.url}/jwks.json`)), { issuer: s.url, audience: MCP, typ: 'at+jwt' });
    assert.equal(payload.sub, alice.id);
    assert.equal(payload.client_id, 'mcp-agent');
    assert.equal(payload['auth_time'], authTime, 'draft §3 auth_time carried over');
    assert.deepEqual(payload['amr'], ['pwd', 'mfa']);
    assert.equal(payload['acr'], 'phr');
  });

  test('draft §3 an ID-JAG without a subject mapping keeps the external sub (EdDSA issuer, inline keys)', async () => {
    const body = ok(await bearerGrant(as, agent, { assertion: await jag({ auth_time: 1 }, ID_JAG_TYP, strict) }));
    const { payload } = await jwtVerify(body.access_token, createRemoteJWKSet(new URL(`${s.url}/jwks.json`)), { issuer: s.url, audience: MCP });
    assert.equal(payload.sub, 'alice-ext-id');
    assert.equal(payload['auth_time'], undefined, 'auth_time only for a local user');
    // RFC 9493 sub_id: the external sub stays in its issuer's namespace.
    assert.deepEqual(payload['sub_id'], { format: 'iss_sub', iss: strict.issuer, sub: 'alice-ext-id' });
  });

  test("RFC 6749 §3.3 without a scope parameter the token gets the ID-JAG's scopes the client may have (fewer than it names); none in common is invalid_scope", async () => {
    // other-agent may have tools:read only; the ID-JAG names tools:read and tools:write.
    const wide = (scope: string) => jag({ client_id: 'other-agent', scope });
    const body = ok(await bearerGrant(as, otherAgent, { assertion: await wide('tools:read tools:write') }));
    assert.equal(body.scope, 'tools:read', 'the AS issues fewer scopes than the ID-JAG names');
    const { payload } = await jwtVerify(body.access_token, createRemoteJWKSet(new URL(`${s.url}/jwks.json`)), { issuer: s.url, audience: MCP });
    assert.equal(payload['scope'], 'tools:read');
    refused(await bearerGrant(as, otherAgent, { assertion: await wide('tools:write') }), 'invalid_scope');
    // An explicit scope keeps the rules: within the ID-JAG's scope and the client's.
    refused(await bearerGrant(as, otherAgent, { assertion: await wide('tools:read tools:write'), scope: 'tools:write' }), 'invalid_scope');
    assert.equal(ok(await bearerGrant(as, otherAgent, { assertion: await wide('tools:read tools:write'), scope: 'tools:read' })).scope, 'tools:read');
  });

  test('RFC 6749 §3.3 a requested scope beyond the ID-JAG scope is invalid_scope', async () => {
    refused(await bearerGrant(as, agent, { assertion: await jag(), scope: 'tools:write' }), 'invalid_scope');
  });
});

describe('ID-JAG refused', () => {
  test('draft §3 typ: a JWT not typed oauth-id-jag+jwt from an id-jag-only issuer is invalid_grant', async () => {
    refused(await bearerGrant(as, agent, { assertion: await jag({}, 'JWT', strict) }), 'invalid_grant', /not trusted for JWT bearer/);
    refused(await bearerGrant(as, agent, { assertion: await jag({}, 'at+jwt') }), 'invalid_grant');
  });

  test('draft §4.4 client_id: an ID-JAG for another client than the authenticated one is invalid_grant', async () => {
    refused(await bearerGrant(as, otherAgent, { assertion: await jag() }), 'invalid_grant', /client_id/);
    refused(await bearerGrant(as, agent, { assertion: await jag({ client_id: undefined }) }), 'invalid_grant', /client_id/);
  });

  test("draft §3 aud: an ID-JAG whose aud is not this server's issuer identifier (the token endpoint URL included) is invalid_grant", async () => {
    refused(await bearerGrant(as, agent, { assertion: await jag({ aud: `${s.url}/token` }) }), 'invalid_grant', /aud/);
    refused(await bearerGrant(as, agent, { assertion: await jag({ aud: 'https://other-as.example' }) }), 'invalid_grant', /aud/);
  });

  test('draft §4.4 an ID-JAG from an issuer trusted for jwt-bearer but not id-jag is invalid_grant', async () => {
    refused(await bearerGrant(as, agent, { assertion: await jag({}, ID_JAG_TYP, bearerOnly) }), 'invalid_grant', /not trusted for ID-JAGs/);
  });

  test('draft §3 jti: a replayed ID-JAG is invalid_grant', async () => {
    const assertion = await jag();
    ok(await bearerGrant(as, agent, { assertion }));
    refused(await bearerGrant(as, agent, { assertion }), 'invalid_grant', /already used/);
  });

  test('draft §3 resource: an ID-JAG resource that is not a registered resource is invalid_target', async () => {
    refused(await bearerGrant(as, agent, { assertion: await jag({ resource: 'https://unknown.example/api' }) }), 'invalid_target');
  });

  test('draft §4.4 / RFC 8707 §2: a resource parameter the ID-JAG does not name is invalid_target, though it is a registered resource', async () => {
    refused(await bearerGrant(as, agent, { assertion: await jag(), resource: OTHER_API }), 'invalid_target', /ID-JAG names/);
    // The resource it names may be asked for, and is the token's audience.
    const body = ok(await bearerGrant(as, agent, { assertion: await jag(), resource: MCP }));
    await jwtVerify(body.access_token, createRemoteJWKSet(new URL(`${s.url}/jwks.json`)), { issuer: s.url, audience: MCP, typ: 'at+jwt' });
  });

  test('draft §3 / RFC 7523 §3 items 4 and 6: iat and exp are required', async () => {
    refused(await bearerGrant(as, agent, { assertion: await jag({ iat: undefined }) }), 'invalid_grant', /iat/);
    refused(await bearerGrant(as, agent, { assertion: await jag({ exp: undefined }) }), 'invalid_grant', /exp/);
  });

  test('draft §3 auth_time / acr / amr (OIDC Core §2): a future auth_time, a non-string acr or a non-array amr is invalid_grant', async () => {
    const future = Math.floor(Date.now() / 1000) + 3600;
    refused(await bearerGrant(as, agent, { assertion: await jag({ auth_time: future }) }), 'invalid_grant', /auth_time/);
    refused(await bearerGrant(as, agent, { assertion: await jag({ auth_time: 'yesterday' }) }), 'invalid_grant', /auth_time/);
    refused(await bearerGrant(as, agent, { assertion: await jag({ acr: { level: 2 } }) }), 'invalid_grant', /acr/);
    refused(await bearerGrant(as, agent, { assertion: await jag({ amr: 'pwd' }) }), 'invalid_grant', /amr/);
  });

  test('draft §4.4 an ID-JAG for an unknown local user is invalid_grant', async () => {
    refused(await bearerGrant(as, agent, { assertion: await jag({ email: 'mallory@enterprise.example' }) }), 'invalid_grant', /local user/);
  });
});

/**
 * The resource-server kit (`gatehouse/resource-server`, docs/resource-servers.md) over the wire:
 * a real Gatehouse issues tokens to oauth4webapi (client_credentials, with and without DPoP), and
 * separate resource servers verify them remotely — a Fastify app with the plugin (JWT), a plain
 * node:http server calling `authenticate(Request)` (introspection), and a resource trusting a
 * second, test-run issuer whose key the test holds (to forge what Gatehouse never issues).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import { createResourceServer, gatehouseResourceServer } from '../../src/resource-server-kit/mod.ts';
import { freePort } from '../support/free-port.ts';
import { discover, INSECURE } from '../support/oauth-client.ts';
import { challengeOf, proofFor, webRoute, webServer } from '../support/resource-server-kit.ts';
import { createTestClient, startTestServer, type TestClient, type TestServer } from '../support/server.ts';

let gh: TestServer;
let as: oauth.AuthorizationServer;
let client: TestClient;
let fastify: FastifyInstance;
let fastifyUrl: string;
let web: Awaited<ReturnType<typeof webServer>>;
let clockOffset = 0;

const token = async (resource: string, scope: string, DPoP?: oauth.DPoPHandle) => {
  const c = { client_id: client.client_id };
  const res = await oauth.clientCredentialsGrantRequest(
    as,
    c,
    oauth.ClientSecretBasic(client.client_secret),
    { scope, resource },
    {
      ...INSECURE,
      ...(DPoP ? { DPoP } : {}),
    },
  );
  return (await oauth.processClientCredentialsResponse(as, c, res)).access_token;
};

before(async () => {
  const port = await freePort();
  fastifyUrl = `http://127.0.0.1:${port}`;
  web = await webServer();
  gh = await startTestServer(
    {
      resources: [
        { identifier: `${fastifyUrl}/api`, scopes: ['read', 'write'] },
        { identifier: `${web.url}/api`, scopes: ['read', 'write'], accessTokenFormat: 'opaque' },
        { identifier: 'https://elsewhere.example/api', scopes: ['read', 'write'] },
      ],
      introspection: { privilegedClients: ['kit-introspector'] },
    },
    { clock: { now: () => Date.now() + clockOffset } },
  );
  as = await discover(gh.url);
  client = await createTestClient(gh.gh);
  const introspector = await createTestClient(gh.gh, {}, { clientId: 'kit-introspector' });

  fastify = Fastify();
  await fastify.register(gatehouseResourceServer, {
    issuer: gh.url,
    resource: `${fastifyUrl}/api`,
    scopesSupported: ['read', 'write'],
    verification: { kind: 'jwt' },
    dpop: {},
  });
  fastify.get('/api/orders', { preHandler: fastify.requireScopes(['read']) }, async (request) => ({
    sub: request.gatehouseToken?.subject,
    scheme: request.gatehouseToken?.scheme,
  }));
  fastify.post('/api/orders', { preHandler: fastify.requireScopes(['write']) }, async () => ({ ok: true }));
  await fastify.listen({ port, host: '127.0.0.1' });

  web.use(
    webRoute(
      createResourceServer({
        issuer: gh.url,
        resource: `${web.url}/api`,
        scopesSupported: ['read', 'write'],
        verification: { kind: 'introspection', clientId: introspector.client_id, clientSecret: introspector.client_secret, cacheTtlSeconds: 1 },
        dpop: {},
      }),
      ['read'],
    ),
  );
});
after(async () => {
  await fastify?.close();
  web?.server.close();
  await gh?.close();
});

describe('JWT access tokens at a Fastify resource server (RFC 9068 §4)', () => {
  test('RFC 9068 §4 a valid JWT access token for this resource is accepted', async () => {
    const t = await token(`${fastifyUrl}/api`, 'read');
    const res = await fetch(`${fastifyUrl}/api/orders`, { headers: { authorization: `Bearer ${t}` } });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { sub: client.client_id, scheme: 'Bearer' });
  });

  test('RFC 6750 §3.1 no token: 401 with a Bearer challenge naming resource_metadata (RFC 9728 §5.1) and no error code', async () => {
    const res = await fetch(`${fastifyUrl}/api/orders`);
    assert.equal(res.status, 401);
    const c = challengeOf(res);
    assert.match(c, new RegExp(`^Bearer resource_metadata="${fastifyUrl}/\\.well-known/oauth-protected-resource/api"`));
    assert.doesNotMatch(c, /error=/);
    assert.match(c, /DPoP .*algs="/);
  });

  test('RFC 9068 §4 item 4 a token for another audience: 401 invalid_token with resource_metadata', async () => {
    const t = await token('https://elsewhere.example/api', 'read');
    const res = await fetch(`${fastifyUrl}/api/orders`, { headers: { authorization: `Bearer ${t}` } });
    assert.equal(res.status, 401);
    assert.match(challengeOf(res), /Bearer resource_metadata="[^"]+", error="invalid_token", error_description="the access token is not for this resource"/);
  });

  test('RFC 9068 §4 item 8 an expired token: 401 invalid_token', async () => {
    clockOffset = -7200_000;
    let t: string;
    try {
      t = await token(`${fastifyUrl}/api`, 'read');
    } finally {
      clockOffset = 0;
    }
    const res = await fetch(`${fastifyUrl}/api/orders`, { headers: { authorization: `Bearer ${t}` } });
    assert.equal(res.status, 401);
    assert.match(challengeOf(res), /error="invalid_token", error_description="the access token has expired"/);
  });

  test('RFC 6750 §3.1 a token without the needed scope: 403 insufficient_scope with scope=', async () => {
    const t = await token(`${fastifyUrl}/api`, 'read');
    const res = await fetch(`${fastifyUrl}/api/orders`, { method: 'POST', headers: { authorization: `Bearer ${t}` } });
    assert.equal(res.status, 403);
    assert.match(challengeOf(res), /Bearer resource_metadata="[^"]+", error="insufficient_scope", error_description="[^"]+", scope="write"/);
    assert.equal(((await res.json()) as { error: string }).error, 'insufficient_scope');
  });

  test('RFC 9728 §3 the protected-resource metadata is served at the well-known path', async () => {
    const res = await fetch(`${fastifyUrl}/.well-known/oauth-protected-resource/api`);
    assert.equal(res.status, 200);
    const m = (await res.json()) as Record<string, unknown>;
    assert.equal(m.resource, `${fastifyUrl}/api`);
    assert.deepEqual(m.authorization_servers, [gh.url]);
    assert.deepEqual(m.scopes_supported, ['read', 'write']);
    assert.equal(m.dpop_bound_access_tokens_required, false);
  });
});

describe('DPoP at the resource (RFC 9449 §7)', () => {
  const url = () => `${fastifyUrl}/api/orders`;
  test('RFC 9449 §7.1 a DPoP-bound token with a valid proof is accepted', async () => {
    const handle = oauth.DPoP({}, await oauth.generateKeyPair('ES256'));
    const t = await token(`${fastifyUrl}/api`, 'read', handle);
    const res = await fetch(url(), { headers: { authorization: `DPoP ${t}`, dpop: await proofFor(handle, 'GET', url(), t) } });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { scheme: string }).scheme, 'DPoP');
  });

  test('RFC 9449 §7.2 a DPoP-bound token sent as Bearer: 401 invalid_token', async () => {
    const handle = oauth.DPoP({}, await oauth.generateKeyPair('ES256'));
    const t = await token(`${fastifyUrl}/api`, 'read', handle);
    const res = await fetch(url(), { headers: { authorization: `Bearer ${t}` } });
    assert.equal(res.status, 401);
    assert.match(challengeOf(res), /Bearer resource_metadata="[^"]+", error="invalid_token", error_description="a DPoP-bound access token must be sent/);
  });

  test('RFC 9449 §4.3 items 9 and 12 a proof with a wrong ath or htu: 401 invalid_dpop_proof on the DPoP challenge', async () => {
    const keys = await oauth.generateKeyPair('ES256');
    const t = await token(`${fastifyUrl}/api`, 'read', oauth.DPoP({}, keys));
    for (const [what, modify] of [
      ['ath', (_h: Record<string, unknown>, p: Record<string, unknown>) => void (p.ath = 'x'.repeat(43))],
      ['htu', (_h: Record<string, unknown>, p: Record<string, unknown>) => void (p.htu = `${fastifyUrl}/api/other`)],
    ] as const) {
      const spoiled = oauth.DPoP({}, keys, { [oauth.modifyAssertion]: modify });
      const res = await fetch(url(), { headers: { authorization: `DPoP ${t}`, dpop: await proofFor(spoiled, 'GET', url(), t) } });
      assert.equal(res.status, 401, what);
      assert.match(
        challengeOf(res),
        new RegExp(`DPoP resource_metadata="[^"]+", error="invalid_dpop_proof", error_description="the DPoP proof ${what}[^"]*", scope="read", algs="`),
        what,
      );
    }
  });

  test('RFC 9449 §11.1 a proof is accepted once (in-memory replay cache)', async () => {
    const handle = oauth.DPoP({}, await oauth.generateKeyPair('ES256'));
    const t = await token(`${fastifyUrl}/api`, 'read', handle);
    const proof = await proofFor(handle, 'GET', url(), t);
    assert.equal((await fetch(url(), { headers: { authorization: `DPoP ${t}`, dpop: proof } })).status, 200);
    const again = await fetch(url(), { headers: { authorization: `DPoP ${t}`, dpop: proof } });
    assert.equal(again.status, 401);
    assert.match(challengeOf(again), /error="invalid_dpop_proof", error_description="the DPoP proof was already used"/);
  });

  test('RFC 9449 §7.1 the proof key must be the one the token is bound to (cnf.jkt)', async () => {
    const t = await token(`${fastifyUrl}/api`, 'read', oauth.DPoP({}, await oauth.generateKeyPair('ES256')));
    const other = oauth.DPoP({}, await oauth.generateKeyPair('ES256'));
    const res = await fetch(url(), { headers: { authorization: `DPoP ${t}`, dpop: await proofFor(other, 'GET', url(), t) } });
    assert.equal(res.status, 401);
    assert.match(challengeOf(res), /error="invalid_token", error_description="the DPoP proof key does not match/);
  });
});

describe('Introspection at a web-Request resource server (RFC 7662)', () => {
  test('RFC 7662 §2.2 an active opaque token is accepted; a revoked one is refused once the cache entry (1 s) has passed', async () => {
    const t = await token(`${web.url}/api`, 'read');
    assert.ok(!t.includes('.'), 'opaque');
    const ok = await fetch(`${web.url}/api/orders`, { headers: { authorization: `Bearer ${t}` } });
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { sub: string }).sub, client.client_id);
    const rev = await oauth.revocationRequest(as, { client_id: client.client_id }, oauth.ClientSecretBasic(client.client_secret), t, INSECURE);
    await oauth.processRevocationResponse(rev);
    await new Promise((r) => setTimeout(r, 1100));
    const res = await fetch(`${web.url}/api/orders`, { headers: { authorization: `Bearer ${t}` } });
    assert.equal(res.status, 401);
    assert.match(challengeOf(res), /error="invalid_token", error_description="the access token is not active"/);
  });

  test('RFC 7662 §2.2 an opaque token for another audience is refused', async () => {
    const t = await token('https://elsewhere.example/api', 'read');
    const res = await fetch(`${web.url}/api/orders`, { headers: { authorization: `Bearer ${t}` } });
    assert.equal(res.status, 401);
    assert.match(challengeOf(res), /error="invalid_token"/);
  });

  test('RFC 6750 §3.1 missing scope over introspection: 403 insufficient_scope scope="read"', async () => {
    const t = await token(`${web.url}/api`, 'write');
    const res = await fetch(`${web.url}/api/orders`, { headers: { authorization: `Bearer ${t}` } });
    assert.equal(res.status, 403);
    assert.match(challengeOf(res), /error="insufficient_scope", error_description="[^"]+", scope="read"/);
  });

  test('RFC 9449 §7.1 a DPoP-bound opaque token: cnf.jkt from introspection, accepted with its proof, refused as Bearer', async () => {
    const handle = oauth.DPoP({}, await oauth.generateKeyPair('ES256'));
    const t = await token(`${web.url}/api`, 'read', handle);
    const url = `${web.url}/api/orders`;
    const ok = await fetch(url, { headers: { authorization: `DPoP ${t}`, dpop: await proofFor(handle, 'GET', url, t) } });
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { scheme: string }).scheme, 'DPoP');
    const bearer = await fetch(url, { headers: { authorization: `Bearer ${t}` } });
    assert.equal(bearer.status, 401);
    assert.match(challengeOf(bearer), /error="invalid_token", error_description="a DPoP-bound access token must be sent/);
  });

  test('RFC 9728 §3 metadata from the web face', async () => {
    const res = await fetch(`${web.url}/.well-known/oauth-protected-resource/api`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { resource: string }).resource, `${web.url}/api`);
  });
});

describe('RFC 9068 §4 rules against an issuer whose key the test holds', () => {
  let issuerServer: Server;
  let issuer: string;
  let rsWeb: Awaited<ReturnType<typeof webServer>>;
  let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  const sign = (claims: Record<string, unknown>, header: Record<string, unknown> = {}, iss = issuer) =>
    new SignJWT({ client_id: 'c1', scope: 'read', jti: crypto.randomUUID(), ...claims })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1', ...header } as { alg: string })
      .setIssuer(iss)
      .setSubject('alice')
      .setAudience(`${rsWeb.url}/api`)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
  const call = (t: string) => fetch(`${rsWeb.url}/api/x`, { headers: { authorization: `Bearer ${t}` } });

  before(async () => {
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    issuerServer = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/.well-known/oauth-authorization-server') res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
      else if (req.url === '/jwks') res.end(JSON.stringify({ keys: [jwk] }));
      else res.writeHead(404).end('{}');
    });
    await new Promise<void>((resolve) => issuerServer.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(issuerServer.address() as AddressInfo).port}`;
    rsWeb = await webServer();
    rsWeb.use(webRoute(createResourceServer({ issuer, resource: `${rsWeb.url}/api`, verification: { kind: 'jwt' } }), ['read']));
  });
  after(() => {
    issuerServer.close();
    rsWeb.server.close();
  });

  test('RFC 9068 §4 the well-formed token is accepted (the control for the refusals below)', async () => {
    assert.equal((await call(await sign({}))).status, 200);
  });

  test('RFC 9068 §4 item 1 typ other than at+jwt: 401 invalid_token', async () => {
    const res = await call(await sign({}, { typ: 'JWT' }));
    assert.equal(res.status, 401);
    assert.match(challengeOf(res), /error="invalid_token", error_description="the access token typ must be at\+jwt"/);
  });

  test('RFC 8725 §3.1 alg none: 401 invalid_token', async () => {
    const good = await sign({});
    const [, payload] = good.split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${payload}.`;
    const res = await call(none);
    assert.equal(res.status, 401);
    assert.match(challengeOf(res), /error="invalid_token", error_description="the access token alg is not accepted"/);
  });

  test('RFC 9068 §4 item 3 a token naming another issuer: 401 invalid_token', async () => {
    const res = await call(await sign({}, {}, gh.url));
    assert.equal(res.status, 401);
    assert.match(challengeOf(res), /error="invalid_token", error_description="the access token is from another issuer"/);
  });

  test('RFC 9068 §4 a Gatehouse token at a resource trusting another issuer: 401 invalid_token', async () => {
    const t = await token(`${fastifyUrl}/api`, 'read');
    const res = await call(t);
    assert.equal(res.status, 401);
    assert.match(challengeOf(res), /error="invalid_token"/);
  });
});

/**
 * The audience rule for JWT client assertions over real HTTP (RFC 7523 §3, OIDC Core §9,
 * RFC 9126 §2, draft-ietf-oauth-rfc7523bis / CVE-2025-27370): a multi-valued `aud` is refused at
 * every endpoint; assertions shaped as common client libraries shape them (Authlib: `aud` = the
 * token endpoint URL, `exp = iat + 3600`, random `jti`) are accepted at every endpoint that
 * authenticates clients; explicit typing, a strict client (registered through the CLI) and the
 * server switch each narrow `aud` to the issuer. oauth4webapi is the independent client library;
 * jose builds the Authlib-shaped and hostile assertions.
 */
import * as assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import * as oauth from 'oauth4webapi';
import { main as cli } from '../../src/cli/main.ts';
import type { EventMap } from '../../src/core/events.ts';
import { discover, INSECURE } from '../support/oauth-client.ts';
import { createTestClient, startTestServer, type TestServer } from '../support/server.ts';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code';
const REDIRECT = 'https://app.example/cb';
const METHODS = ['private_key_jwt', 'client_secret_jwt'] as const;
type Method = (typeof METHODS)[number];

/** A running server, its discovered metadata and the events the tests read. */
interface World {
  readonly s: TestServer;
  readonly as: oauth.AuthorizationServer;
  readonly issued: EventMap['token.issued'][];
  readonly failures: EventMap['client_auth.failed'][];
}

async function world(overrides: Record<string, unknown> = {}): Promise<World> {
  // Many refused assertions per client, all from 127.0.0.1: the penalty bucket is tested in rate-limits-client-auth-penalty.test.ts.
  const s = await startTestServer({ rateLimits: { clientAuthFailures: { limit: 0 } }, ...overrides });
  const w: World = { s, as: await discover(s.url), issued: [], failures: [] };
  s.gh.ctx.events.on('token.issued', (e) => w.issued.push(e));
  s.gh.ctx.events.on('client_auth.failed', (e) => w.failures.push(e));
  return w;
}

/** A JWT-authenticating client: what it signs with, as jose and as oauth4webapi use it. */
interface JwtClient {
  readonly method: Method;
  readonly client_id: string;
  /** Signs `claims` as this client (jose), with `header` added to alg/kid. */
  sign(claims: JWTPayload, header?: Record<string, unknown>): Promise<string>;
  /** oauth4webapi's own assertion for this client, optionally modified. */
  library(modify?: (h: Record<string, unknown>, p: Record<string, unknown>) => void): oauth.ClientAuth;
}

const CLIENT_METADATA = {
  grant_types: ['client_credentials', 'authorization_code', DEVICE_CODE],
  response_types: ['code'],
  redirect_uris: [REDIRECT],
  scope: 'read',
};

async function keyPair() {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: `k-${randomBytes(4).toString('hex')}`, alg: 'ES256', use: 'sig' };
  return { privateKey, jwk };
}

function signer(method: Method, clientId: string, secret: string, key?: Awaited<ReturnType<typeof keyPair>>): JwtClient {
  const mod = (modify?: (h: Record<string, unknown>, p: Record<string, unknown>) => void) => (modify ? { [oauth.modifyAssertion]: modify } : {});
  if (method === 'client_secret_jwt') {
    return {
      method,
      client_id: clientId,
      sign: (claims, header = {}) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256', ...header }).sign(new TextEncoder().encode(secret)),
      library: (modify) => oauth.ClientSecretJwt(secret, mod(modify)),
    };
  }
  const k = key!;
  return {
    method,
    client_id: clientId,
    sign: (claims, header = {}) => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: k.jwk.kid!, ...header }).sign(k.privateKey),
    library: (modify) => oauth.PrivateKeyJwt({ key: k.privateKey, kid: k.jwk.kid! }, mod(modify)),
  };
}

async function jwtClient(w: World, method: Method, extra: Record<string, unknown> = {}): Promise<JwtClient> {
  const key = method === 'private_key_jwt' ? await keyPair() : undefined;
  const c = await createTestClient(w.s.gh, { ...CLIENT_METADATA, token_endpoint_auth_method: method, ...(key ? { jwks: { keys: [key.jwk] } } : {}), ...extra });
  return signer(method, c.client_id, c.client_secret, key);
}

const now = () => Math.floor(Date.now() / 1000);

/** An assertion as Authlib's ClientSecretJWT / PrivateKeyJWT build it: typ JWT, aud = the token endpoint URL, exp = iat + 3600. */
function commonLibraryAssertion(w: World, c: JwtClient, over: JWTPayload = {}, header: Record<string, unknown> = { typ: 'JWT' }): Promise<string> {
  const iat = now();
  return c.sign({ iss: c.client_id, sub: c.client_id, aud: w.as.token_endpoint!, jti: randomUUID(), iat, exp: iat + 3600, ...over }, header);
}

/** Sends exactly `jwt` as the client assertion. */
const rawAssertion =
  (jwt: string): oauth.ClientAuth =>
  (_as, _client, body) => {
    body.set('client_assertion_type', ASSERTION_TYPE);
    body.set('client_assertion', jwt);
  };

const ENDPOINTS = ['/token', '/par', '/introspect', '/revoke', '/device_authorization'] as const;
type Endpoint = (typeof ENDPOINTS)[number];

async function call(w: World, path: Endpoint, clientId: string, auth: oauth.ClientAuth): Promise<Response> {
  const client = { client_id: clientId };
  switch (path) {
    case '/token':
      return oauth.clientCredentialsGrantRequest(w.as, client, auth, { scope: 'read' }, INSECURE);
    case '/par': {
      const challenge = await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier());
      return oauth.pushedAuthorizationRequest(
        w.as,
        client,
        auth,
        { response_type: 'code', redirect_uri: REDIRECT, scope: 'read', code_challenge: challenge, code_challenge_method: 'S256' },
        INSECURE,
      );
    }
    case '/introspect':
      return oauth.introspectionRequest(w.as, client, auth, 'some-token', INSECURE);
    case '/revoke':
      return oauth.revocationRequest(w.as, client, auth, 'some-token', INSECURE);
    case '/device_authorization':
      return oauth.deviceAuthorizationRequest(w.as, client, auth, { scope: 'read' }, INSECURE);
  }
}

/** The endpoint authenticated the client and answered as it should (validated by oauth4webapi). */
async function accepted(w: World, path: Endpoint, clientId: string, auth: oauth.ClientAuth): Promise<void> {
  const client = { client_id: clientId };
  const res = await call(w, path, clientId, auth);
  const failed = w.failures.at(-1)?.reason;
  assert.ok(res.status < 400, `${path}: ${res.status} ${await res.clone().text()} (${failed ?? ''})`);
  switch (path) {
    case '/token':
      assert.ok((await oauth.processClientCredentialsResponse(w.as, client, res)).access_token);
      break;
    case '/par':
      assert.ok((await oauth.processPushedAuthorizationResponse(w.as, client, res)).request_uri);
      break;
    case '/introspect':
      assert.equal((await oauth.processIntrospectionResponse(w.as, client, res)).active, false);
      break;
    case '/revoke':
      await oauth.processRevocationResponse(res);
      break;
    case '/device_authorization':
      assert.ok((await oauth.processDeviceAuthorizationResponse(w.as, client, res)).device_code);
      break;
  }
}

/**
 * RFC 6749 §5.2: 401 invalid_client with WWW-Authenticate, nothing issued, the private reason only
 * in `client_auth.failed`, and nothing of the presented `aud` on the wire.
 */
async function refused(w: World, path: Endpoint, clientId: string, auth: oauth.ClientAuth, reason: RegExp): Promise<void> {
  const before = { issued: w.issued.length, failures: w.failures.length };
  const res = await call(w, path, clientId, auth);
  const text = await res.text();
  assert.equal(res.status, 401, `${path}: ${text}`);
  assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="gatehouse", error="invalid_client"$/);
  assert.deepEqual(JSON.parse(text), { error: 'invalid_client', error_description: 'client authentication failed' });
  assert.ok(!text.includes('evil') && !text.includes('/token'), 'the presented aud is not echoed');
  assert.equal(w.issued.length, before.issued, 'nothing issued');
  assert.equal(w.failures.length, before.failures + 1);
  assert.match(w.failures.at(-1)!.reason, reason);
}

let w: World;
const clients = new Map<Method, JwtClient>();
before(async () => {
  w = await world();
  for (const m of METHODS) clients.set(m, await jwtClient(w, m));
});
after(() => w.s.close());

describe('draft-ietf-oauth-rfc7523bis audience injection (CVE-2025-27370)', () => {
  for (const m of METHODS) {
    test(`draft-ietf-oauth-rfc7523bis ${m}: aud [issuer, "https://evil.example"] is refused with 401 invalid_client at /token`, async () => {
      const c = clients.get(m)!;
      const injected = await commonLibraryAssertion(w, c, { aud: [w.as.issuer, 'https://evil.example'] });
      await refused(w, '/token', c.client_id, rawAssertion(injected), /aud has 2 values/);
      // The same client library, told to add the attacker's audience beside ours.
      await refused(
        w,
        '/token',
        c.client_id,
        c.library((_h, p) => {
          p['aud'] = ['https://evil.example', w.as.issuer];
        }),
        /aud has 2 values/,
      );
    });
  }

  test('draft-ietf-oauth-rfc7523bis a multi-valued aud is refused at every endpoint that authenticates clients', async () => {
    const c = clients.get('private_key_jwt')!;
    for (const path of ENDPOINTS) {
      await refused(
        w,
        path,
        c.client_id,
        rawAssertion(await commonLibraryAssertion(w, c, { aud: [w.as.token_endpoint!, `${w.as.issuer}${path}`] })),
        /aud has 2 values/,
      );
    }
  });
});

describe('RFC 9126 §2 / RFC 7523 §3 assertions from common client libraries are accepted everywhere', () => {
  for (const m of METHODS) {
    for (const path of ENDPOINTS) {
      test(`RFC 7523 §3 ${m}: aud = token endpoint URL, exp = iat + 3600, random jti (as Authlib builds it) is accepted at ${path}`, async () => {
        const c = clients.get(m)!;
        await accepted(w, path, c.client_id, rawAssertion(await commonLibraryAssertion(w, c)));
      });
    }
    test(`RFC 9126 §2 ${m}: oauth4webapi assertions with aud = token endpoint URL and exp = iat + 3600 are accepted at every endpoint`, async () => {
      const c = clients.get(m)!;
      const likeAuthlib = (_h: Record<string, unknown>, p: Record<string, unknown>) => {
        p['aud'] = w.as.token_endpoint;
        p['exp'] = (p['iat'] as number) + 3600;
      };
      for (const path of ENDPOINTS) await accepted(w, path, c.client_id, c.library(likeAuthlib));
      // oauth4webapi's default: aud = the issuer, exp = iat + 60.
      for (const path of ENDPOINTS) await accepted(w, path, c.client_id, c.library());
    });
  }

  test('RFC 9126 §2 an assertion whose aud is the URL of the endpoint being called is accepted there, and only there', async () => {
    const c = clients.get('client_secret_jwt')!;
    for (const path of ['/par', '/introspect', '/revoke', '/device_authorization'] as const) {
      await accepted(w, path, c.client_id, rawAssertion(await commonLibraryAssertion(w, c, { aud: `${w.as.issuer}${path}` })));
    }
    await refused(w, '/token', c.client_id, rawAssertion(await commonLibraryAssertion(w, c, { aud: `${w.as.issuer}/par` })), /neither the issuer/);
  });
});

describe('draft-ietf-oauth-rfc7523bis explicit typing: client-authentication+jwt accepts the issuer only', () => {
  for (const m of METHODS) {
    test(`draft-ietf-oauth-rfc7523bis ${m}: typ client-authentication+jwt with aud = token endpoint URL is refused, with aud = issuer accepted`, async () => {
      const c = clients.get(m)!;
      const typed = { typ: 'client-authentication+jwt' };
      for (const path of ['/token', '/par'] as const) {
        await refused(
          w,
          path,
          c.client_id,
          rawAssertion(await commonLibraryAssertion(w, c, {}, typed)),
          /only the issuer is accepted: typed client-authentication\+jwt/,
        );
        await accepted(w, path, c.client_id, rawAssertion(await commonLibraryAssertion(w, c, { aud: w.as.issuer }, typed)));
      }
      await refused(
        w,
        '/token',
        c.client_id,
        c.library((h, p) => {
          h['typ'] = 'client-authentication+jwt';
          p['aud'] = w.as.token_endpoint;
        }),
        /typed/,
      );
      await accepted(
        w,
        '/par',
        c.client_id,
        c.library((h) => {
          h['typ'] = 'client-authentication+jwt';
        }),
      );
    });
  }
});

describe('RFC 7523 §3 freshness and replay', () => {
  test('RFC 7523 §3 item 4 an exp further than clientAuth.assertionMaxLifetime (iat + 7200) is refused', async () => {
    for (const m of METHODS) {
      const c = clients.get(m)!;
      await refused(w, '/token', c.client_id, rawAssertion(await commonLibraryAssertion(w, c, { exp: now() + 7200 })), /exp-too-far/);
    }
  });

  test('RFC 7523 §3 item 6 an iat older than clientAuth.assertionMaxAge is refused', async () => {
    for (const m of METHODS) {
      const c = clients.get(m)!;
      await refused(w, '/token', c.client_id, rawAssertion(await commonLibraryAssertion(w, c, { iat: now() - 400, exp: now() + 600 })), /iat-too-old/);
    }
  });

  test('RFC 7523 §3 item 7 a replayed jti is refused at any endpoint, for as long as the assertion lives', async () => {
    for (const m of METHODS) {
      const c = clients.get(m)!;
      const jwt = await commonLibraryAssertion(w, c);
      await accepted(w, '/token', c.client_id, rawAssertion(jwt));
      await refused(w, '/token', c.client_id, rawAssertion(jwt), /replayed/);
      await refused(w, '/par', c.client_id, rawAssertion(jwt), /replayed/);
    }
  });
});

describe('draft-ietf-oauth-rfc7523bis strict audience for a client and for the server', () => {
  test('draft-ietf-oauth-rfc7523bis a client created with `gatehouse clients create --strict-assertion-audience` accepts the issuer only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-strict-aud-'));
    const shared = { database: { url: `sqlite:${join(dir, 'g.db')}` }, kek: randomBytes(32).toString('base64') };
    const env = { GATEHOUSE_DATABASE_URL: shared.database.url, GATEHOUSE_DATA_DIR: dir, GATEHOUSE_KEK: shared.kek };
    const run = async (...args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await cli(args, { out: (t) => out.push(t), err: (t) => err.push(t), readStdin: async () => '', env });
      assert.equal(code, 0, err.join('\n'));
      return JSON.parse(out.join('\n')) as { client_id: string; client_secret?: string; strict_assertion_audience?: boolean };
    };
    const create = ['clients', 'create', '--name', 'Strict', '--grant-types', 'client_credentials', '--scopes', 'read', '--json'];
    try {
      const key = await keyPair();
      const jwksFile = join(dir, 'jwks.json');
      await writeFile(jwksFile, JSON.stringify({ keys: [key.jwk] }));
      const pk = await run(...create, '--token-endpoint-auth-method', 'private_key_jwt', '--jwks', jwksFile, '--strict-assertion-audience');
      const hs = await run(...create, '--token-endpoint-auth-method', 'client_secret_jwt', '--strict-assertion-audience');
      const lax = await run(...create, '--token-endpoint-auth-method', 'client_secret_jwt');
      assert.equal(pk.strict_assertion_audience, true);
      assert.equal(lax.strict_assertion_audience, undefined);
      const sw = await world(shared);
      try {
        for (const c of [signer('private_key_jwt', pk.client_id, '', key), signer('client_secret_jwt', hs.client_id, hs.client_secret!)]) {
          await refused(
            sw,
            '/token',
            c.client_id,
            rawAssertion(await commonLibraryAssertion(sw, c)),
            /only the issuer is accepted: client registered strict_assertion_audience/,
          );
          await accepted(sw, '/token', c.client_id, rawAssertion(await commonLibraryAssertion(sw, c, { aud: sw.as.issuer })));
          await accepted(sw, '/token', c.client_id, c.library());
        }
        const l = signer('client_secret_jwt', lax.client_id, lax.client_secret!);
        await accepted(sw, '/token', l.client_id, rawAssertion(await commonLibraryAssertion(sw, l)));
      } finally {
        await sw.s.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('draft-ietf-oauth-rfc7523bis clientAuth.strictAudience makes every client accept the issuer only, at every endpoint', async () => {
    const sw = await world({ clientAuth: { strictAudience: true } });
    try {
      for (const m of METHODS) {
        const c = await jwtClient(sw, m);
        for (const path of ENDPOINTS) {
          await refused(
            sw,
            path,
            c.client_id,
            rawAssertion(await commonLibraryAssertion(sw, c, { aud: `${sw.as.issuer}${path}` })),
            /only the issuer is accepted: clientAuth\.strictAudience/,
          );
          await accepted(sw, path, c.client_id, rawAssertion(await commonLibraryAssertion(sw, c, { aud: sw.as.issuer })));
        }
        await refused(sw, '/token', c.client_id, rawAssertion(await commonLibraryAssertion(sw, c)), /clientAuth\.strictAudience/);
      }
    } finally {
      await sw.s.close();
    }
  });
});

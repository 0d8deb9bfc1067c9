/**
 * DPoP server nonces at the resource-server kit (RFC 9449 §9, `dpop.nonce`), over the wire: a real
 * Gatehouse issues DPoP-bound tokens to oauth4webapi, whose DPoP handle then talks to kit
 * instances standing for one public resource (`https://orders.example/api`) — through the Fastify
 * plugin, the web-`Request` face and the middleware, whose code for the `DPoP-Nonce` header
 * differs. The nonce secret is shared by every instance except one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { createResourceServer, type ResourceServerOptions } from '../../src/resource-server-kit/mod.ts';
import { discover, INSECURE } from '../support/oauth-client.ts';
import { type Backend, backend, challengeOf, dpopGet, FACES, fastifyBackend, proofFor, rawGet, webBackend } from '../support/resource-server-kit.ts';
import { createTestClient, startTestServer, type TestClient, type TestServer } from '../support/server.ts';

const RESOURCE = 'https://orders.example/api';
const ORDERS = `${RESOURCE}/orders`;
const SECRET = 'the orders API nonce secret, 32 bytes or more';

let gh: TestServer;
let as: oauth.AuthorizationServer;
let client: TestClient;
const backends: Backend[] = [];
/** One instance per face, all with SECRET and the default window. */
const shared = new Map<string, Backend>();
/** Instances with a 2-second window (the rotation test waits for the next one). */
const rotating = new Map<string, Backend>();
let otherSecret: Backend;

const options = (nonce: NonNullable<NonNullable<ResourceServerOptions['dpop']>['nonce']>): ResourceServerOptions => ({
  issuer: gh.url,
  resource: RESOURCE,
  scopesSupported: ['read', 'write'],
  verification: { kind: 'jwt' },
  dpop: { nonce },
});
const start = async (b: Promise<Backend>) => {
  const started = await b;
  backends.push(started);
  return started;
};

/** A key pair and a token bound to it (client_credentials with a proof at Gatehouse's token endpoint). */
const boundToken = async (scope = 'read', given?: Awaited<ReturnType<typeof oauth.generateKeyPair>>) => {
  const keys = given ?? (await oauth.generateKeyPair('ES256'));
  const c = { client_id: client.client_id };
  const res = await oauth.clientCredentialsGrantRequest(
    as,
    c,
    oauth.ClientSecretBasic(client.client_secret),
    { scope, resource: RESOURCE },
    { ...INSECURE, DPoP: oauth.DPoP({}, keys) },
  );
  return { keys, token: (await oauth.processClientCredentialsResponse(as, c, res)).access_token };
};

/** The refusal oauth4webapi raises for a 401 challenge, checked to be RFC 9449 §9's use_dpop_nonce; returns the nonce handed out. */
const useDpopNonce = async (attempt: Promise<Response>): Promise<string> => {
  let nonce = '';
  await assert.rejects(attempt, (e: unknown) => {
    assert.ok(e instanceof oauth.WWWAuthenticateChallengeError, String(e));
    assert.ok(oauth.isDPoPNonceError(e), 'oauth4webapi sees use_dpop_nonce');
    assert.equal(e.response.status, 401);
    assert.match(
      challengeOf(e.response),
      /^Bearer resource_metadata="https:\/\/orders\.example\/\.well-known\/oauth-protected-resource\/api", scope="read", DPoP resource_metadata="[^"]+", error="use_dpop_nonce", error_description="[^"]+", scope="read", algs="[^"]+"$/,
    );
    assert.equal(e.response.headers.get('cache-control'), 'no-store');
    nonce = e.response.headers.get('dpop-nonce') ?? '';
    assert.match(nonce, /^[A-Za-z0-9_-]{43}$/, 'a DPoP-Nonce header (RFC 9449 §8.1: NQCHAR)');
    return true;
  });
  return nonce;
};

before(async () => {
  gh = await startTestServer({ resources: [{ identifier: RESOURCE, scopes: ['read', 'write'] }] });
  as = await discover(gh.url);
  client = await createTestClient(gh.gh);
  for (const face of FACES) {
    shared.set(face, await start(backend(face, options({ secret: SECRET }))));
    rotating.set(face, await start(backend(face, options({ secret: SECRET, windowSeconds: 2 }))));
  }
  otherSecret = await start(fastifyBackend(options({ secret: new Uint8Array(32).fill(7) })));
});
after(async () => {
  for (const b of backends) await b.close();
  await gh?.close();
});

describe('RFC 9449 §9 resource server-provided nonces (dpop.nonce)', () => {
  for (const face of FACES) {
    test(`RFC 9449 §9 (${face}) a proof without a nonce: 401 DPoP error="use_dpop_nonce" and a DPoP-Nonce header; oauth4webapi retries with it and succeeds`, async () => {
      const b = shared.get(face)!;
      const { keys, token } = await boundToken();
      const handle = oauth.DPoP({}, keys);
      await useDpopNonce(dpopGet(b, ORDERS, token, handle));
      // The handle kept the nonce (RFC 9449 §9: "the client MUST use the new nonce value") and the retry carries it.
      const res = await dpopGet(b, ORDERS, token, handle);
      assert.equal(res.status, 200);
      const body = (await res.json()) as { sub: string; scheme: string };
      assert.deepEqual([body.sub, body.scheme], [client.client_id, 'DPoP']);
      assert.equal(res.headers.get('dpop-nonce'), null, "the current window's nonce needs no replacement");
    });

    test(`RFC 9449 §9 (${face}) a proof with a nonce the server never handed out: 401 use_dpop_nonce with the server's nonce`, async () => {
      const { keys, token } = await boundToken();
      const madeUp = oauth.DPoP({}, keys, { [oauth.modifyAssertion]: (_h, p) => void (p.nonce = 'a-nonce-of-the-clients-own-making') });
      const nonce = await useDpopNonce(dpopGet(shared.get(face)!, ORDERS, token, madeUp));
      assert.notEqual(nonce, 'a-nonce-of-the-clients-own-making');
    });
  }

  test('RFC 9449 §9 / §8.2 (Fastify plugin, web Request, middleware) a proof carrying the previous window’s nonce passes and the response carries the fresh one in DPoP-Nonce, on a 403 or 401 refusal of the token too', async () => {
    const windowMs = 2000;
    await Promise.all(
      FACES.map(async (face) => {
        const b = rotating.get(face)!;
        const { keys, token } = await boundToken();
        const writeOnly = (await boundToken('write', keys)).token;
        const otherKeys = (await boundToken()).token;
        // Get a nonce, knowing for certain which window it is from (the kit runs in this process, on this clock).
        let handle: oauth.DPoPHandle;
        let window: number;
        let old: string;
        for (;;) {
          handle = oauth.DPoP({}, keys);
          const before = Math.floor(Date.now() / windowMs);
          old = await useDpopNonce(dpopGet(b, ORDERS, token, handle));
          window = Math.floor(Date.now() / windowMs);
          if (window === before) break;
        }
        // Into the next window: `old` is now the previous window's nonce.
        await new Promise((r) => setTimeout(r, (window + 1) * windowMs + 20 - Date.now()));
        // §8.2 "at any time": refusals after a passing proof carry the fresh nonce too, so the
        // client's next request does not cost a use_dpop_nonce round trip.
        const direct = async (t: string) => rawGet(`${b.url}/api/orders`, { authorization: `DPoP ${t}`, dpop: await proofFor(handle, 'GET', ORDERS, t) });
        const lacking = await direct(writeOnly);
        assert.equal(lacking.status, 403, `${face}: a token without read`);
        assert.match(challengeOf(lacking), /error="insufficient_scope"/, face);
        const freshOn403 = lacking.headers.get('dpop-nonce');
        assert.ok(freshOn403 && freshOn403 !== old, `${face}: the 403 carries the fresh nonce`);
        const unbound = await direct(otherKeys);
        assert.equal(unbound.status, 401, `${face}: a token bound to another key`);
        assert.match(challengeOf(unbound), /DPoP [^]*error="invalid_token"/, face);
        assert.equal(unbound.headers.get('dpop-nonce'), freshOn403, `${face}: the 401 carries the fresh nonce`);
        const res = await dpopGet(b, ORDERS, token, handle);
        assert.equal(res.status, 200, face);
        const fresh = res.headers.get('dpop-nonce');
        assert.ok(fresh, `${face}: a DPoP-Nonce header on the 200`);
        assert.notEqual(fresh, old, face);
        // oauth4webapi took the fresh nonce from the 200; it is this window's, so no further rotation.
        const next = await dpopGet(b, ORDERS, token, handle);
        assert.equal(next.status, 200, face);
        assert.equal(next.headers.get('dpop-nonce'), null, face);
      }),
    );
  });

  test('RFC 9449 §9 a nonce from two windows ago is refused with use_dpop_nonce', async () => {
    const b = await start(webBackend(options({ secret: SECRET, windowSeconds: 1 })));
    const { keys, token } = await boundToken();
    let handle: oauth.DPoPHandle;
    let window: number;
    for (;;) {
      handle = oauth.DPoP({}, keys);
      const before = Math.floor(Date.now() / 1000);
      await useDpopNonce(dpopGet(b, ORDERS, token, handle));
      window = Math.floor(Date.now() / 1000);
      if (window === before) break;
    }
    await new Promise((r) => setTimeout(r, (window + 2) * 1000 + 20 - Date.now()));
    await useDpopNonce(dpopGet(b, ORDERS, token, handle));
  });

  test('RFC 9449 §9 instances sharing the nonce secret accept each other’s nonces; an instance with another secret refuses them', async () => {
    const { keys, token } = await boundToken();
    const handle = oauth.DPoP({}, keys);
    const nonce = await useDpopNonce(dpopGet(shared.get('Fastify plugin')!, ORDERS, token, handle));
    // The load balancer sends the next requests elsewhere; the handle keeps the nonce for the public origin.
    for (const face of ['web Request', 'middleware'] as const) {
      const res = await dpopGet(shared.get(face)!, ORDERS, token, handle);
      assert.equal(res.status, 200, face);
    }
    const refused = await useDpopNonce(dpopGet(otherSecret, ORDERS, token, handle));
    assert.notEqual(refused, nonce, "the other instance's own nonce");
  });

  test('RFC 9449 §9 a nonce secret shorter than 32 bytes is refused at construction', async () => {
    const opts = (secret: string | Uint8Array) => ({ ...options({ secret }), issuer: 'https://as.example' });
    assert.throws(() => createResourceServer(opts('x'.repeat(31))), /dpop\.nonce\.secret must be at least 32 bytes/);
    assert.throws(() => createResourceServer(opts(new Uint8Array(31))), /at least 32 bytes/);
    assert.doesNotThrow(() => createResourceServer(opts('x'.repeat(32))));
    assert.doesNotThrow(() => createResourceServer(opts('é'.repeat(16))), 'a string counts in UTF-8 bytes');
    await assert.rejects(fastifyBackend(opts('too short')), /at least 32 bytes/, 'the Fastify plugin refuses it at registration');
    assert.throws(() => createResourceServer({ ...opts(SECRET), dpop: { nonce: { secret: SECRET, windowSeconds: 0 } } }), /windowSeconds/);
  });
});

/**
 * DPoP at the resource-server kit beyond the happy path (RFC 9449 §4.3, §7, §11.1), over the
 * wire: a real Gatehouse issues DPoP-bound tokens to oauth4webapi, and kit instances standing for
 * one public resource (`https://orders.example/api`) refuse bad proofs — made by oauth4webapi's
 * DPoP handle with `modifyAssertion`, by hand only where it cannot make them (an HS256 proof) —
 * with 401 `WWW-Authenticate: DPoP … error="invalid_dpop_proof"`. Then `dpop.required`, a kit
 * without `dpop`, and two instances sharing one replay cache.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { base64url, SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import { memoryReplayCache, type ReplayCache, type ResourceServerOptions } from '../../src/resource-server-kit/mod.ts';
import { discover, INSECURE } from '../support/oauth-client.ts';
import { type Backend, backend, challengeOf, dpopGet, FACES, fastifyBackend, proofFor, rawGet } from '../support/resource-server-kit.ts';
import { createTestClient, startTestServer, type TestClient, type TestServer } from '../support/server.ts';

const RESOURCE = 'https://orders.example/api';
const ORDERS = `${RESOURCE}/orders`;
const METADATA = 'https://orders.example/.well-known/oauth-protected-resource/api';

let gh: TestServer;
let as: oauth.AuthorizationServer;
let client: TestClient;
const backends: Backend[] = [];
/** `dpop: {}` on every face. */
const faces = new Map<string, Backend>();
let es256Only: Backend;
let required: Backend;
let noDpop: Backend;

const options = (dpop?: ResourceServerOptions['dpop']): ResourceServerOptions => ({
  issuer: gh.url,
  resource: RESOURCE,
  scopesSupported: ['read'],
  verification: { kind: 'jwt' },
  ...(dpop ? { dpop } : {}),
});
const start = async (b: Promise<Backend>) => {
  const started = await b;
  backends.push(started);
  return started;
};

/** A token for the resource, bound to `keys` when given (client_credentials, with a proof at the token endpoint). */
const tokenFor = async (keys?: oauth.CryptoKeyPair) => {
  const c = { client_id: client.client_id };
  const res = await oauth.clientCredentialsGrantRequest(
    as,
    c,
    oauth.ClientSecretBasic(client.client_secret),
    { scope: 'read', resource: RESOURCE },
    { ...INSECURE, ...(keys ? { DPoP: oauth.DPoP({}, keys) } : {}) },
  );
  return (await oauth.processClientCredentialsResponse(as, c, res)).access_token;
};
const bound = async (alg = 'ES256', extractable = false) => {
  const keys = await oauth.generateKeyPair(alg, { extractable });
  return { keys, token: await tokenFor(keys) };
};

/** The request sent to `b` for the public URL, with a proof oauth4webapi made for `method` (its claims changed by `modify`). */
const withProof = async (b: Backend, keys: oauth.CryptoKeyPair, token: string, modify?: oauth.ModifyAssertionFunction, method = 'GET') => {
  const proof = await proofFor(oauth.DPoP({}, keys, modify ? { [oauth.modifyAssertion]: modify } : {}), method, ORDERS, token);
  return fetch(`${b.url}/api/orders`, { headers: { authorization: `DPoP ${token}`, dpop: proof } });
};

/** 401 with `error="invalid_dpop_proof"` on the DPoP challenge (RFC 9449 §7.1), the description starting with `description`. */
const assertInvalidProof = async (res: Response, description: string, algs = '[^"]+') => {
  assert.equal(res.status, 401);
  assert.equal(
    challengeOf(res).match(
      new RegExp(
        `^Bearer resource_metadata="${METADATA}", scope="read", DPoP resource_metadata="${METADATA}", error="invalid_dpop_proof", error_description="([^"]*)", scope="read", algs="${algs}"$`,
      ),
    )?.[1],
    description,
    challengeOf(res),
  );
  assert.deepEqual(await res.json(), { error: 'invalid_dpop_proof', error_description: description });
};

before(async () => {
  gh = await startTestServer({ resources: [{ identifier: RESOURCE, scopes: ['read'] }] });
  as = await discover(gh.url);
  client = await createTestClient(gh.gh);
  for (const face of FACES) faces.set(face, await start(backend(face, options({}))));
  es256Only = await start(fastifyBackend(options({ algorithms: ['ES256'] })));
  required = await start(fastifyBackend(options({ required: true })));
  noDpop = await start(fastifyBackend(options()));
});
after(async () => {
  for (const b of backends) await b.close();
  await gh?.close();
});

describe('RFC 9449 §4.3 proofs the kit refuses: 401 invalid_dpop_proof', () => {
  const fastify = () => faces.get('Fastify plugin')!;

  test('RFC 9449 §4.3 item 8 a proof for another method (htm POST on a GET): 401 invalid_dpop_proof', async () => {
    const { keys, token } = await bound();
    assert.equal((await withProof(fastify(), keys, token)).status, 200, 'the control: the same proof for GET');
    await assertInvalidProof(await withProof(fastify(), keys, token, undefined, 'POST'), 'the DPoP proof htm does not match the request method');
  });

  test('RFC 9449 §4.3 item 11 a proof whose iat is older than proofMaxAge (300 s) and the skew: 401 invalid_dpop_proof', async () => {
    const { keys, token } = await bound();
    await assertInvalidProof(await withProof(fastify(), keys, token, (_h, p) => void (p.iat = (p.iat as number) - 310)), 'the DPoP proof is too old');
  });

  test('RFC 9449 §4.3 item 11 a proof whose iat is beyond the clock skew (5 s) in the future: 401 invalid_dpop_proof', async () => {
    const { keys, token } = await bound();
    await assertInvalidProof(await withProof(fastify(), keys, token, (_h, p) => void (p.iat = (p.iat as number) + 60)), 'the DPoP proof iat is in the future');
  });

  test('RFC 9449 §4.3 item 7 a proof whose jwk holds the private key: 401 invalid_dpop_proof', async () => {
    const { keys, token } = await bound('ES256', true);
    const { d } = await crypto.subtle.exportKey('jwk', keys.privateKey);
    assert.ok(d);
    await assertInvalidProof(
      await withProof(fastify(), keys, token, (h) => void (h.jwk = { ...(h.jwk as Record<string, string>), d })),
      'the DPoP proof jwk must be a public key',
    );
  });

  test('RFC 9449 §4.3 item 5 a proof signed with an alg the kit does not accept (PS256 at a kit configured with ES256 only): 401 invalid_dpop_proof, algs="ES256"', async () => {
    // Gatehouse accepts PS256 proofs (its dpop.algorithms), so the token is bound to the RSA key.
    const { keys, token } = await bound('PS256');
    await assertInvalidProof(await withProof(es256Only, keys, token), 'the DPoP proof alg must be one of ES256', 'ES256');
    const ok = await bound('ES256');
    assert.equal((await withProof(es256Only, ok.keys, ok.token)).status, 200, 'the control: an ES256 proof');
  });

  test('RFC 9449 §4.3 item 5 a hand-made HS256 proof (symmetric, never acceptable): 401 invalid_dpop_proof', async () => {
    const { keys, token } = await bound('ES256');
    const jwk = await crypto.subtle.exportKey('jwk', keys.publicKey);
    const ath = base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))));
    const proof = await new SignJWT({ jti: randomUUID(), htm: 'GET', htu: ORDERS, ath })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: jwk.kty!, crv: jwk.crv!, x: jwk.x!, y: jwk.y! } })
      .setIssuedAt()
      .sign(new Uint8Array(32).fill(1));
    const res = await fetch(`${fastify().url}/api/orders`, { headers: { authorization: `DPoP ${token}`, dpop: proof } });
    await assertInvalidProof(res, 'the DPoP proof alg must be one of ES256, ES384, ES512, PS256, PS384, PS512, RS256, RS384, RS512, EdDSA');
  });

  for (const face of FACES) {
    test(`RFC 9449 §7.1 (${face}) the DPoP scheme without a DPoP header: 401 invalid_dpop_proof`, async () => {
      const { token } = await bound();
      await assertInvalidProof(await fetch(`${faces.get(face)!.url}/api/orders`, { headers: { authorization: `DPoP ${token}` } }), 'a DPoP proof is required');
    });

    test(`RFC 9449 §4.3 item 1 (${face}) two DPoP headers, each a valid proof: 401 invalid_dpop_proof`, async () => {
      const { keys, token } = await bound();
      const b = faces.get(face)!;
      const [p1, p2] = [await proofFor(oauth.DPoP({}, keys), 'GET', ORDERS, token), await proofFor(oauth.DPoP({}, keys), 'GET', ORDERS, token)];
      // Two header lines (node:http), not one joined value.
      await assertInvalidProof(await rawGet(`${b.url}/api/orders`, { authorization: `DPoP ${token}`, dpop: [p1, p2] }), 'more than one DPoP header');
      assert.equal((await rawGet(`${b.url}/api/orders`, { authorization: `DPoP ${token}`, dpop: p2 })).status, 200, 'the control: one of them alone');
    });
  }
});

describe('dpop.required, and a kit without dpop', () => {
  test('RFC 9449 §7.2 dpop.required: a Bearer token gets 401 with a challenge naming only the DPoP scheme', async () => {
    const token = await tokenFor();
    const res = await fetch(`${required.url}/api/orders`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 401);
    assert.match(challengeOf(res), new RegExp(`^DPoP resource_metadata="${METADATA}", scope="read", algs="[^"]+"$`));
  });

  test('RFC 9449 §7.1 dpop.required: a DPoP-bound token with its proof (oauth4webapi) is accepted', async () => {
    const { keys, token } = await bound();
    const res = await dpopGet(required, ORDERS, token, oauth.DPoP({}, keys));
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { scheme: string }).scheme, 'DPoP');
  });

  test('RFC 9728 §2 dpop.required: the metadata says dpop_bound_access_tokens_required: true', async () => {
    const m = (await (await fetch(`${required.url}/.well-known/oauth-protected-resource/api`)).json()) as Record<string, unknown>;
    assert.equal(m.dpop_bound_access_tokens_required, true);
    assert.ok(Array.isArray(m.dpop_signing_alg_values_supported));
  });

  test('RFC 9449 §7.2 a kit without dpop: a DPoP-bound token sent as Bearer is 401 invalid_token', async () => {
    const { token } = await bound();
    const res = await fetch(`${noDpop.url}/api/orders`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 401);
    assert.match(
      challengeOf(res),
      new RegExp(
        `^Bearer resource_metadata="${METADATA}", error="invalid_token", error_description="a DPoP-bound access token must be sent[^"]*", scope="read"$`,
      ),
    );
  });

  test('RFC 9449 §7.1 a kit without dpop: Authorization: DPoP with a valid proof gets 401 and a Bearer-only challenge', async () => {
    const { keys, token } = await bound();
    const res = await withProof(noDpop, keys, token);
    assert.equal(res.status, 401);
    // RFC 6750 §3.1: a scheme the resource does not take is no credentials at all: no error code.
    assert.equal(challengeOf(res), `Bearer resource_metadata="${METADATA}", scope="read"`);
    assert.equal(await res.text(), '');
    // Nor does an unbound token get in that way.
    const unbound = await tokenFor();
    const other = await withProof(noDpop, keys, unbound);
    assert.equal(other.status, 401);
    assert.equal(challengeOf(other), `Bearer resource_metadata="${METADATA}", scope="read"`);
    const m = (await (await fetch(`${noDpop.url}/.well-known/oauth-protected-resource/api`)).json()) as Record<string, unknown>;
    assert.equal(m.dpop_signing_alg_values_supported, undefined, 'RFC 9728 §2: no DPoP advertised');
  });
});

describe('dpop.replayCache shared by instances (RFC 9449 §11.1)', () => {
  test('RFC 9449 §11.1 two instances sharing one ReplayCache: a proof used at one is refused at the other', async () => {
    // What a deployment plugs in (a Redis SET NX EXAT, say): here one map both instances see.
    const spent = new Map<string, number>();
    const shared: Pick<ReplayCache, 'useOnce'> = {
      async useOnce(key, expiresAt) {
        if ((spent.get(key) ?? 0) > Date.now() / 1000) return false;
        spent.set(key, expiresAt);
        return true;
      },
    };
    const a = await start(fastifyBackend(options({ replayCache: shared })));
    const b = await start(backend('middleware', options({ replayCache: shared })));
    const { keys, token } = await bound();
    const proof = await proofFor(oauth.DPoP({}, keys), 'GET', ORDERS, token);
    const send = (to: Backend) => fetch(`${to.url}/api/orders`, { headers: { authorization: `DPoP ${token}`, dpop: proof } });
    assert.equal((await send(a)).status, 200);
    await assertInvalidProof(await send(b), 'the DPoP proof was already used');
    assert.equal(spent.size, 1);
    // A fresh proof is fine at either.
    assert.equal((await dpopGet(b, ORDERS, token, oauth.DPoP({}, keys))).status, 200);
    // The kit's own memoryReplayCache() shared by two instances (of one process) does the same.
    const memory = memoryReplayCache();
    const [c, d] = [await start(backend('web Request', options({ replayCache: memory }))), await start(fastifyBackend(options({ replayCache: memory })))];
    const again = await proofFor(oauth.DPoP({}, keys), 'GET', ORDERS, token);
    assert.equal((await fetch(`${c.url}/api/orders`, { headers: { authorization: `DPoP ${token}`, dpop: again } })).status, 200);
    await assertInvalidProof(
      await fetch(`${d.url}/api/orders`, { headers: { authorization: `DPoP ${token}`, dpop: again } }),
      'the DPoP proof was already used',
    );
  });
});

describe('RFC 9449 §11.1 the jti is spent only for a valid token, and never forgotten early', () => {
  test('RFC 9449 §11.1 a request whose token is refused (made-up, or bound to another key) spends no jti', async () => {
    const calls: string[] = [];
    const counting: Pick<ReplayCache, 'useOnce'> = {
      async useOnce(key) {
        calls.push(key);
        return true;
      },
    };
    const b = await start(fastifyBackend(options({ replayCache: counting })));
    const attacker = await oauth.generateKeyPair('ES256');
    const madeUp = await withProof(b, attacker, 'garbage-token-value');
    assert.equal(madeUp.status, 401);
    assert.match(challengeOf(madeUp), /error="invalid_token"/);
    const victim = await bound();
    const stolen = await withProof(b, attacker, victim.token);
    assert.equal(stolen.status, 401, 'a token bound to another key');
    assert.deepEqual(calls, [], 'nothing was written to the replay cache');
    assert.equal((await withProof(b, victim.keys, victim.token)).status, 200, 'the control: the key holder');
    assert.equal(calls.length, 1);
  });

  for (const face of FACES) {
    test(`RFC 9449 §11.1 (${face}) memoryReplayCache keeps every live jti: when full it refuses new proofs with 503, and a captured proof stays refused`, async () => {
      const cache = memoryReplayCache(3);
      const b = await start(backend(face, options({ replayCache: cache })));
      const victim = await bound();
      const captured = await proofFor(oauth.DPoP({}, victim.keys), 'GET', ORDERS, victim.token);
      const replay = () => rawGet(`${b.url}/api/orders`, { authorization: `DPoP ${victim.token}`, dpop: captured });
      assert.equal((await replay()).status, 200);
      // Made-up tokens cannot push it out: they spend nothing.
      const attacker = await oauth.generateKeyPair('ES256');
      for (let i = 0; i < 5; i++) assert.equal((await withProof(b, attacker, `made-up-${i}`)).status, 401);
      await assertInvalidProof(await replay(), 'the DPoP proof was already used');
      // Valid tokens fill it (3 live entries); the next proof is refused, not an old entry dropped.
      const other = await bound();
      assert.equal((await withProof(b, other.keys, other.token)).status, 200);
      assert.equal((await withProof(b, other.keys, other.token)).status, 200);
      const full = await withProof(b, other.keys, other.token);
      assert.equal(full.status, 503);
      assert.equal(full.headers.get('retry-after'), '1');
      assert.deepEqual(await full.json(), { error: 'temporarily_unavailable', error_description: 'the DPoP replay cache is full; retry later' });
      await assertInvalidProof(await replay(), 'the DPoP proof was already used');
    });
  }
});

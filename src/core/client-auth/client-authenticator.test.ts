import * as assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK } from 'jose';
import { createMemoryStorage } from '../../storage/memory/memory-storage.ts';
import { createClientService, type ClientServiceDeps } from '../clients/client-service.ts';
import { OAuthError } from '../errors.ts';
import { EventBus, type EventMap } from '../events.ts';
import { DEFAULT_TENANT } from '../model/tenant.ts';
import { OPERATOR_POLICY } from '../registration/client-metadata.ts';
import { createClientAuthenticator } from './client-authenticator.ts';
import type { ClientCredentials } from './types.ts';

const ISSUER = 'https://as.example';
const TOKEN = `${ISSUER}/token`;
const CONFIG = { issuer: ISSUER, clientAuth: { assertionMaxAge: 300, assertionMaxLifetime: 3600, strictAudience: false, clockSkew: 30, jwksCacheTtl: 300 } };
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

async function world(config = CONFIG) {
  let nowMs = 1_700_000_000_000;
  const clock = { now: () => nowMs };
  const storage = createMemoryStorage({ clock });
  const failures: EventMap['client_auth.failed'][] = [];
  const events = new EventBus();
  events.on('client_auth.failed', (p) => failures.push(p));
  const spent: { key: string; expiresAt: number }[] = [];
  const replay = {
    useOnce: async (key: string, expiresAt: number) => {
      spent.push({ key, expiresAt });
      return storage.replay.useOnce(key, expiresAt);
    },
    purgeExpired: (b: number) => storage.replay.purgeExpired(b),
  };
  const kek = randomBytes(32);
  const deps: ClientServiceDeps = { clients: storage.clients, clock, random: { bytes: (n) => randomBytes(n) }, events, kek, tenantId: DEFAULT_TENANT };
  const auth = createClientAuthenticator({ clients: storage.clients, replay, clock, events, kek, tenantId: DEFAULT_TENANT }, config);
  const create = (metadata: Record<string, unknown>) => createClientService(deps).create({ metadata, policy: OPERATOR_POLICY, via: 'cli' });
  const now = () => Math.floor(nowMs / 1000);
  return {
    auth,
    create,
    deps,
    storage,
    failures,
    spent,
    now,
    advance: (s: number) => {
      nowMs += s * 1000;
    },
  };
}

const cc = (method: string, extra: Record<string, unknown> = {}) => ({ grant_types: ['client_credentials'], token_endpoint_auth_method: method, ...extra });

async function refused(p: Promise<unknown>, reason?: RegExp): Promise<OAuthError> {
  const e = await p.then(
    () => assert.fail('expected invalid_client'),
    (x: unknown) => x,
  );
  assert.ok(e instanceof OAuthError, String(e));
  assert.equal(e.code, 'invalid_client');
  assert.equal(e.status, 401);
  assert.equal(e.description, 'client authentication failed');
  assert.match(e.headers['www-authenticate'] ?? '', /^Basic realm="gatehouse", error="invalid_client"$/);
  if (reason) assert.match(e.detail ?? '', reason);
  return e;
}

const opts = { endpoint: TOKEN, allowPublic: false };
const assertion = (jwt: string, clientId?: string): ClientCredentials => ({ kind: 'assertion', assertionType: ASSERTION_TYPE, assertion: jwt, clientId });

test('RFC 6749 §2.3.1 client_secret_basic and client_secret_post authenticate with the issued secret', async () => {
  const w = await world();
  const basic = await w.create(cc('client_secret_basic'));
  const post = await w.create(cc('client_secret_post'));
  const a = await w.auth.authenticate({ kind: 'basic', clientId: basic.client.clientId, clientSecret: basic.clientSecret! }, opts);
  assert.equal(a.method, 'client_secret_basic');
  assert.equal(a.client.clientId, basic.client.clientId);
  const b = await w.auth.authenticate({ kind: 'post', clientId: post.client.clientId, clientSecret: post.clientSecret! }, opts);
  assert.equal(b.method, 'client_secret_post');
  assert.equal(w.failures.length, 0);
});

test('RFC 6749 §5.2 a wrong secret and an unknown client get the same invalid_client, with the reason only in the event', async () => {
  const w = await world();
  const { client } = await w.create(cc('client_secret_basic'));
  const wrong = await refused(w.auth.authenticate({ kind: 'basic', clientId: client.clientId, clientSecret: 'nope' }, opts), /secret mismatch/);
  const unknown = await refused(w.auth.authenticate({ kind: 'basic', clientId: 'ghost', clientSecret: 'nope' }, opts), /unknown client/);
  assert.deepEqual(wrong.toJSON(), unknown.toJSON());
  assert.deepEqual(
    w.failures.map((f) => [f.clientId, f.method, f.reason]),
    [
      [client.clientId, 'client_secret_basic', 'secret mismatch'],
      ['ghost', 'client_secret_basic', 'unknown client'],
    ],
  );
});

test('RFC 6749 §2.3 a client may use only its registered method (no fallback between methods)', async () => {
  const w = await world();
  const basic = await w.create(cc('client_secret_basic'));
  const post = await w.create(cc('client_secret_post'));
  const jwt = await w.create(cc('client_secret_jwt'));
  await refused(
    w.auth.authenticate({ kind: 'post', clientId: basic.client.clientId, clientSecret: basic.clientSecret! }, opts),
    /registered for client_secret_basic/,
  );
  await refused(
    w.auth.authenticate({ kind: 'basic', clientId: post.client.clientId, clientSecret: post.clientSecret! }, opts),
    /registered for client_secret_post/,
  );
  // client_secret_jwt clients hold a secret too, but may not send it in the clear.
  await refused(
    w.auth.authenticate({ kind: 'basic', clientId: jwt.client.clientId, clientSecret: jwt.clientSecret! }, opts),
    /registered for client_secret_jwt/,
  );
  await refused(w.auth.authenticate({ kind: 'none', clientId: basic.client.clientId }, { ...opts, allowPublic: true }), /registered for client_secret_basic/);
});

test('RFC 7591 §3.2.1 a secret past client_secret_expires_at is refused', async () => {
  const w = await world();
  const { client, clientSecret } = await w.create(cc('client_secret_post'));
  await w.storage.clients.update(DEFAULT_TENANT, client.clientId, { secretExpiresAt: w.now() + 60 });
  await w.auth.authenticate({ kind: 'post', clientId: client.clientId, clientSecret: clientSecret! }, opts);
  w.advance(60);
  await refused(w.auth.authenticate({ kind: 'post', clientId: client.clientId, clientSecret: clientSecret! }, opts), /expired/);
});

test('RFC 6749 §5.2 a disabled client is refused whatever it presents', async () => {
  const w = await world();
  const { client, clientSecret } = await w.create(cc('client_secret_basic'));
  await createClientService(w.deps).setDisabled(client.clientId, true, 'cli');
  await refused(w.auth.authenticate({ kind: 'basic', clientId: client.clientId, clientSecret: clientSecret! }, opts), /disabled/);
});

test('OAuth 2.1 §2.1 method none is accepted only where the grant allows public clients', async () => {
  const w = await world();
  const { client } = await w.create({ redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'none' });
  const ok = await w.auth.authenticate({ kind: 'none', clientId: client.clientId }, { ...opts, allowPublic: true });
  assert.equal(ok.method, 'none');
  await refused(w.auth.authenticate({ kind: 'none', clientId: client.clientId }, opts), /public client not allowed/);
  await refused(w.auth.authenticate({ kind: 'absent' }, { ...opts, allowPublic: true }), /no client authentication/);
});

async function hmacAssertion(clientId: string, secret: string, alg = 'HS256', claims: Record<string, unknown> = {}, now?: number) {
  const t = now ?? Math.floor(1_700_000_000);
  return new SignJWT({ jti: randomBytes(8).toString('hex'), ...claims })
    .setProtectedHeader({ alg })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience((claims['aud'] as string | string[] | undefined) ?? ISSUER)
    .setIssuedAt(t)
    .setExpirationTime(t + 60)
    .sign(new TextEncoder().encode(secret));
}

test('OIDC Core §9 client_secret_jwt: an HS256/HS512 assertion keyed with the client secret authenticates', async () => {
  const w = await world();
  const { client, clientSecret } = await w.create(cc('client_secret_jwt'));
  assert.ok(client.secretEncrypted, 'the HMAC key is kept sealed under the KEK');
  for (const alg of ['HS256', 'HS384', 'HS512']) {
    const r = await w.auth.authenticate(assertion(await hmacAssertion(client.clientId, clientSecret!, alg, {}, w.now())), opts);
    assert.equal(r.method, 'client_secret_jwt');
  }
  await refused(w.auth.authenticate(assertion(await hmacAssertion(client.clientId, 'not-the-secret', 'HS256', {}, w.now())), opts), /signature/);
});

async function keyClient(w: Awaited<ReturnType<typeof world>>, alg: string, extra: Record<string, unknown> = {}) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: `k-${alg}`, alg };
  const { client } = await w.create(cc('private_key_jwt', { jwks: { keys: [jwk] }, ...extra }));
  /** `iat: null` leaves iat out (it is optional in RFC 7523 §3). */
  const sign = (
    claims: Record<string, unknown> = {},
    opt: { iat?: number | null; exp?: number; aud?: string | string[]; iss?: string; sub?: string; typ?: string } = {},
  ) => {
    const iat = opt.iat === null ? undefined : (opt.iat ?? w.now());
    const jwt = new SignJWT({ jti: randomBytes(8).toString('hex'), ...claims })
      .setProtectedHeader({ alg, kid: jwk.kid!, ...(opt.typ ? { typ: opt.typ } : {}) })
      .setIssuer(opt.iss ?? client.clientId)
      .setSubject(opt.sub ?? client.clientId)
      .setAudience(opt.aud ?? ISSUER)
      .setExpirationTime(opt.exp ?? (iat ?? w.now()) + 60);
    return (iat === undefined ? jwt : jwt.setIssuedAt(iat)).sign(privateKey);
  };
  return { client, sign, publicKey, jwk };
}

test('RFC 7523 §2.2 private_key_jwt: RS256, PS256, ES256 and EdDSA assertions verify against the registered jwks', async () => {
  const w = await world();
  for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA']) {
    const k = await keyClient(w, alg);
    const r = await w.auth.authenticate(assertion(await k.sign(), k.client.clientId), opts);
    assert.equal(r.method, 'private_key_jwt');
    assert.equal(r.client.clientId, k.client.clientId);
  }
});

test('RFC 8725 §3.1 an assertion with alg none is refused', async () => {
  const w = await world();
  const k = await keyClient(w, 'ES256');
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const t = w.now();
  const unsecured = `${b64({ alg: 'none' })}.${b64({ iss: k.client.clientId, sub: k.client.clientId, aud: ISSUER, jti: 'j1', iat: t, exp: t + 60 })}.`;
  await refused(w.auth.authenticate(assertion(unsecured), opts), /assertion rejected/);
  assert.equal(w.spent.length, 0, 'nothing written to the replay cache');
});

test('RFC 8725 §2.1 an HMAC assertion keyed with the client public key (PEM or JWK bytes) is refused', async () => {
  const w = await world();
  const k = await keyClient(w, 'RS256');
  const t = w.now();
  const pem = await exportSPKI(k.publicKey);
  for (const keyBytes of [pem, JSON.stringify(k.jwk)]) {
    const forged = await hmacAssertion(k.client.clientId, keyBytes, 'HS256', {}, t);
    // Sanity: the forgery really is an HMAC over the public key bytes.
    const [h, p, sig] = forged.split('.');
    assert.equal(createHmac('sha256', keyBytes).update(`${h}.${p}`).digest('base64url'), sig);
    await refused(w.auth.authenticate(assertion(forged), opts), /JOSEAlgNotAllowed/);
  }
  assert.equal(w.spent.length, 0);
});

test('OIDC Core §9 a client_secret_jwt client cannot authenticate with an asymmetric assertion, nor the reverse', async () => {
  const w = await world();
  const hs = await w.create(cc('client_secret_jwt'));
  const { privateKey } = await generateKeyPair('ES256');
  const t = w.now();
  const es = await new SignJWT({ jti: 'x' })
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuer(hs.client.clientId)
    .setSubject(hs.client.clientId)
    .setAudience(ISSUER)
    .setIssuedAt(t)
    .setExpirationTime(t + 60)
    .sign(privateKey);
  await refused(w.auth.authenticate(assertion(es), opts), /JOSEAlgNotAllowed/);
});

test('RFC 7591 §2 token_endpoint_auth_signing_alg pins the one algorithm a client may use', async () => {
  const w = await world();
  // A node KeyObject signs both RS256 and PS256, so only the pin can tell them apart.
  const rs = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsJwk = { ...(await exportJWK(rs.publicKey)), kid: 'rs' };
  const { client } = await w.create(cc('private_key_jwt', { jwks: { keys: [rsJwk] }, token_endpoint_auth_signing_alg: 'RS256' }));
  const t = w.now();
  const mk = (alg: string) =>
    new SignJWT({ jti: randomBytes(6).toString('hex') })
      .setProtectedHeader({ alg, kid: 'rs' })
      .setIssuer(client.clientId)
      .setSubject(client.clientId)
      .setAudience(ISSUER)
      .setIssuedAt(t)
      .setExpirationTime(t + 60)
      .sign(rs.privateKey);
  await w.auth.authenticate(assertion(await mk('RS256')), opts);
  await refused(w.auth.authenticate(assertion(await mk('PS256')), opts), /JOSEAlgNotAllowed/);
});

test('RFC 7523 §3 item 4 an expired assertion is refused (with clockSkew tolerance, on the injected clock)', async () => {
  const w = await world();
  const k = await keyClient(w, 'ES256');
  const stale = await k.sign({}, { iat: w.now() - 100, exp: w.now() - 31 });
  await refused(w.auth.authenticate(assertion(stale), opts), /JWTExpired/);
  const withinSkew = await k.sign({}, { iat: w.now() - 100, exp: w.now() - 20 });
  await w.auth.authenticate(assertion(withinSkew), opts);
  const fresh = await k.sign();
  w.advance(120);
  await refused(w.auth.authenticate(assertion(fresh), opts), /JWTExpired/);
});

test('RFC 7523 §3 item 4 an exp beyond clientAuth.assertionMaxLifetime is refused; exp = iat + 3600 (Authlib) is accepted', async () => {
  const w = await world();
  const k = await keyClient(w, 'ES256');
  await w.auth.authenticate(assertion(await k.sign({}, { exp: w.now() + 3600 })), opts);
  await refused(w.auth.authenticate(assertion(await k.sign({}, { exp: w.now() + 3600 + 31 })), opts), /exp-too-far/);
  await refused(w.auth.authenticate(assertion(await k.sign({}, { iat: w.now() - 200, exp: w.now() + 3500 })), opts), /lifetime-too-long/);
});

test('RFC 7523 §3 item 6 an iat older than clientAuth.assertionMaxAge (+ clockSkew) is refused', async () => {
  const w = await world();
  const k = await keyClient(w, 'ES256');
  await w.auth.authenticate(assertion(await k.sign({}, { iat: w.now() - 330, exp: w.now() + 60 })), opts);
  await refused(w.auth.authenticate(assertion(await k.sign({}, { iat: w.now() - 331, exp: w.now() + 60 })), opts), /iat-too-old/);
});

test('RFC 7523 §3 items 5-6 an assertion with iat or nbf in the future is refused', async () => {
  const w = await world();
  const k = await keyClient(w, 'ES256');
  await refused(w.auth.authenticate(assertion(await k.sign({}, { iat: w.now() + 120, exp: w.now() + 180 })), opts), /iat-in-future/);
  await refused(w.auth.authenticate(assertion(await k.sign({ nbf: w.now() + 120 })), opts), /nbf/);
});

test('RFC 7523 §3 item 3 aud is one value: the issuer, the token endpoint URL or the endpoint called', async () => {
  const w = await world();
  const k = await keyClient(w, 'ES256');
  await w.auth.authenticate(assertion(await k.sign({}, { aud: TOKEN })), opts);
  await w.auth.authenticate(assertion(await k.sign({}, { aud: [ISSUER] })), opts);
  // RFC 9126 §2: the PAR endpoint accepts the issuer, the token endpoint URL or its own URL.
  const par = { endpoint: `${ISSUER}/par`, allowPublic: true };
  for (const aud of [ISSUER, TOKEN, `${ISSUER}/par`]) await w.auth.authenticate(assertion(await k.sign({}, { aud })), par);
  await refused(w.auth.authenticate(assertion(await k.sign({}, { aud: 'https://other.example' })), opts), /neither the issuer/);
  await refused(w.auth.authenticate(assertion(await k.sign({}, { aud: `${ISSUER}/introspect` })), opts), /neither the issuer/);
});

test('draft-ietf-oauth-rfc7523bis a multi-valued aud is refused even when it holds the issuer (audience injection)', async () => {
  const w = await world();
  const k = await keyClient(w, 'ES256');
  const e = await refused(w.auth.authenticate(assertion(await k.sign({}, { aud: [ISSUER, 'https://evil.example'] })), opts), /aud has 2 values/);
  assert.ok(!JSON.stringify({ description: e.description, headers: e.headers }).includes('evil.example'), 'the bad value is not echoed');
  assert.ok(!(e.detail ?? '').includes('evil.example'), 'nor written to the event');
  await refused(w.auth.authenticate(assertion(await k.sign({}, { aud: [TOKEN, TOKEN] })), opts), /aud has 2 values/);
  await refused(w.auth.authenticate(assertion(await k.sign({}, { aud: [] })), opts), /aud has 0 values/);
  const { client, clientSecret } = await w.create(cc('client_secret_jwt'));
  await refused(
    w.auth.authenticate(assertion(await hmacAssertion(client.clientId, clientSecret!, 'HS256', { aud: ['https://evil.example', ISSUER] }, w.now())), opts),
    /aud has 2 values/,
  );
});

test('draft-ietf-oauth-rfc7523bis an assertion typed client-authentication+jwt accepts the issuer only', async () => {
  const w = await world();
  const k = await keyClient(w, 'ES256');
  for (const typ of ['client-authentication+jwt', 'application/client-authentication+JWT']) {
    await refused(w.auth.authenticate(assertion(await k.sign({}, { aud: TOKEN, typ })), opts), /only the issuer is accepted: typed/);
    await w.auth.authenticate(assertion(await k.sign({}, { aud: ISSUER, typ })), opts);
  }
  await w.auth.authenticate(assertion(await k.sign({}, { aud: TOKEN, typ: 'JWT' })), opts);
});

test('RFC 9101 §10.8 / RFC 8725 §3.11 an assertion typed as a request object (or another foreign JWT) is invalid_client', async () => {
  const w = await world();
  const k = await keyClient(w, 'ES256');
  for (const typ of ['oauth-authz-req+jwt', 'application/oauth-authz-req+jwt', 'at+jwt', 'logout+jwt', 'secevent+jwt', 'token-introspection+jwt']) {
    await refused(w.auth.authenticate(assertion(await k.sign({}, { aud: ISSUER, typ })), opts), /is not a client assertion type/);
  }
  const { client, clientSecret } = await w.create(cc('client_secret_jwt'));
  const hs = await new SignJWT({ jti: randomBytes(8).toString('hex') })
    .setProtectedHeader({ alg: 'HS256', typ: 'oauth-authz-req+jwt' })
    .setIssuer(client.clientId)
    .setSubject(client.clientId)
    .setAudience(ISSUER)
    .setIssuedAt(w.now())
    .setExpirationTime(w.now() + 60)
    .sign(new TextEncoder().encode(clientSecret!));
  await refused(w.auth.authenticate(assertion(hs), opts), /is not a client assertion type/);
  for (const typ of [undefined, 'JWT', 'client-authentication+jwt']) {
    assert.equal((await w.auth.authenticate(assertion(await k.sign({}, { aud: ISSUER, ...(typ ? { typ } : {}) })), opts)).client.clientId, k.client.clientId);
  }
});

test('draft-ietf-oauth-rfc7523bis a client registered strict_assertion_audience, or clientAuth.strictAudience, accepts the issuer only', async () => {
  const w = await world();
  const strict = await keyClient(w, 'ES256', { strict_assertion_audience: true });
  await refused(w.auth.authenticate(assertion(await strict.sign({}, { aud: TOKEN })), opts), /strict_assertion_audience/);
  await w.auth.authenticate(assertion(await strict.sign({}, { aud: ISSUER })), opts);
  const lax = await keyClient(w, 'ES256', { strict_assertion_audience: false });
  await w.auth.authenticate(assertion(await lax.sign({}, { aud: TOKEN })), opts);

  const s = await world({ ...CONFIG, clientAuth: { ...CONFIG.clientAuth, strictAudience: true } });
  const k = await keyClient(s, 'ES256');
  await refused(s.auth.authenticate(assertion(await k.sign({}, { aud: TOKEN })), opts), /clientAuth\.strictAudience/);
  await s.auth.authenticate(assertion(await k.sign({}, { aud: ISSUER })), opts);
});

test('RFC 7523 §3 items 1-2 iss and sub must both be the client_id, and a client_id parameter must match', async () => {
  const w = await world();
  const k = await keyClient(w, 'ES256');
  await refused(w.auth.authenticate(assertion(await k.sign({}, { iss: 'someone-else' })), opts), /iss/);
  await refused(w.auth.authenticate(assertion(await k.sign(), 'another-client'), opts), /client_id does not match/);
  await refused(w.auth.authenticate(assertion('not-a-jwt'), opts), /no sub\/iss/);
});

test('RFC 7523 §3 item 7 a jti is single use, spent only after the signature verifies, kept until exp + skew', async () => {
  const w = await world();
  const k = await keyClient(w, 'ES256');
  // An attacker who knows a jti but not the key cannot burn it.
  const stranger = await generateKeyPair('ES256');
  const forged = await new SignJWT({ jti: 'J-1' })
    .setProtectedHeader({ alg: 'ES256', kid: k.jwk.kid! })
    .setIssuer(k.client.clientId)
    .setSubject(k.client.clientId)
    .setAudience(ISSUER)
    .setIssuedAt(w.now())
    .setExpirationTime(w.now() + 60)
    .sign(stranger.privateKey);
  await refused(w.auth.authenticate(assertion(forged), opts), /signature/);
  assert.equal(w.spent.length, 0);
  const real = await k.sign({ jti: 'J-1' });
  await w.auth.authenticate(assertion(real), opts);
  assert.deepEqual(w.spent, [{ key: `${DEFAULT_TENANT}:${k.client.clientId}:J-1`, expiresAt: w.now() + 60 + 30 }]);
  await refused(w.auth.authenticate(assertion(real), opts), /replayed/);
});

test('RFC 7523 §3 item 7 the jti of a long-lived assertion without iat is remembered until its own exp, not for a fixed time', async () => {
  const w = await world();
  const k = await keyClient(w, 'ES256');
  const exp = w.now() + 3600;
  const jwt = await k.sign({ jti: 'J-long' }, { iat: null, exp, aud: TOKEN });
  await w.auth.authenticate(assertion(jwt), opts);
  assert.deepEqual(w.spent.at(-1), { key: `${DEFAULT_TENANT}:${k.client.clientId}:J-long`, expiresAt: exp + 30 });
  // Far past any assertionMaxAge: without iat only exp bounds the assertion, and the jti is still spent.
  w.advance(3000);
  await refused(w.auth.authenticate(assertion(jwt), opts), /replayed/);
  w.advance(631);
  await refused(w.auth.authenticate(assertion(jwt), opts), /JWTExpired/);
});

test('OIDC Core §9 an assertion without jti is refused', async () => {
  const w = await world();
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const { client } = await w.create(cc('private_key_jwt', { jwks: { keys: [await exportJWK(publicKey)] } }));
  const t = w.now();
  const noJti = await new SignJWT({})
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuer(client.clientId)
    .setSubject(client.clientId)
    .setAudience(ISSUER)
    .setIssuedAt(t)
    .setExpirationTime(t + 60)
    .sign(privateKey);
  await refused(w.auth.authenticate(assertion(noJti), opts), /jti/);
  assert.equal(w.spent.length, 0);
});

test('RFC 6749 §5.2 an assertion for a disabled or unknown client is refused', async () => {
  const w = await world();
  const k = await keyClient(w, 'ES256');
  await createClientService(w.deps).setDisabled(k.client.clientId, true, 'cli');
  await refused(w.auth.authenticate(assertion(await k.sign()), opts), /disabled/);
  await refused(w.auth.authenticate(assertion(await k.sign({}, { iss: 'ghost', sub: 'ghost' })), opts), /unknown client/);
  assert.equal(w.spent.length, 0);
});

test('RFC 9864 §2 an Ed25519 key declared as EdDSA verifies an assertion signed as Ed25519, and the reverse', async () => {
  const w = await world();
  for (const [declared, signed] of [
    ['EdDSA', 'Ed25519'],
    ['Ed25519', 'EdDSA'],
  ] as const) {
    const { privateKey, publicKey } = await generateKeyPair('Ed25519', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: `ed-${declared}`, alg: declared };
    const { client } = await w.create(cc('private_key_jwt', { jwks: { keys: [jwk] } }));
    const t = w.now();
    const jwt = await new SignJWT({ jti: randomBytes(6).toString('hex') })
      .setProtectedHeader({ alg: signed, kid: jwk.kid })
      .setIssuer(client.clientId)
      .setSubject(client.clientId)
      .setAudience(ISSUER)
      .setIssuedAt(t)
      .setExpirationTime(t + 60)
      .sign(privateKey);
    assert.equal((await w.auth.authenticate(assertion(jwt), opts)).method, 'private_key_jwt');
  }
});

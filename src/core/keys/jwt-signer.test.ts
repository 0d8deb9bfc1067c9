import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, sign, type JsonWebKey } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { SIGNING_ALGS, type SigningAlg } from '../model/key.ts';
import { generateSigningKey, type GeneratedKey } from './generate-key.ts';
import { createJwtSigner, verifyJws as verifySync, verifyJwsAsync, type VerificationKey } from './jwt-signer.ts';

const keys = new Map<SigningAlg, GeneratedKey>();
for (const alg of SIGNING_ALGS) keys.set(alg, await generateSigningKey(alg));

const signerFor = (alg: SigningAlg) => {
  const k = keys.get(alg)!;
  return createJwtSigner(k.kid, alg, createPrivateKey({ key: k.privateJwk as JsonWebKey, format: 'jwk' }));
};
const lookup = (kid: string): VerificationKey | undefined => {
  for (const k of keys.values()) if (k.kid === kid) return { alg: k.alg, publicKey: createPublicKey({ key: k.publicJwk as JsonWebKey, format: 'jwk' }) };
  return undefined;
};
const jwks = { keys: [...keys.values()].map((k) => k.publicJwk) } as unknown as JSONWebKeySet;
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const claims = { iss: 'https://as.example', sub: 'alice', aud: 'api', iat: 1_700_000_000, exp: 4_000_000_000 };

for (const alg of SIGNING_ALGS) {
  test(`RFC 7515 §7.1 ${alg}: a compact JWS we sign verifies with jose (jwtVerify + createLocalJWKSet)`, async () => {
    const token = signerFor(alg).sign(claims, 'at+jwt');
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: claims.iss, audience: 'api', typ: 'at+jwt' });
    assert.deepEqual(protectedHeader, { alg, kid: keys.get(alg)!.kid, typ: 'at+jwt' });
    assert.equal(payload.sub, 'alice');
  });
}

test('RFC 7518 §3.4 ES256 signatures are R || S (64 octets), not DER', () => {
  const sig = Buffer.from(signerFor('ES256').sign(claims).split('.')[2]!, 'base64url');
  assert.equal(sig.length, 64);
});

test('RFC 7518 §3.5 PS256 verifies with jose (salt length = hash length)', async () => {
  const token = signerFor('PS256').sign(claims);
  const jwk = keys.get('PS256')!.publicJwk;
  await assert.doesNotReject(jwtVerify(token, createLocalJWKSet({ keys: [jwk] } as unknown as JSONWebKeySet), { algorithms: ['PS256'] }));
});

// The same rules for both forms: inline (crypto.verify) and on the thread pool (its callback form).
const MODES = { verifyJws: async (t: string, l: typeof lookup) => verifySync(t, l), verifyJwsAsync } as const;
for (const [mode, verifyJws] of Object.entries(MODES)) {
  for (const alg of SIGNING_ALGS) {
    test(`${mode}: RFC 7515 §5.2 ${alg}: verifyJws accepts our token and rejects a tampered payload or signature`, async () => {
      const token = signerFor(alg).sign(claims);
      const ok = await verifyJws(token, lookup);
      assert.deepEqual(ok?.payload, claims);
      assert.equal(ok?.header.typ, 'JWT');
      const [h, , s] = token.split('.') as [string, string, string];
      assert.equal(await verifyJws(`${h}.${b64({ ...claims, sub: 'mallory' })}.${s}`, lookup), null);
      const sig = Buffer.from(s, 'base64url');
      sig[sig.length - 1]! ^= 1;
      assert.equal(await verifyJws(`${h}.${token.split('.')[1]}.${sig.toString('base64url')}`, lookup), null);
    });
  }

  test(`${mode}: RFC 8725 §3.1 rejects alg "none"`, async () => {
    const kid = keys.get('ES256')!.kid;
    assert.equal(await verifyJws(`${b64({ alg: 'none', kid })}.${b64(claims)}.`, lookup), null);
    assert.equal(await verifyJws(`${b64({ alg: 'none', kid })}.${b64(claims)}.AAAA`, lookup), null);
  });

  test(`${mode}: RFC 8725 §3.1 rejects a header alg other than the key's (RS256 signature under a PS256 key)`, async () => {
    const k = keys.get('PS256')!;
    const input = `${b64({ alg: 'RS256', kid: k.kid, typ: 'JWT' })}.${b64(claims)}`;
    const sig = sign('sha256', Buffer.from(input), createPrivateKey({ key: k.privateJwk as JsonWebKey, format: 'jwk' }));
    const forged = `${input}.${sig.toString('base64url')}`;
    // The same bytes are a valid RS256 JWS, so only the alg binding stops it.
    const asRs256 = await verifyJws(forged, () => ({ alg: 'RS256', publicKey: createPublicKey({ key: k.publicJwk as JsonWebKey, format: 'jwk' }) }));
    assert.ok(asRs256);
    assert.equal(await verifyJws(forged, lookup), null);
  });

  test(`${mode}: RFC 7515 §4.1.4 rejects an unknown kid or a missing kid`, async () => {
    const token = signerFor('EdDSA').sign(claims);
    const [, p, s] = token.split('.') as [string, string, string];
    assert.equal(await verifyJws(`${b64({ alg: 'EdDSA', kid: 'nope', typ: 'JWT' })}.${p}.${s}`, lookup), null);
    assert.equal(await verifyJws(`${b64({ alg: 'EdDSA', typ: 'JWT' })}.${p}.${s}`, lookup), null);
    assert.equal(await verifyJws(token, () => undefined), null);
  });

  test(`${mode}: RFC 7515 §4.1.11 rejects a JWS with a crit header we do not understand`, async () => {
    const k = keys.get('EdDSA')!;
    const input = `${b64({ alg: 'EdDSA', kid: k.kid, crit: ['exp'], exp: 1 })}.${b64(claims)}`;
    const sig = sign(null, Buffer.from(input), createPrivateKey({ key: k.privateJwk as JsonWebKey, format: 'jwk' }));
    assert.equal(await verifyJws(`${input}.${sig.toString('base64url')}`, lookup), null);
  });

  test(`${mode}: RFC 7515 §7.1 malformed compact serialisations give null, never an exception`, async () => {
    const token = signerFor('ES256').sign(claims);
    const [h, p, s] = token.split('.') as [string, string, string];
    const bad: unknown[] = [
      '',
      'a',
      'a.b',
      `${h}.${p}`,
      `${token}.x`,
      `${h}.${p}.${s}=`,
      `${h}=.${p}.${s}`,
      `${h}.${p}.${s.slice(0, -2)}`,
      `${h}.${p}.`,
      `.${p}.${s}`,
      `${h}..${s}`,
      `${h}.${p}.${s}+`,
      `${b64([1, 2])}.${p}.${s}`,
      `${b64('str')}.${p}.${s}`,
      `${Buffer.from('{not json').toString('base64url')}.${p}.${s}`,
      `${h}.${b64([claims])}.${s}`,
      `${h}.${p}.${'A'.repeat(20_000)}`,
      `${b64({ alg: 'ES256', kid: 42 })}.${p}.${s}`,
      undefined,
      null,
      42,
      {},
    ];
    for (const t of bad) assert.equal(await verifyJws(t as string, lookup), null, String(t).slice(0, 40));
  });
}

test('the signer caches its header per typ and reports its kid and alg', async () => {
  const s = signerFor('ES256');
  assert.equal(s.kid, keys.get('ES256')!.kid);
  assert.equal(s.alg, 'ES256');
  const a = s.sign({ n: 1 }).split('.')[0];
  const b = s.sign({ n: 2 }).split('.')[0];
  const c = s.sign({ n: 3 }, 'at+jwt').split('.')[0];
  assert.equal(a, b);
  assert.notEqual(a, c);
  assert.deepEqual(JSON.parse(Buffer.from(c!, 'base64url').toString()), { alg: 'ES256', kid: s.kid, typ: 'at+jwt' });
});

for (const alg of SIGNING_ALGS) {
  test(`RFC 7515 §7.1 ${alg}: signAsync (thread pool for RSA) yields a JWS that verifies with jose and verifyJws`, async () => {
    const token = await signerFor(alg).signAsync(claims, 'at+jwt');
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), { algorithms: [alg] });
    assert.equal(payload.sub, 'alice');
    assert.equal(protectedHeader.typ, 'at+jwt');
    assert.deepEqual(verifySync(token, lookup)?.payload, claims);
    assert.deepEqual((await verifyJwsAsync(token, lookup))?.payload, claims);
  });
}

test('RFC 7518 §3.3 RS256 (deterministic PKCS #1 v1.5): signAsync and sign produce the same token', async () => {
  const s = signerFor('RS256');
  assert.equal(await s.signAsync(claims), s.sign(claims));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { SIGNING_ALGS } from '../model/key.ts';
import { generateSigningKey, jwkThumbprint } from './generate-key.ts';

const EXPECTED = {
  RS256: { kty: 'RSA', bits: 2048 },
  PS256: { kty: 'RSA', bits: 2048 },
  ES256: { kty: 'EC', crv: 'P-256' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
} as const;

for (const alg of SIGNING_ALGS) {
  test(`RFC 7638 §3 ${alg}: kid is the SHA-256 JWK thumbprint of the public key`, async () => {
    const k = await generateSigningKey(alg);
    assert.equal(k.kid, await calculateJwkThumbprint(k.publicJwk as Parameters<typeof calculateJwkThumbprint>[0], 'sha256'));
    assert.equal(k.kid, jwkThumbprint(k.privateJwk));
    assert.match(k.kid, /^[\w-]{43}$/);
  });

  test(`RFC 7517 §4 ${alg}: public JWK carries kid, alg, use=sig and no private member`, async () => {
    const k = await generateSigningKey(alg);
    const exp = EXPECTED[alg];
    assert.equal(k.publicJwk.kty, exp.kty);
    assert.equal(k.publicJwk.alg, alg);
    assert.equal(k.publicJwk.use, 'sig');
    assert.equal(k.publicJwk.kid, k.kid);
    for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(m in k.publicJwk, false, m);
    assert.equal(typeof k.privateJwk.d, 'string');
    if ('crv' in exp) assert.equal(k.publicJwk.crv, exp.crv);
    if ('bits' in exp) {
      const key = createPublicKey({ key: k.publicJwk as JsonWebKey, format: 'jwk' });
      assert.equal(key.asymmetricKeyDetails?.modulusLength, exp.bits);
    }
  });
}

test('generated keys are distinct', async () => {
  const [a, b] = await Promise.all([generateSigningKey('ES256'), generateSigningKey('ES256')]);
  assert.notEqual(a.kid, b.kid);
});

test('RFC 7638 §3.2 thumbprint rejects a JWK without its required members', () => {
  assert.throws(() => jwkThumbprint({ kty: 'EC', crv: 'P-256', x: 'abc' }), TypeError);
  assert.throws(() => jwkThumbprint({ kty: 'oct', k: 'abc' }), TypeError);
});

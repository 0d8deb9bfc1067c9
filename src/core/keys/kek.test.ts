import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decryptWithKek, encryptWithKek } from './kek.ts';

const kek = randomBytes(32);
const jwk = JSON.stringify({ kty: 'EC', crv: 'P-256', d: 'secret-scalar', x: 'x', y: 'y' });

test('KEK envelope round-trips a private JWK (AES-256-GCM, kid as AAD)', () => {
  const sealed = encryptWithKek(kek, jwk, 'kid-1');
  assert.match(sealed, /^v1\.[\w-]{16}\.[\w-]+\.[\w-]{22}$/);
  assert.ok(!sealed.includes('secret-scalar'));
  assert.equal(decryptWithKek(kek, sealed, 'kid-1'), jwk);
});

test('KEK envelope uses a fresh IV for every encryption', () => {
  assert.notEqual(encryptWithKek(kek, jwk, 'kid-1'), encryptWithKek(kek, jwk, 'kid-1'));
});

test('KEK envelope refuses a different KEK', () => {
  const sealed = encryptWithKek(kek, jwk, 'kid-1');
  assert.throws(() => decryptWithKek(randomBytes(32), sealed, 'kid-1'), { code: 'GH_KEK_DECRYPT_FAILED' });
});

test('KEK envelope refuses a ciphertext moved onto another kid (AAD mismatch)', () => {
  const sealed = encryptWithKek(kek, jwk, 'kid-1');
  assert.throws(() => decryptWithKek(kek, sealed, 'kid-2'), { code: 'GH_KEK_DECRYPT_FAILED' });
});

test('KEK envelope refuses a tampered ciphertext or tag', () => {
  const [v, iv, ct, tag] = encryptWithKek(kek, jwk, 'kid-1').split('.') as [string, string, string, string];
  const flip = (s: string) => {
    const b = Buffer.from(s, 'base64url');
    b[0]! ^= 1;
    return b.toString('base64url');
  };
  assert.throws(() => decryptWithKek(kek, [v, iv, flip(ct), tag].join('.'), 'kid-1'), { code: 'GH_KEK_DECRYPT_FAILED' });
  assert.throws(() => decryptWithKek(kek, [v, iv, ct, flip(tag)].join('.'), 'kid-1'), { code: 'GH_KEK_DECRYPT_FAILED' });
  assert.throws(() => decryptWithKek(kek, 'v2.a.b.c', 'kid-1'), { code: 'GH_KEK_DECRYPT_FAILED' });
});

test('KEK must be 32 bytes', () => {
  assert.throws(() => encryptWithKek(randomBytes(16), jwk, 'kid-1'), { code: 'GH_KEK_INVALID' });
});

test('KEK rotation: v2 envelopes name their KEK; a ring opens v1 and v2 values under current or previous KEKs', async () => {
  const { kekId, kekRing, openWithRing, sealWithRing, sealedKekId } = await import('./kek.ts');
  const a = randomBytes(32);
  const b = randomBytes(32);
  const underA = sealWithRing(kekRing(a), jwk, 'kid-1');
  assert.match(underA, /^v2\.[\w-]{11}\.[\w-]{16}\.[\w-]+\.[\w-]{22}$/);
  assert.equal(sealedKekId(underA), kekId(a));
  const legacy = encryptWithKek(a, jwk, 'kid-1');
  assert.equal(sealedKekId(legacy), null);
  // During the change: B current, A previous.
  const during = kekRing(b, [a]);
  assert.equal(openWithRing(during, underA, 'kid-1'), jwk);
  assert.equal(openWithRing(during, legacy, 'kid-1'), jwk);
  assert.equal(sealedKekId(sealWithRing(during, jwk, 'kid-1')), kekId(b));
  // The AAD still binds the value to its owner.
  assert.throws(() => openWithRing(during, underA, 'kid-2'), /GH_KEK_DECRYPT_FAILED|cannot decrypt/);
  // A ring without A names the KEK it would need.
  assert.throws(
    () => openWithRing(kekRing(b), underA, 'kid-1'),
    (e: Error & { code?: string }) => e.code === 'GH_KEK_DECRYPT_FAILED' && e.message.includes(kekId(a)) && e.message.includes('GATEHOUSE_KEK_PREVIOUS'),
  );
  assert.throws(
    () => openWithRing(kekRing(b), legacy, 'kid-1'),
    (e: Error & { code?: string }) => e.code === 'GH_KEK_DECRYPT_FAILED',
  );
});

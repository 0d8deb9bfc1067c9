import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { ISSUER, settableClock, T0 } from '../../../test/support/core-fixtures.ts';
import { MemoryReplayCache } from '../../storage/memory/memory-replay-cache.ts';
import { sha256 } from '../crypto.ts';
import { OAuthError } from '../errors.ts';
import { DEFAULT_TENANT } from '../model/tenant.ts';
import { createDpopNonces } from './dpop-nonce.ts';
import { createDpopVerifier } from './dpop-proof.ts';

const HTU = `${ISSUER}/token`;

async function setup(requireNonce = false) {
  const clock = settableClock();
  const nonces = createDpopNonces(Buffer.alloc(32, 1), 300, clock);
  const verifier = createDpopVerifier(
    { replay: new MemoryReplayCache(clock), clock, nonces, tenantId: DEFAULT_TENANT },
    { dpop: { algorithms: ['ES256'], proofMaxAge: 60, clockSkew: 10, requireNonce } },
  );
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk: JWK = await exportJWK(publicKey);
  let n = 0;
  const proof = (claims: Record<string, unknown> = {}) =>
    new SignJWT({ jti: `j${++n}`, htm: 'POST', htu: HTU, iat: Math.floor(clock.now() / 1000), ...claims })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
      .sign(privateKey);
  return { clock, nonces, verifier, proof };
}

const code = (c: string) => (e: unknown) => e instanceof OAuthError && e.code === c;

test('RFC 9449 §4.3 a proof passes once; the same jti again is refused (§11.1)', async () => {
  const { verifier, proof } = await setup();
  const p = await proof();
  const ok = await verifier.verify({ proof: p, method: 'POST', url: HTU });
  assert.match(ok.jkt, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(ok.nextNonce, null);
  await assert.rejects(verifier.verify({ proof: p, method: 'POST', url: HTU }), code('invalid_dpop_proof'));
});

test('RFC 9449 §4.3 (1) more than one DPoP header, or none, is invalid_dpop_proof', async () => {
  const { verifier, proof } = await setup();
  const twice = (e: unknown) => code('invalid_dpop_proof')(e) && (e as OAuthError).description === 'more than one DPoP header';
  await assert.rejects(verifier.verify({ proof: [await proof(), await proof()], method: 'POST', url: HTU }), twice);
  // Node joins a repeated header into one value with ", " (a JWT never contains a comma).
  await assert.rejects(verifier.verify({ proof: `${await proof()}, ${await proof()}`, method: 'POST', url: HTU }), twice);
  await assert.rejects(verifier.verify({ proof: undefined, method: 'POST', url: HTU }), code('invalid_dpop_proof'));
});

test('RFC 9449 §4.3 (6) a cached key still has its signature checked on every proof', async () => {
  const { verifier, proof } = await setup();
  await verifier.verify({ proof: await proof(), method: 'POST', url: HTU });
  const p = await proof();
  const tampered = `${p.slice(0, p.lastIndexOf('.'))}.${Buffer.alloc(64).toString('base64url')}`;
  await assert.rejects(verifier.verify({ proof: tampered, method: 'POST', url: HTU }), code('invalid_dpop_proof'));
});

test('RFC 9449 §4.3 (12) ath is required and must match when an access token is presented', async () => {
  const { verifier, proof } = await setup();
  await assert.rejects(verifier.verify({ proof: await proof(), method: 'POST', url: HTU, accessToken: 'at' }), code('invalid_dpop_proof'));
  const ok = await verifier.verify({ proof: await proof({ ath: sha256('at') }), method: 'POST', url: HTU, accessToken: 'at' });
  assert.ok(ok.jkt);
});

test('RFC 9449 §8 with nonces required: none or a stale one is use_dpop_nonce with the current nonce; the previous window’s passes and is answered with the current', async () => {
  const { verifier, proof, nonces, clock } = await setup(true);
  await assert.rejects(
    verifier.verify({ proof: await proof(), method: 'POST', url: HTU }),
    (e: unknown) => code('use_dpop_nonce')(e) && (e as OAuthError).headers['dpop-nonce'] === nonces.current(),
  );
  const old = nonces.current();
  clock.set(T0 + 300_000);
  const ok = await verifier.verify({ proof: await proof({ nonce: old }), method: 'POST', url: HTU });
  assert.equal(ok.nextNonce, nonces.current());
  clock.set(T0 + 600_000);
  await assert.rejects(verifier.verify({ proof: await proof({ nonce: old }), method: 'POST', url: HTU }), code('use_dpop_nonce'));
});

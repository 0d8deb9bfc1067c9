import { createHash, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { SigningAlg } from '../model/key.ts';

const generateKeyPairAsync = promisify(generateKeyPair);

export type Jwk = Readonly<Record<string, unknown>>;

export interface GeneratedKey {
  readonly kid: string;
  readonly alg: SigningAlg;
  /** Public JWK with `kid`, `alg` and `use: 'sig'`: what the JWKS publishes. */
  readonly publicJwk: Jwk;
  /** Private JWK (with `kid` and `alg`): seal it with the KEK before it leaves memory. */
  readonly privateJwk: Jwk;
}

/** RS256/PS256: RSA 2048; ES256: P-256; EdDSA: Ed25519. Off the event loop (RSA takes ~100 ms). */
async function generatePair(alg: SigningAlg): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  switch (alg) {
    case 'RS256':
    case 'PS256':
      // RFC 7518 §3.3/§3.5: "A key of size 2048 bits or larger MUST be used with these algorithms."
      return generateKeyPairAsync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
    case 'ES256':
      return generateKeyPairAsync('ec', { namedCurve: 'P-256' });
    case 'EdDSA':
      return generateKeyPairAsync('ed25519');
  }
}

/** The members RFC 7638 §3.2 requires per key type, in lexicographic order. */
const REQUIRED_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  RSA: ['e', 'kty', 'n'],
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
};

/**
 * RFC 7638 JWK thumbprint (SHA-256, base64url). §3: "the JSON object MUST contain only the
 * required members … in lexicographic order … with no whitespace or line breaks".
 */
export function jwkThumbprint(jwk: Jwk): string {
  const members = REQUIRED_MEMBERS[String(jwk.kty)];
  if (!members) throw new TypeError(`unsupported kty ${String(jwk.kty)}`);
  const canonical: Record<string, unknown> = {};
  for (const m of members) {
    if (typeof jwk[m] !== 'string') throw new TypeError(`JWK member ${m} missing`);
    canonical[m] = jwk[m];
  }
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url');
}

/** Generates a signing key pair; `kid` is the RFC 7638 thumbprint of the public key. */
export async function generateSigningKey(alg: SigningAlg): Promise<GeneratedKey> {
  const { publicKey, privateKey } = await generatePair(alg);
  const pub = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  const priv = privateKey.export({ format: 'jwk' }) as Record<string, unknown>;
  const kid = jwkThumbprint(pub);
  return {
    kid,
    alg,
    publicJwk: Object.freeze({ ...pub, kid, alg, use: 'sig' }),
    privateJwk: Object.freeze({ ...priv, kid, alg }),
  };
}

import { hash } from 'node:crypto';
import type { SigningAlg } from '../model/key.ts';

/**
 * The hash behind `at_hash`, `c_hash` (OIDC Core §3.3.2.11, §3.3.2.10) and FAPI 1.0 Advanced
 * §5.2.2.1 `s_hash`: "the hash algorithm used is the hash algorithm used in the alg Header
 * Parameter of the ID Token's JOSE Header. For instance, if the alg is RS256, hash the
 * access_token value with SHA-256, then take the left-most 128 bits and base64url-encode them."
 *
 * RS256 / PS256 / ES256 name SHA-256. `EdDSA` names no hash; our EdDSA keys are Ed25519, for
 * which the OpenID Connect WG (connect issue #1125, recorded in the OpenID Connect Token Hash
 * Algorithms implementer's guide, and what oidc-token-hash / openid-client verify) uses SHA-512,
 * the hash inside Ed25519: the claim is then the left-most 256 bits.
 */
const HASH_FOR: Readonly<Record<SigningAlg, 'sha256' | 'sha512'>> = {
  RS256: 'sha256',
  PS256: 'sha256',
  ES256: 'sha256',
  EdDSA: 'sha512',
};

/** base64url of the left-most half of HASH(ASCII(value)), HASH chosen by the ID token's `alg`. */
export function halfHash(value: string, alg: SigningAlg): string {
  const digest = hash(HASH_FOR[alg], Buffer.from(value, 'utf8'), 'buffer');
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

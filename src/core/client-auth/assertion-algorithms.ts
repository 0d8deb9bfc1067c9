import type { ClientAuthMethod } from '../model/client.ts';

/** OIDC Core §9 client_secret_jwt: "HMAC SHA algorithm, such as HMAC SHA-256". */
export const HMAC_ALGS = ['HS256', 'HS384', 'HS512'] as const;

/** OIDC Core §9 / RFC 7523 private_key_jwt: asymmetric signatures only. */
export const ASYMMETRIC_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;

/**
 * The algorithms an assertion may use for a client registered with `method`, pinned so that a key
 * of one family can never be used as a key of another (an HMAC "signed" with a public key fails).
 * `registered` (token_endpoint_auth_signing_alg) narrows the set to one.
 */
export function assertionAlgorithms(method: ClientAuthMethod, registered: string | null): readonly string[] {
  const family: readonly string[] = method === 'client_secret_jwt' ? HMAC_ALGS : method === 'private_key_jwt' ? ASYMMETRIC_ALGS : [];
  if (registered === null) return family;
  return family.includes(registered) ? [registered] : [];
}

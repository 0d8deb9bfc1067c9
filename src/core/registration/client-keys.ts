import { assertionAlgorithms } from '../client-auth/assertion-algorithms.ts';
import { OAuthError } from '../errors.ts';
import type { ClientAuthMethod } from '../model/client.ts';

/** JWK members that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4, RFC 8037 §2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
const KTYS = new Set(['RSA', 'EC', 'OKP']);

const bad = (d: string) => OAuthError.invalidClientMetadata(d);

/**
 * RFC 7591 §2 `jwks`: "Client's JSON Web Key Set [RFC7517] document value, which contains the
 * client's public keys." Private or symmetric keys are refused: the server must never hold them.
 */
export function checkJwks(value: unknown): { readonly keys: readonly Record<string, unknown>[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('jwks must be a JSON Web Key Set object');
  const keys = (value as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) throw bad('jwks must have a non-empty keys array');
  if (keys.length > 20) throw bad('jwks has too many keys');
  const out: Record<string, unknown>[] = [];
  for (const k of keys) {
    if (typeof k !== 'object' || k === null || Array.isArray(k)) throw bad('every jwks key must be a JSON object');
    const jwk = k as Record<string, unknown>;
    if (typeof jwk['kty'] !== 'string' || !KTYS.has(jwk['kty'])) throw bad('jwks keys must be RSA, EC or OKP public keys');
    if (PRIVATE_MEMBERS.some((m) => m in jwk)) throw bad('jwks must contain public keys only');
    if (jwk['use'] !== undefined && jwk['use'] !== 'sig' && jwk['use'] !== 'enc') throw bad('jwks key use must be sig or enc');
    out.push(jwk);
  }
  if (JSON.stringify(out).length > 32_768) throw bad('jwks is too large');
  return { keys: out };
}

/** `token_endpoint_auth_signing_alg` must fit the method; "none" MUST NOT be used (OIDC Registration §2). */
export function checkSigningAlg(alg: string, method: ClientAuthMethod): void {
  if (method !== 'client_secret_jwt' && method !== 'private_key_jwt') {
    throw bad('token_endpoint_auth_signing_alg applies only to client_secret_jwt and private_key_jwt');
  }
  if (assertionAlgorithms(method, alg).length === 0) throw bad(`token_endpoint_auth_signing_alg ${alg} does not fit ${method}`);
}

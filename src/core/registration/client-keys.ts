import { assertionAlgorithms } from '../client-auth/assertion-algorithms.ts';
import { OAuthError } from '../errors.ts';
import { jsonTooDeep } from '../json-depth.ts';
import type { ClientAuthMethod } from '../model/client.ts';

/** JWK members that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4, RFC 8037 §2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
const KTYS = new Set(['RSA', 'EC', 'OKP']);

const bad = (d: string) => OAuthError.invalidClientMetadata(d);

/** JWK members whose value is a string (RFC 7517 §4, RFC 7518 §6.2.1 / §6.3.1, RFC 8037 §2). */
const STRING_MEMBERS = ['kty', 'use', 'alg', 'kid', 'x5u', 'x5t', 'x5t#S256', 'crv', 'x', 'y', 'n', 'e'] as const;
/** RFC 7517 §4.3 `key_ops` and §4.7 `x5c`: arrays of strings. */
const STRING_ARRAY_MEMBERS = ['key_ops', 'x5c'] as const;
/** Levels a key may nest (the key object, an extension member's array or object, one more). */
const MAX_JWK_DEPTH = 3;

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
    // Checked by shape before anything walks the key (the size check below serialises it).
    for (const m of STRING_MEMBERS) if (jwk[m] !== undefined && typeof jwk[m] !== 'string') throw bad(`jwks key member ${m} must be a string`);
    for (const m of STRING_ARRAY_MEMBERS) {
      const v = jwk[m];
      if (v !== undefined && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) throw bad(`jwks key member ${m} must be an array of strings`);
    }
    // RFC 7517 §4: other members are allowed (and ignored), but not nested without bound.
    if (jsonTooDeep(jwk, MAX_JWK_DEPTH)) throw bad('jwks key members are nested too deeply');
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

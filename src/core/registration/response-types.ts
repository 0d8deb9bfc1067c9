import { OAuthError } from '../errors.ts';

/** Canonical order of response type values (OAuth 2.0 Multiple Response Types §3: order does not matter). */
const ORDER = ['code', 'id_token', 'token'] as const;

/** Code and the hybrid types (OIDC Core §3.1, §3.3): always served. */
export const CODE_AND_HYBRID_RESPONSE_TYPES = ['code', 'code id_token', 'code token', 'code id_token token'] as const;
/** OIDC Core §3.2 implicit flow: served only with `authorization.implicit`. `token` alone never (RFC 9700 §2.1.2). */
export const IMPLICIT_RESPONSE_TYPES = ['id_token', 'id_token token'] as const;

/** `id_token code` → `code id_token`; null for an unknown or repeated value. */
export function canonicalResponseType(value: string): string | null {
  const parts = value.split(' ');
  if (parts.length > ORDER.length || new Set(parts).size !== parts.length) return null;
  if (!parts.every((p) => (ORDER as readonly string[]).includes(p))) return null;
  return ORDER.filter((v) => parts.includes(v)).join(' ');
}

const bad = (d: string) => OAuthError.invalidClientMetadata(d);
const usesCode = (rt: string) => rt.split(' ').includes('code');
const returnsTokens = (rt: string) => rt.split(' ').some((v) => v === 'token' || v === 'id_token');

/**
 * RFC 7591 §2.1 and OIDC Registration §2 `response_types` / `grant_types`: every response type
 * must be one the server serves, and the two lists must agree. Omitted lists are derived: with
 * neither, `authorization_code` + `code` (RFC 7591 §2 defaults).
 */
export function grantAndResponseTypes(
  givenGrants: readonly string[] | undefined,
  givenResponses: readonly string[] | undefined,
  served: readonly string[],
): { grantTypes: string[]; responseTypes: string[] } {
  const responseTypes: string[] = [];
  const seen = new Set<string>();
  for (const r of givenResponses ?? []) {
    const canonical = canonicalResponseType(r);
    if (canonical === null || !served.includes(canonical)) throw bad(`response type ${r.slice(0, 50)} is not supported`);
    if (!seen.has(canonical)) responseTypes.push(r);
    seen.add(canonical);
  }
  const codeTypes = [...seen].some(usesCode);
  const tokenTypes = [...seen].some(returnsTokens);
  const grantTypes = givenGrants
    ? [...givenGrants]
    : givenResponses === undefined
      ? ['authorization_code']
      : [...(codeTypes ? ['authorization_code'] : []), ...(tokenTypes ? ['implicit'] : [])];
  if (givenResponses === undefined && grantTypes.includes('authorization_code')) responseTypes.push('code');
  // OIDC Registration §2: "code: authorization_code" and "id_token", "id_token token", "code
  // id_token", "code token", "code id_token token": "implicit" must be in the registered
  // grant_types. RFC 7591 §2.1: the server "MAY return an error" for inconsistent values; we do.
  if (grantTypes.includes('authorization_code') !== responseTypes.some(usesCode)) {
    throw bad('grant_types authorization_code and a response type containing code must be registered together (OIDC Registration §2)');
  }
  if (grantTypes.includes('implicit') !== responseTypes.some(returnsTokens)) {
    throw bad('grant_types implicit and a response type returning id_token or token (e.g. code id_token) must be registered together (OIDC Registration §2)');
  }
  return { grantTypes, responseTypes };
}

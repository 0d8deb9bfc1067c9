import { OAuthError } from '../../errors.ts';
import type { Client } from '../../model/client.ts';
import { param, type Params } from './params.ts';

/** Canonical order of the response type values (the order OAuth Multiple Response Types §3–§5 uses). */
const ORDER = ['code', 'id_token', 'token'] as const;

/** OIDC Core §3 / Multiple Response Types 1.0: code and the hybrid types, always available. */
const ALWAYS = new Set(['code', 'code id_token', 'code token', 'code id_token token']);
/** OIDC Core §3.2 implicit flow: only with `authorization.implicit`. */
const IMPLICIT = new Set(['id_token', 'id_token token']);

/**
 * A response type in canonical order (`id_token code` → `code id_token`), or null when it holds an
 * unknown or repeated value. OAuth Multiple Response Types §3: "The order in which the values are
 * included in a response_type does not matter".
 */
export function normalizeResponseType(value: string): string | null {
  const parts = value.split(' ');
  if (parts.length > ORDER.length || new Set(parts).size !== parts.length) return null;
  if (!parts.every((p) => (ORDER as readonly string[]).includes(p))) return null;
  return ORDER.filter((v) => parts.includes(v)).join(' ');
}

/** True when the response type returns tokens from the authorization endpoint (fragment by default). */
export function returnsTokens(responseType: string): boolean {
  const parts = responseType.split(' ');
  return parts.includes('token') || parts.includes('id_token');
}

/**
 * The response type (RFC 6749 §3.1.1, OIDC Core §3.1.2.1). `token` alone (the OAuth 2.0 implicit
 * grant) is never offered: OAuth 2.1 §10.1 and RFC 9700 §2.1.2 "clients SHOULD NOT use the
 * implicit grant (response type "token")".
 */
export function checkResponseType(client: Client, params: Params, config: { readonly authorization: { readonly implicit: boolean } }): string {
  const raw = param(params, 'response_type');
  // RFC 6749 §4.1.1: response_type is REQUIRED.
  if (raw === undefined) throw OAuthError.invalidRequest('response_type is required');
  const rt = normalizeResponseType(raw);
  // RFC 6749 §4.1.2.1 unsupported_response_type: "The authorization server does not support
  // obtaining an authorization code using this method."
  if (rt === null || !(ALWAYS.has(rt) || (config.authorization.implicit && IMPLICIT.has(rt)))) {
    throw OAuthError.of('unsupported_response_type', 'this response_type is not supported', `response_type ${raw.slice(0, 50)}`);
  }
  // OIDC Registration §2 response_types: "JSON array containing a list of the OAuth 2.0
  // response_type values that the Client is declaring that it will restrict itself to using."
  const registered = client.responseTypes.map(normalizeResponseType);
  // RFC 6749 §4.1.2.1 unauthorized_client: "The client is not authorized to request an
  // authorization code using this method."
  if (!registered.includes(rt))
    throw OAuthError.unauthorizedClient('this response_type is not registered for the client', `client ${client.clientId} response_type ${rt}`);
  // OIDC Registration §2: code needs the authorization_code grant; a response without a code
  // (id_token, id_token token) is the implicit grant.
  const grant = rt.startsWith('code') ? 'authorization_code' : 'implicit';
  if (!client.grantTypes.includes(grant))
    throw OAuthError.unauthorizedClient(`the client is not registered for the ${grant} grant`, `client ${client.clientId}`);
  return rt;
}

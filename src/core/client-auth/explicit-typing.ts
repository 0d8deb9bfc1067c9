/**
 * Explicit typing of the JWTs a client signs (RFC 8725 §3.11: "Confusion between kinds of JWTs
 * can be prevented by having all the kinds of JWTs that could otherwise potentially be confused
 * include an explicit JWT type value"). A client signs several kinds with the same key (client
 * assertions, request objects, perhaps JWTs for other parties); the `typ` header it signed says
 * which kind a JWT is, so a JWT of one kind is not accepted as another.
 *
 * Untyped JWTs stay accepted where they are today (client libraries that predate explicit typing
 * send none); a JWT that declares a type is accepted only where that type belongs.
 */

/** Registered `typ` values of JWTs (media type subtypes, without `application/`). */
export const JWT_TYPES = {
  /** RFC 9101 §4 (JAR) request objects. */
  requestObject: 'oauth-authz-req+jwt',
  /** draft-ietf-oauth-rfc7523bis client assertions. */
  clientAuthentication: 'client-authentication+jwt',
  /** RFC 9068 §2.1 JWT access tokens. */
  accessToken: 'at+jwt',
  /** OIDC Back-Channel Logout §2.4 logout tokens. */
  logoutToken: 'logout+jwt',
  /** RFC 8417 §2.3 security event tokens. */
  securityEvent: 'secevent+jwt',
  /** RFC 9701 §5 JWT introspection responses. */
  introspection: 'token-introspection+jwt',
  /** RFC 7519 §5.1 the generic type ("JWT"), which says only that it is a JWT. */
  generic: 'jwt',
} as const;

/**
 * The declared type, normalised: RFC 7515 §4.1.9 `typ` is a media type, so it is compared
 * case-insensitively, and "it is RECOMMENDED that the "application/" prefix be omitted" (so it may
 * be present). `undefined` when no `typ` is declared; `null` when it is not a string.
 */
export function declaredType(typ: unknown): string | null | undefined {
  if (typ === undefined) return undefined;
  if (typeof typ !== 'string') return null;
  const t = typ.toLowerCase();
  return t.startsWith('application/') ? t.slice('application/'.length) : t;
}

/**
 * RFC 9101 §4: "It is RECOMMENDED that the typ value be oauth-authz-req+jwt"; §10.8 (cross-JWT
 * confusion): explicit typing keeps another JWT from being taken as a request object. A request
 * object that declares a type must declare this one; one with no `typ` stays accepted.
 */
export function requestObjectTypeAccepted(typ: unknown): boolean {
  const t = declaredType(typ);
  return t === undefined || t === JWT_TYPES.requestObject;
}

/**
 * Client assertions (RFC 7523 §3, OIDC Core §9): untyped, typed `JWT` (what most client libraries
 * send) or `client-authentication+jwt` (draft-ietf-oauth-rfc7523bis). Every other type is a JWT
 * written for something else (a request object, an access token, a logout token, ...) and is
 * refused: a request object signed by the client carries `iss`, `aud` = the issuer and `exp`, and
 * must not become a credential (RFC 9101 §10.8, RFC 8725 §3.11).
 */
export function clientAssertionTypeAccepted(typ: unknown): boolean {
  const t = declaredType(typ);
  return t === undefined || t === JWT_TYPES.generic || t === JWT_TYPES.clientAuthentication;
}

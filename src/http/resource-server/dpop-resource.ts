/** What a protected resource reads of a request (a FastifyRequest's fields, passed as they are). */
export interface ResourceRequest {
  readonly authorization: string | undefined;
  /** The `DPoP` header(s) (RFC 9449 §4.1). */
  readonly dpop: string | readonly string[] | undefined;
  readonly method: string;
  /** The request target as the server received it (path and query). */
  readonly url: string;
}

export interface PresentedToken {
  readonly scheme: 'Bearer' | 'DPoP';
  readonly token: string;
}

/** RFC 6750 §2.1 b64token / RFC 9449 §7.1 token68, one per header; schemes are case-insensitive (RFC 9110 §11.1). */
const AUTHORIZATION = /^(bearer|dpop) +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The access token of an `Authorization` header: `Bearer <token>` (RFC 6750 §2.1) or, when the
 * resource takes DPoP, `DPoP <token>` (RFC 9449 §7.1). Null for no header, another scheme or a
 * malformed value (RFC 6750 §3.1: answered with a challenge without an error code).
 */
export function presentedAccessToken(header: string | undefined, dpop: boolean): PresentedToken | null {
  const m = header === undefined ? null : AUTHORIZATION.exec(header);
  if (!m) return null;
  const scheme = m[1]!.toLowerCase() === 'bearer' ? 'Bearer' : 'DPoP';
  if (scheme === 'DPoP' && !dpop) return null;
  return { scheme, token: m[2]! };
}

/**
 * The URI the client addressed (RFC 9449 §4.3 `htu`): the issuer's origin with the request path.
 * When the issuer has a path that a proxy strips before the request reaches this server, the
 * path is put back; the query is dropped (htu ignores it).
 */
export function requestUri(issuer: string, target: string): string {
  const base = new URL(issuer);
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  const prefix = base.pathname.replace(/\/+$/, '');
  const full = prefix && !(path === prefix || path.startsWith(`${prefix}/`)) ? `${prefix}${path}` : path;
  return `${base.origin}${full}`;
}

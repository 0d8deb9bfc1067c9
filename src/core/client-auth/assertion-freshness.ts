/**
 * Time claims of a JWT a client sends (client assertions, RFC 7523 §3; request objects, RFC 9101):
 * `exp` required and bounded, `iat` (when present) recent, `nbf` (when present) reached. The same
 * checks for every client-signed JWT; each caller names its limits.
 */
export interface FreshnessLimits {
  /** Oldest accepted `iat`, in seconds before now. */
  readonly maxAge: number;
  /** Furthest accepted `exp`, in seconds after now; also the longest `exp - iat`. */
  readonly maxLifetime: number;
  /** Tolerated clock difference, in seconds, applied to every comparison with now. */
  readonly clockSkew: number;
}

export type FreshnessProblem =
  | 'exp-missing'
  | 'expired'
  | 'exp-too-far'
  | 'nbf-malformed'
  | 'not-yet-valid'
  | 'iat-malformed'
  | 'iat-in-future'
  | 'iat-too-old'
  | 'lifetime-too-long';

export interface TimeClaims {
  readonly exp?: unknown;
  readonly iat?: unknown;
  readonly nbf?: unknown;
}

const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The first problem with the time claims at `now` (epoch seconds), or null when they are fresh. */
export function freshnessProblem(claims: TimeClaims, now: number, limits: FreshnessLimits): FreshnessProblem | null {
  const { exp, iat, nbf } = claims;
  const { maxAge, maxLifetime, clockSkew: skew } = limits;
  // RFC 7523 §3 item 4: "The JWT MUST contain an "exp" (expiration time) claim that limits the
  // time window during which the JWT can be used. The authorization server MUST reject any JWT
  // with an expiration time that has passed, subject to allowable clock skew".
  if (!isTime(exp)) return 'exp-missing';
  if (exp <= now - skew) return 'expired';
  // RFC 7523 §3 item 4: "The authorization server MAY reject JWTs with an "exp" claim value that
  // is unreasonably far in the future."
  if (exp - now > maxLifetime + skew) return 'exp-too-far';
  // RFC 7523 §3 item 5: "The authorization server MUST reject any JWT with an "nbf" claim value
  // that is in the future (subject to allowable clock skew)".
  if (nbf !== undefined && !isTime(nbf)) return 'nbf-malformed';
  if (isTime(nbf) && nbf > now + skew) return 'not-yet-valid';
  if (iat !== undefined) {
    if (!isTime(iat)) return 'iat-malformed';
    if (iat > now + skew) return 'iat-in-future';
    // RFC 7523 §3 item 6: "The authorization server MAY reject JWTs with an "iat" claim value
    // that is unreasonably far in the past."
    if (iat < now - maxAge - skew) return 'iat-too-old';
    if (exp - iat > maxLifetime) return 'lifetime-too-long';
  }
  return null;
}

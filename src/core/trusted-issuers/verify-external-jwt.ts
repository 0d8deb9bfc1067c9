import { decodeJwt, errors, jwtVerify, type JWTPayload } from 'jose';
import { freshnessProblem } from '../client-auth/assertion-freshness.ts';
import { declaredType, JWT_TYPES } from '../client-auth/explicit-typing.ts';
import { OutboundError } from '../ports/outbound-http.ts';
import { clientAllowed, subjectAllowed, type TrustedIssuer, type TrustedIssuerRegistry, type TrustedIssuerUse } from './trusted-issuer.ts';

/** draft-ietf-oauth-identity-assertion-authz-grant §3: the ID-JAG's JOSE header `typ`. */
export const ID_JAG_TYPE = 'oauth-id-jag+jwt';

/**
 * Why an external JWT was refused: `description` is safe for the wire (it never echoes the
 * presented values or key material), `detail` reaches logs and events only.
 */
export class ExternalJwtRefusal extends Error {
  readonly description: string;
  readonly detail: string | undefined;
  constructor(description: string, detail?: string) {
    super(description);
    this.name = 'ExternalJwtRefusal';
    this.description = description;
    this.detail = detail;
  }
}

export interface ExternalJwtCheck {
  readonly jwt: string;
  /** `jwt-bearer`: an RFC 7523 grant (an ID-JAG when typed so); `token-exchange`: an RFC 8693 subject or actor token. */
  readonly purpose: 'jwt-bearer' | 'token-exchange';
  readonly clientId: string;
  readonly nowMs: number;
  readonly clockSkew: number;
  /** Our issuer identifier and our token endpoint URL. */
  readonly issuer: string;
  readonly tokenEndpoint: string;
}

export interface VerifiedExternalJwt {
  readonly entry: TrustedIssuer;
  readonly use: TrustedIssuerUse;
  readonly payload: JWTPayload & { sub: string; exp: number; iat: number };
}

const MAX_JWT_LENGTH = 16_384;
const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** The JWT's unverified `iss`, or undefined when it is not a JWT. Only to pick the entry. */
export function unverifiedIssuer(jwt: string): string | undefined {
  if (jwt.length > MAX_JWT_LENGTH) return undefined;
  try {
    const { iss } = decodeJwt(jwt);
    return str(iss) ? iss : undefined;
  } catch {
    return undefined;
  }
}

/** The first malformed sign-in claim (`auth_time` a past time, `acr` a string, `amr` strings), or null. */
function signInProblem(p: JWTPayload, now: number, skew: number): 'auth_time' | 'acr' | 'amr' | null {
  const { auth_time: at, acr, amr } = p as { auth_time?: unknown; acr?: unknown; amr?: unknown };
  if (at !== undefined && (typeof at !== 'number' || !Number.isFinite(at) || at < 0 || at > now + skew)) return 'auth_time';
  if (acr !== undefined && (typeof acr !== 'string' || acr.length > 2048)) return 'acr';
  if (amr !== undefined && !(Array.isArray(amr) && amr.length <= 20 && amr.every((m) => typeof m === 'string' && m.length <= 255))) return 'amr';
  return null;
}

/** Which `typ` values a use accepts (RFC 8725 §3.11 explicit typing). */
function typeAccepted(use: TrustedIssuerUse, typ: string | null | undefined): boolean {
  if (use === 'id-jag') return typ === ID_JAG_TYPE;
  if (use === 'jwt-bearer') return typ === undefined || typ === JWT_TYPES.generic;
  // An external access token (RFC 9068 at+jwt) or a plain JWT; never an ID-JAG, a logout token, ...
  return typ === undefined || typ === JWT_TYPES.generic || typ === JWT_TYPES.accessToken;
}

function joseReason(e: unknown): ExternalJwtRefusal {
  if (e instanceof errors.JWTExpired) return new ExternalJwtRefusal('the JWT has expired', e.message);
  if (e instanceof errors.JWTClaimValidationFailed) return new ExternalJwtRefusal(`the JWT's ${e.claim} claim is missing or invalid`, e.message);
  if (e instanceof errors.JOSEAlgNotAllowed) return new ExternalJwtRefusal("the JWT's signing algorithm is not accepted from this issuer", e.message);
  if (e instanceof OutboundError) return new ExternalJwtRefusal("the issuer's keys could not be retrieved", e.message);
  if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWSSignatureVerificationFailed || e instanceof errors.JWKSMultipleMatchingKeys) {
    return new ExternalJwtRefusal("the JWT's signature does not verify with the issuer's keys", e.message);
  }
  if (e instanceof errors.JOSEError) return new ExternalJwtRefusal('the JWT could not be verified', `${e.code}: ${e.message}`);
  return new ExternalJwtRefusal("the JWT could not be verified (the issuer's keys may be unavailable)", e instanceof Error ? e.message : String(e));
}

/**
 * RFC 7523 §3 (and draft-ietf-oauth-identity-assertion-authz-grant §3, RFC 8693 §2.1 for external
 * subject tokens): the JWT's issuer is a registry entry allowing the use, its signature verifies
 * with an allowed algorithm and the entry's keys, `aud` names this server, the time claims are
 * fresh, `sub` is present and allowed, the client may present it. The caller spends the `jti`.
 */
export async function verifyExternalJwt(registry: TrustedIssuerRegistry, c: ExternalJwtCheck): Promise<VerifiedExternalJwt> {
  const iss = unverifiedIssuer(c.jwt);
  if (iss === undefined) throw new ExternalJwtRefusal('the JWT is malformed or has no iss claim');
  // RFC 7523 §3 item 1: "The JWT MUST contain an "iss" (issuer) claim"; only registry entries are trusted.
  const entry = registry.get(iss);
  if (!entry || iss === c.issuer) throw new ExternalJwtRefusal("the JWT's issuer is not trusted", `iss ${iss.slice(0, 200)}`);

  let verified: Awaited<ReturnType<typeof jwtVerify>>;
  try {
    verified = await jwtVerify(c.jwt, registry.keys(entry), {
      // The entry's asymmetric algorithms: `none` and HMAC never verify (RFC 8725 §3.1, §2.1).
      algorithms: [...entry.algorithms],
      issuer: entry.issuer,
      // RFC 7523 §3 items 2 and 4: sub and exp are REQUIRED; iat is required here so that the
      // entry's maxLifetime bounds every JWT.
      requiredClaims: ['sub', 'exp', 'iat'],
      currentDate: new Date(c.nowMs),
      clockTolerance: c.clockSkew,
    });
  } catch (e) {
    throw joseReason(e);
  }
  const { payload, protectedHeader } = verified;
  const typ = declaredType(protectedHeader.typ);
  // The use: an ID-JAG is recognised by its type alone (explicit typing), never by its claims.
  const use: TrustedIssuerUse = c.purpose === 'token-exchange' ? 'token-exchange' : typ === ID_JAG_TYPE ? 'id-jag' : 'jwt-bearer';
  if (!entry.uses.includes(use))
    throw new ExternalJwtRefusal(
      `this issuer is not trusted for ${use === 'id-jag' ? 'ID-JAGs' : use === 'jwt-bearer' ? 'JWT bearer grants' : 'token exchange'}`,
    );
  if (!typeAccepted(use, typ)) throw new ExternalJwtRefusal("the JWT's typ header is not accepted here", `typ ${String(protectedHeader.typ).slice(0, 40)}`);

  // RFC 7523 §3 item 3: "The JWT MUST contain an "aud" (audience) claim containing a value that
  // identifies the authorization server as an intended audience." draft-ietf-oauth-identity-
  // assertion-authz-grant §3: an ID-JAG's aud is "the Issuer Identifier of the Resource
  // Authorization Server", so the token endpoint URL is not accepted for one.
  const aud = typeof payload.aud === 'string' ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud : [];
  const accepted = use === 'id-jag' ? [c.issuer, ...entry.audiences] : [c.issuer, c.tokenEndpoint, ...entry.audiences];
  if (!aud.some((a) => accepted.includes(a))) throw new ExternalJwtRefusal("the JWT's aud does not name this authorization server");

  // RFC 7523 §3 items 4-6: exp not passed, nbf reached, iat not in the future nor too old.
  const problem = freshnessProblem(payload, Math.floor(c.nowMs / 1000), { maxAge: entry.maxLifetime, maxLifetime: entry.maxLifetime, clockSkew: c.clockSkew });
  if (problem !== null) throw new ExternalJwtRefusal(`the JWT's time claims are not acceptable (${problem})`);

  // OIDC Core §2 sign-in claims, carried into our tokens (ID-JAG, external subject tokens): an
  // `auth_time` is a time in the past, `acr` a string, `amr` an array of strings (RFC 8176). A
  // future `auth_time` would pass any `max_age` check downstream, so it refuses the JWT.
  const signIn = signInProblem(payload, Math.floor(c.nowMs / 1000), c.clockSkew);
  if (signIn !== null) throw new ExternalJwtRefusal(`the JWT's ${signIn} claim is invalid`);

  // RFC 7523 §3 item 2: the subject; only the entry's subjects are accepted.
  const sub = payload.sub;
  if (!str(sub) || sub.length > 255) throw new ExternalJwtRefusal("the JWT's sub claim is missing or invalid");
  if (!subjectAllowed(entry.subjects, sub)) throw new ExternalJwtRefusal("the JWT's subject is not accepted from this issuer", `sub ${sub.slice(0, 100)}`);
  if (!clientAllowed(entry, c.clientId)) throw new ExternalJwtRefusal("this client may not present this issuer's JWTs", `client ${c.clientId}`);
  return { entry, use, payload: payload as VerifiedExternalJwt['payload'] };
}

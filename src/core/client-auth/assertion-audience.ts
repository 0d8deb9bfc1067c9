/**
 * The one audience rule for every JWT a client sends to Gatehouse: client assertions at every
 * endpoint that authenticates clients (RFC 7523 §3, OIDC Core §9), JAR request objects (RFC 9101
 * §4) and any later client-signed JWT.
 *
 * Audience injection (CVE-2025-27370, draft-ietf-oauth-rfc7523bis): RFC 7523 and OIDC Core let a
 * client put several values in `aud`, and OIDC Core names the token endpoint URL as one. A client
 * that also talks to an attacker-run authorization server will sign a JWT whose `aud` the attacker
 * chose (its "token endpoint" can be the victim server's issuer); an `aud` holding several values,
 * one of them ours, is then accepted here. One value, and only values that name this server, close
 * that: a JWT made for another server never carries our issuer or endpoint as its only audience.
 */

import { declaredType, JWT_TYPES } from './explicit-typing.ts';

/** The media type of an explicitly typed client authentication JWT (draft-ietf-oauth-rfc7523bis). */
export const CLIENT_AUTHENTICATION_JWT_TYPE = JWT_TYPES.clientAuthentication;

/**
 * True when the JOSE header `typ` declares a client authentication JWT. RFC 7515 §4.1.9: `typ`
 * is a media type, compared case-insensitively, and "application/" may be left out.
 */
export function isClientAuthenticationJwt(typ: unknown): boolean {
  return declaredType(typ) === CLIENT_AUTHENTICATION_JWT_TYPE;
}

/** What decides between the compatible audience set and the issuer alone. */
export interface StrictnessInput {
  /** The verified JOSE header `typ` of the JWT. */
  readonly typ: unknown;
  /** The client's `strict_assertion_audience` metadata (Gatehouse extension). */
  readonly clientStrict: boolean;
  /**
   * `clientAuth.strictAudience`. The seam for profiles: a deployment profile that requires the
   * issuer as the sole audience (FAPI 2.0 Security Profile) turns this on for the whole server.
   */
  readonly serverStrict: boolean;
}

/** Why only the issuer is accepted (private, for events), or null when the compatible set applies. */
export function strictAudienceReason(input: StrictnessInput): string | null {
  // draft-ietf-oauth-rfc7523bis: a JWT explicitly typed client-authentication+jwt is written to
  // the new rules, under which the issuer identifier is the only audience value.
  if (isClientAuthenticationJwt(input.typ)) return `typed ${CLIENT_AUTHENTICATION_JWT_TYPE}`;
  if (input.clientStrict) return 'client registered strict_assertion_audience';
  if (input.serverStrict) return 'clientAuth.strictAudience';
  return null;
}

export interface AudienceRule {
  /** The issuer identifier: always accepted. */
  readonly issuer: string;
  /** Other values accepted in compatible mode (the token endpoint URL, the called endpoint's URL). */
  readonly compatible: readonly string[];
  /** `strictAudienceReason`: when set, only the issuer is accepted. */
  readonly strict: string | null;
}

export type AudienceVerdict = { readonly ok: true; readonly audience: string } | { readonly ok: false; readonly reason: string };

/** The single audience value of `aud` (a string, or an array of exactly one string). */
function singleValue(aud: unknown): AudienceVerdict {
  if (aud === undefined || aud === null) return { ok: false, reason: 'aud is missing' };
  if (typeof aud === 'string') return { ok: true, audience: aud };
  if (!Array.isArray(aud)) return { ok: false, reason: 'aud is neither a string nor an array' };
  // draft-ietf-oauth-rfc7523bis: the authorization server rejects any JWT that does not carry its
  // issuer identifier as its SOLE audience value. A second value is what an injected audience
  // looks like, so a multi-valued aud is refused whatever else it holds.
  if (aud.length !== 1) return { ok: false, reason: `aud has ${aud.length} values; exactly one is accepted` };
  const [only] = aud as unknown[];
  return typeof only === 'string' ? { ok: true, audience: only } : { ok: false, reason: 'aud holds a value that is not a string' };
}

/**
 * Checks `aud` against `rule`: one value, equal (RFC 3986 §6.2.1 simple string comparison) to the
 * issuer, or in compatible mode to one of `rule.compatible`. The verdict's reason never contains
 * the presented value (it is attacker-chosen); callers keep it off the wire.
 */
export function checkAudience(aud: unknown, rule: AudienceRule): AudienceVerdict {
  const single = singleValue(aud);
  if (!single.ok) return single;
  if (single.audience === rule.issuer) return single;
  if (rule.strict !== null) return { ok: false, reason: `aud is not the issuer identifier (only the issuer is accepted: ${rule.strict})` };
  if (rule.compatible.includes(single.audience)) return single;
  return { ok: false, reason: 'aud is neither the issuer identifier nor an accepted endpoint URL' };
}

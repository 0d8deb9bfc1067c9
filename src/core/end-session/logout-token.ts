import type { KeyRing } from '../keys/key-ring.ts';
import type { Client } from '../model/client.ts';
import { oidcMetadata } from '../model/client-oidc.ts';
import { SIGNING_ALGS, type SigningAlg } from '../model/key.ts';

/** Back-Channel Logout 1.0 §2.4: the `events` member a Logout Token carries. */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** Back-Channel Logout 1.0 §2.4: the explicit type of a Logout Token. */
export const LOGOUT_TOKEN_TYP = 'logout+jwt';
/** Lifetime of a Logout Token: long enough for every delivery attempt, short enough to expire unused. */
export const LOGOUT_TOKEN_TTL = 120;

export interface LogoutTokenInput {
  readonly issuer: string;
  readonly clientId: string;
  /** The `sub` this client sees (pairwise when the client uses pairwise identifiers). */
  readonly sub: string;
  /** The session's `sid`, or null to leave it out. */
  readonly sid: string | null;
  readonly iat: number;
  readonly jti: string;
}

/**
 * The claims of a Logout Token (Back-Channel Logout 1.0 §2.4): iss, aud, iat, exp, jti, events,
 * and sub and/or sid.
 */
export function logoutTokenClaims(input: LogoutTokenInput): Readonly<Record<string, unknown>> {
  const claims: Record<string, unknown> = {
    iss: input.issuer,
    aud: input.clientId,
    iat: input.iat,
    exp: input.iat + LOGOUT_TOKEN_TTL,
    jti: input.jti,
    sub: input.sub,
    // §2.4: "events: REQUIRED. Claim whose value is a JSON object containing the member name
    // http://schemas.openid.net/event/backchannel-logout. ... The value of the member MUST be a
    // JSON object and SHOULD be the empty JSON object {}."
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
  };
  if (input.sid !== null) claims.sid = input.sid;
  // §2.4: "A Logout Token MUST NOT contain a nonce Claim": none is ever added above.
  return claims;
}

/**
 * The algorithm for a client's Logout Tokens. §2.4: "The same keys are used to sign and encrypt
 * Logout Tokens as are used for ID Tokens": the client's `id_token_signed_response_alg`, else the
 * server default. A Logout Token is always signed (never `none`).
 */
export function logoutTokenAlg(client: Pick<Client, 'metadata'>, defaultAlg: SigningAlg): SigningAlg {
  const alg = oidcMetadata(client).idTokenSignedResponseAlg;
  return alg !== null && (SIGNING_ALGS as readonly string[]).includes(alg) ? (alg as SigningAlg) : defaultAlg;
}

/** Signs a Logout Token with `typ: logout+jwt` (§2.4: "explicitly typed") through the KeyRing. */
export function signLogoutToken(keys: Pick<KeyRing, 'signer'>, alg: SigningAlg, input: LogoutTokenInput): string {
  return keys.signer(alg).sign(logoutTokenClaims(input), LOGOUT_TOKEN_TYP);
}

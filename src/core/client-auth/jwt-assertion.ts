import { decodeJwt, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { decryptWithKek } from '../keys/kek.ts';
import type { Client } from '../model/client.ts';
import { assertionAlgorithms } from './assertion-algorithms.ts';
import type { ClientJwksCache } from './client-jwks.ts';

/** A private reason for refusing client authentication (reaches events and logs, never the wire). */
export class AuthRefusal extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(reason);
    this.reason = reason;
    this.name = 'AuthRefusal';
  }
}

/** Reads `iss`/`sub` without verifying, only to find which client's key to verify with. */
export function claimedClientId(assertion: string): string | undefined {
  try {
    const { iss, sub } = decodeJwt(assertion);
    return typeof sub === 'string' && sub ? sub : typeof iss === 'string' && iss ? iss : undefined;
  } catch {
    return undefined;
  }
}

export interface AssertionCheck {
  readonly client: Client;
  readonly assertion: string;
  /** Accepted audiences: the issuer and the URL of the endpoint being called. */
  readonly audiences: readonly string[];
  readonly nowMs: number;
  readonly maxLifetime: number;
  readonly clockSkew: number;
  readonly kek: Buffer;
  readonly jwks: ClientJwksCache;
}

function keyFor(c: AssertionCheck): Uint8Array | JWTVerifyGetKey {
  const { client } = c;
  if (client.tokenEndpointAuthMethod === 'client_secret_jwt') {
    if (!client.secretEncrypted) throw new AuthRefusal('client_secret_jwt client has no sealed secret');
    // OIDC Core §9: the JWT is signed "using the octets of the UTF-8 representation of the
    // client_secret" as the HMAC key.
    return new TextEncoder().encode(decryptWithKek(c.kek, client.secretEncrypted, client.clientId));
  }
  const getKey = c.jwks.resolver(client);
  if (!getKey) throw new AuthRefusal('private_key_jwt client has no registered keys');
  return getKey;
}

/**
 * RFC 7523 §3 and OIDC Core §9: verifies a client assertion's signature (algorithm pinned by the
 * registered method) and claims. Returns the verified payload; the caller spends the `jti`.
 */
export async function verifyClientAssertion(c: AssertionCheck): Promise<JWTPayload & { jti: string; exp: number }> {
  const { client } = c;
  const algorithms = assertionAlgorithms(client.tokenEndpointAuthMethod, client.tokenEndpointAuthSigningAlg);
  if (algorithms.length === 0) throw new AuthRefusal(`no assertion algorithm for ${client.tokenEndpointAuthMethod}`);
  const key = keyFor(c);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(c.assertion, key as Uint8Array, {
      // Pinning refuses `alg: none` and an HMAC keyed with a public key (RFC 8725 §3.1, §2.1).
      algorithms: [...algorithms],
      // RFC 7523 §3: "The JWT MUST contain an "iss" (issuer) claim that contains a unique
      // identifier for the entity that issued the JWT"; OIDC Core §9: iss and sub = client_id.
      issuer: client.clientId,
      subject: client.clientId,
      // RFC 7523 §3: "The JWT MUST contain an "aud" (audience) claim containing a value that
      // identifies the authorization server as an intended audience."
      audience: [...c.audiences],
      // RFC 7523 §3: "The JWT MUST contain an "exp" (expiration time) claim"; OIDC Core §9: jti REQUIRED.
      requiredClaims: ['exp', 'jti'],
      currentDate: new Date(c.nowMs),
      clockTolerance: c.clockSkew,
    }));
  } catch (e) {
    throw new AuthRefusal(`assertion rejected: ${e instanceof Error ? `${e.name}: ${e.message}` : 'invalid'}`);
  }
  const now = Math.floor(c.nowMs / 1000);
  const { exp, iat, jti } = payload;
  if (typeof exp !== 'number' || typeof jti !== 'string' || jti === '' || jti.length > 256) throw new AuthRefusal('assertion exp/jti malformed');
  // RFC 7523 §3: "The authorization server MAY reject JWTs with an "exp" claim value that is
  // unreasonably far in the future." Bounded by clientAuth.assertionMaxLifetime.
  if (exp - now > c.maxLifetime + c.clockSkew) throw new AuthRefusal('assertion exp too far in the future');
  if (typeof iat === 'number') {
    // RFC 7523 §3: "The authorization server MAY reject JWTs with an "iat" claim value that is
    // unreasonably far in the past" — and one issued in the future is not yet valid.
    if (iat > now + c.clockSkew) throw new AuthRefusal('assertion iat in the future');
    if (exp - iat > c.maxLifetime) throw new AuthRefusal('assertion lifetime too long');
  }
  return { ...payload, exp, jti };
}

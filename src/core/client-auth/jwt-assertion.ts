import { decodeJwt, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { openWithRing, type KekRing } from '../keys/kek.ts';
import type { Client } from '../model/client.ts';
import { oidcMetadata } from '../model/client-oidc.ts';
import { assertionAlgorithms } from './assertion-algorithms.ts';
import { checkAudience, strictAudienceReason } from './assertion-audience.ts';
import { freshnessProblem, type FreshnessLimits } from './assertion-freshness.ts';
import type { ClientJwksCache } from './client-jwks.ts';
import { clientAssertionTypeAccepted } from './explicit-typing.ts';

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
  /** The issuer identifier: always an accepted `aud`. */
  readonly issuer: string;
  /** Accepted `aud` values besides the issuer unless strict: the token endpoint URL and the called endpoint's URL. */
  readonly compatibleAudiences: readonly string[];
  /** `clientAuth.strictAudience`: the issuer is the only accepted `aud` for every client. */
  readonly strictAudience: boolean;
  readonly nowMs: number;
  /** `clientAuth.assertionMaxAge`, `assertionMaxLifetime` and `clockSkew`. */
  readonly limits: FreshnessLimits;
  readonly kek: KekRing;
  readonly jwks: ClientJwksCache;
}

function keyFor(c: AssertionCheck): Uint8Array | JWTVerifyGetKey {
  const { client } = c;
  if (client.tokenEndpointAuthMethod === 'client_secret_jwt') {
    if (!client.secretEncrypted) throw new AuthRefusal('client_secret_jwt client has no sealed secret');
    // OIDC Core §9: the JWT is signed "using the octets of the UTF-8 representation of the
    // client_secret" as the HMAC key.
    return new TextEncoder().encode(openWithRing(c.kek, client.secretEncrypted, client.clientId));
  }
  const getKey = c.jwks.resolver(client);
  if (!getKey) throw new AuthRefusal('private_key_jwt client has no registered keys');
  return getKey;
}

/**
 * RFC 7523 §3 and OIDC Core §9: verifies a client assertion's signature (algorithm pinned by the
 * registered method) and claims: one audience (assertion-audience.ts), fresh time claims
 * (assertion-freshness.ts). Returns the verified payload; the caller spends the `jti`.
 */
export async function verifyClientAssertion(c: AssertionCheck): Promise<JWTPayload & { jti: string; exp: number }> {
  const { client } = c;
  const algorithms = assertionAlgorithms(client.tokenEndpointAuthMethod, client.tokenEndpointAuthSigningAlg);
  if (algorithms.length === 0) throw new AuthRefusal(`no assertion algorithm for ${client.tokenEndpointAuthMethod}`);
  const key = keyFor(c);
  let payload: JWTPayload;
  let typ: unknown;
  try {
    ({
      payload,
      protectedHeader: { typ },
    } = await jwtVerify(c.assertion, key as Uint8Array, {
      // Pinning refuses `alg: none` and an HMAC keyed with a public key (RFC 8725 §3.1, §2.1).
      algorithms: [...algorithms],
      // RFC 7523 §3: "The JWT MUST contain an "iss" (issuer) claim that contains a unique
      // identifier for the entity that issued the JWT"; OIDC Core §9: iss and sub = client_id.
      issuer: client.clientId,
      subject: client.clientId,
      // RFC 7523 §3: "The JWT MUST contain an "exp" (expiration time) claim"; OIDC Core §9: jti REQUIRED.
      requiredClaims: ['exp', 'jti'],
      currentDate: new Date(c.nowMs),
      clockTolerance: c.limits.clockSkew,
    }));
  } catch (e) {
    throw new AuthRefusal(`assertion rejected: ${e instanceof Error ? `${e.name}: ${e.message}` : 'invalid'}`);
  }
  // RFC 8725 §3.11 / RFC 9101 §10.8: a JWT the client typed as another kind (a request object,
  // an access token, ...) is not a client assertion, whatever its claims say.
  if (!clientAssertionTypeAccepted(typ)) throw new AuthRefusal(`assertion typ ${JSON.stringify(String(typ).slice(0, 40))} is not a client assertion type`);
  // RFC 7523 §3 item 3: "The JWT MUST contain an "aud" (audience) claim containing a value that
  // identifies the authorization server as an intended audience." Checked after the signature,
  // so the `typ` that may make the rule strict is the one the client signed.
  const audience = checkAudience(payload.aud, {
    issuer: c.issuer,
    compatible: c.compatibleAudiences,
    strict: strictAudienceReason({ typ, clientStrict: oidcMetadata(client).strictAssertionAudience, serverStrict: c.strictAudience }),
  });
  if (!audience.ok) throw new AuthRefusal(`assertion ${audience.reason}`);
  const { jti } = payload;
  if (typeof jti !== 'string' || jti === '' || jti.length > 256) throw new AuthRefusal('assertion jti malformed');
  const problem = freshnessProblem(payload, Math.floor(c.nowMs / 1000), c.limits);
  if (problem !== null) throw new AuthRefusal(`assertion ${problem}`);
  return { ...payload, exp: payload.exp as number, jti };
}

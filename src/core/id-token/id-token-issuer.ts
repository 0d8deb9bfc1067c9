import type { ClaimCatalog } from '../claims/claim-catalog.ts';
import { releaseUserClaims } from '../claims/release-claims.ts';
import { OAuthError } from '../errors.ts';
import type { KeyRing } from '../keys/key-ring.ts';
import type { Client } from '../model/client.ts';
import { oidcMetadata } from '../model/client-oidc.ts';
import { SIGNING_ALGS, type SigningAlg } from '../model/key.ts';
import type { TenantId } from '../model/tenant.ts';
import type { Clock } from '../ports/clock.ts';
import { halfHash } from './hash-claims.ts';
import { subjectFor, type SubjectConfig } from './subject.ts';
import type { IdTokenIssuer } from './types.ts';

export interface IdTokenDeps {
  readonly keys: Pick<KeyRing, 'signer'>;
  readonly clock: Clock;
  readonly tenantId: TenantId;
  /** Roles, groups and custom attributes by scope (default: built-in roles and groups scopes). */
  readonly claimCatalog?: ClaimCatalog;
}

export interface IdTokenConfig extends SubjectConfig {
  readonly issuer: string;
  readonly tokens: SubjectConfig['tokens'] & {
    readonly idTokenTtl: number;
    readonly idTokenSigningAlg: SigningAlg;
  };
}

/** OIDC Registration §2 `id_token_signed_response_alg`, else the configured default (RS256). */
export function idTokenAlgFor(client: Pick<Client, 'metadata' | 'clientId'>, fallback: SigningAlg): SigningAlg {
  return registeredIdTokenAlg(client) ?? fallback;
}

/** The client's registered `id_token_signed_response_alg`, null when none; unauthorized_client when we cannot sign with it. */
export function registeredIdTokenAlg(client: Pick<Client, 'metadata' | 'clientId'>): SigningAlg | null {
  const alg = oidcMetadata(client).idTokenSignedResponseAlg;
  if (alg === null) return null;
  if ((SIGNING_ALGS as readonly string[]).includes(alg)) return alg as SigningAlg;
  throw OAuthError.unauthorizedClient('the client id_token_signed_response_alg is not supported', `client ${client.clientId} alg ${alg.slice(0, 20)}`);
}

/**
 * Issues ID tokens (OIDC Core §2). Claims and when they appear:
 * - iss, sub (public or pairwise, §8), aud (the client id), exp, iat: always.
 * - auth_time: always (§2 makes it REQUIRED when max_age or auth_time was requested; always
 *   sending it is allowed and spares tracking which request asked).
 * - nonce: exactly when the authorization request had one (§3.1.3.6: "If present in the
 *   Authentication Request, Authorization Servers MUST include a nonce Claim").
 * - acr, amr: when the sign-in recorded them; sid: the session's (Front/Back-Channel Logout).
 * - at_hash / c_hash / s_hash: when an access token / code / state is handed in.
 * - azp: never, because `aud` is always the single client id (§2: azp "MAY be included even when
 *   the authorized party is the same as the sole audience", so leaving it out is allowed).
 * - End-user claims: see `releaseUserClaims` (by scope only when no access token reaches UserInfo,
 *   §5.4; always those named in the `claims` parameter's `id_token` member, §5.5; roles, groups
 *   and attributes also where the client's `claim_mappings` sends them).
 */
export function createIdTokenIssuer(deps: IdTokenDeps, config: IdTokenConfig): IdTokenIssuer {
  return {
    subjectFor: (client, userId) => subjectFor(client, userId, config),

    async issue(input) {
      const { client, auth, user } = input;
      const alg = idTokenAlgFor(client, config.tokens.idTokenSigningAlg);
      if (user.disabled || user.id !== auth.userId) throw OAuthError.invalidGrant('the user is no longer available', `user ${auth.userId}`);
      const iat = Math.floor(deps.clock.now() / 1000);
      const payload: Record<string, unknown> = {
        ...releaseUserClaims(deps.claimCatalog, user, client, input.scope, {
          destination: 'id_token',
          byScope: !input.scopeClaimsAtUserInfo,
          member: input.claims?.id_token,
        }),
        iss: config.issuer,
        sub: input.subject,
        aud: client.clientId,
        exp: iat + config.tokens.idTokenTtl,
        iat,
        auth_time: auth.authTime,
      };
      if (input.nonce !== null) payload.nonce = input.nonce;
      if (auth.acr !== null) payload.acr = auth.acr;
      if (auth.amr.length) payload.amr = auth.amr;
      if (auth.sid) payload.sid = auth.sid;
      // OIDC Core §3.3.2.11: at_hash "Its value is the base64url encoding of the left-most half
      // of the hash of the octets of the ASCII representation of the access_token value".
      if (input.accessToken !== undefined) payload.at_hash = halfHash(input.accessToken, alg);
      // OIDC Core §3.3.2.11: "If the ID Token is issued from the Authorization Endpoint with a
      // code [...] this is REQUIRED" (c_hash).
      if (input.code !== undefined) payload.c_hash = halfHash(input.code, alg);
      // FAPI 1.0 Advanced §5.2.2.1: s_hash, the state hash, same construction.
      if (input.state !== undefined) payload.s_hash = halfHash(input.state, alg);
      return deps.keys.signer(alg).signAsync(payload, 'JWT');
    },
  };
}

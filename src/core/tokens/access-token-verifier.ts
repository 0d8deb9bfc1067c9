import { checkTokenBinding } from '../dpop/token-binding.ts';
import { OAuthError } from '../errors.ts';
import type { KeyRing } from '../keys/key-ring.ts';
import { parseScope } from '../model/scope.ts';
import type { TenantId } from '../model/tenant.ts';
import type { Clock } from '../ports/clock.ts';
import type { TokenDenylist } from '../ports/token-denylist.ts';
import type { TokenStore } from '../ports/token-store.ts';
import { findToken, isActive } from './find-token.ts';
import { checkTokenPrincipals, type TokenPrincipalDeps } from './token-principals.ts';

export interface AccessTokenVerifierDeps extends TokenPrincipalDeps {
  readonly tokens: TokenStore;
  readonly denylist: TokenDenylist;
  readonly keys: Pick<KeyRing, 'verifyAsync'>;
  readonly clock: Clock;
  readonly tenantId: TenantId;
}

/** What a protected resource learns from a valid bearer access token. */
export interface VerifiedAccessToken {
  readonly clientId: string;
  readonly subject: string;
  readonly scope: readonly string[];
  readonly audience: readonly string[];
  readonly expiresAt: number;
  /** Whether the token was issued for a signed-in user (it carries auth_time). */
  readonly user: boolean;
  /** The end-user the token acts for (read fresh: enabled, current roles); null for a client's own token. */
  readonly endUser: { readonly id: string; readonly username: string; readonly roles: readonly string[] } | null;
}

export interface AccessTokenVerifier {
  /**
   * Checks an access token this server issued (JWT or opaque, the same lookup as UserInfo and
   * introspection): active, bound to `dpopJkt` (the key of the request's verified DPoP proof) or,
   * without one, not sender-constrained; `audience` among its `aud`, client (and user) still enabled. Throws invalid_token (RFC 6750 §3.1) otherwise; scope is the caller's.
   */
  verify(token: string, audience: string, dpopJkt?: string | null): Promise<VerifiedAccessToken>;
}

export function createAccessTokenVerifier(deps: AccessTokenVerifierDeps, config: { readonly issuer: string }): AccessTokenVerifier {
  return {
    async verify(token, audience, dpopJkt = null) {
      const view = await findToken(deps, config.issuer, token);
      if (!view || view.kind !== 'access_token') throw OAuthError.invalidToken('the access token is invalid');
      const now = Math.floor(deps.clock.now() / 1000);
      if (!(await isActive(view, now, deps.denylist, deps.tenantId))) throw OAuthError.invalidToken('the access token is expired or revoked');
      checkTokenBinding(view.cnf, dpopJkt);
      // RFC 8707 §2 / RFC 9068 §4: the resource server refuses a token not meant for it.
      if (!view.audience.includes(audience)) throw OAuthError.invalidToken('the access token is not meant for this resource');
      const principals = await checkTokenPrincipals(deps, view);
      if (!principals.available) {
        throw OAuthError.invalidToken(principals.reason === 'user_unavailable' ? 'the end-user is no longer available' : 'the client is no longer available');
      }
      return {
        clientId: view.clientId,
        subject: view.subject,
        scope: parseScope(view.scope) ?? [],
        audience: view.audience,
        expiresAt: view.expiresAt,
        user: typeof view.claims.auth_time === 'number',
        endUser: principals.user ? { id: principals.user.id, username: principals.user.username, roles: principals.user.roles } : null,
      };
    },
  };
}

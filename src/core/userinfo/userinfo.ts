import type { ClaimCatalog } from '../claims/claim-catalog.ts';
import { releaseUserClaims, type ClaimsMember } from '../claims/release-claims.ts';
import { checkTokenBinding } from '../dpop/token-binding.ts';
import { OAuthError } from '../errors.ts';
import type { KeyRing } from '../keys/key-ring.ts';
import { parseScope } from '../model/scope.ts';
import type { TenantId } from '../model/tenant.ts';
import type { Clock } from '../ports/clock.ts';
import type { TokenDenylist } from '../ports/token-denylist.ts';
import type { TokenStore } from '../ports/token-store.ts';
import { findToken, isActive } from '../tokens/find-token.ts';
import { checkTokenPrincipals, type TokenPrincipalDeps } from '../tokens/token-principals.ts';
import { USERINFO_CLAIMS_CLAIM } from '../tokens/user-grant-tokens.ts';

export interface UserInfoDeps extends TokenPrincipalDeps {
  readonly tokens: TokenStore;
  readonly denylist: TokenDenylist;
  readonly keys: Pick<KeyRing, 'verifyAsync'>;
  readonly clock: Clock;
  readonly tenantId: TenantId;
  /** Roles, groups and custom attributes by scope (default: built-in roles and groups scopes). */
  readonly claimCatalog?: ClaimCatalog;
}

export interface UserInfoConfig {
  readonly issuer: string;
  /** Absolute URL of the UserInfo endpoint (also accepted as an audience). */
  readonly userinfoEndpoint: string;
}

export interface UserInfo {
  /**
   * OIDC Core §5.3.2: the claims for an access token; `dpopJkt` is the key of the request's
   * verified DPoP proof (RFC 9449 §7), null for a bearer token. Throws invalid_token / insufficient_scope.
   */
  claims(accessToken: string, dpopJkt?: string | null): Promise<Record<string, unknown>>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The UserInfo endpoint (OIDC Core §5.3). Accepts access tokens this server issued for a
 * signed-in user — JWT (signature, `typ` at+jwt, `iss`) or opaque (store lookup) — that are
 * active (not expired, revoked, denylisted or of a revoked grant), meant for this server (`aud`
 * is the issuer or this endpoint, not another resource) and carry `openid`. Returns `sub` (the
 * same the client saw in the ID token) plus the claims released by scope and by the `userinfo`
 * member of the `claims` request (OIDC Core §5.4, §5.5).
 */
export function createUserInfo(deps: UserInfoDeps, config: UserInfoConfig): UserInfo {
  const audiences = new Set([config.issuer, config.userinfoEndpoint]);
  return {
    async claims(accessToken, dpopJkt = null) {
      const view = await findToken(deps, config.issuer, accessToken);
      // RFC 6750 §3.1 invalid_token: "The access token provided is expired, revoked, malformed,
      // or invalid for other reasons."
      if (!view || view.kind !== 'access_token') throw OAuthError.invalidToken('the access token is invalid');
      const now = Math.floor(deps.clock.now() / 1000);
      if (!(await isActive(view, now, deps.denylist, deps.tenantId))) throw OAuthError.invalidToken('the access token is expired or revoked');
      checkTokenBinding(view.cnf, dpopJkt);
      if (!view.audience.some((a) => audiences.has(a))) throw OAuthError.invalidToken('the access token is not meant for the UserInfo endpoint');
      // Only tokens issued for a signed-in user carry auth_time (client_credentials never does).
      if (typeof view.claims.auth_time !== 'number') throw OAuthError.invalidToken('the access token was not issued for an end-user');
      const scope = parseScope(view.scope) ?? [];
      // OIDC Core §5.3: "The Access Token obtained from an OpenID Connect Authentication Request
      // MUST be sent as a Bearer Token" — one without `openid` was not.
      if (!scope.includes('openid')) throw OAuthError.insufficientScope('the access token lacks the openid scope', 'openid');
      // The user and the client the token was issued for must still exist and be enabled
      // (docs/security.md "Disabled and deleted principals"): both read at once.
      const principals = await checkTokenPrincipals(deps, view);
      if (!principals.available) {
        throw OAuthError.invalidToken(principals.reason === 'user_unavailable' ? 'the end-user is no longer available' : 'the client is no longer available');
      }
      const user = principals.user;
      if (!user) throw OAuthError.invalidToken('the access token was not issued for an end-user');
      const requested = view.claims[USERINFO_CLAIMS_CLAIM];
      const member = isObject(requested) ? (requested as ClaimsMember) : undefined;
      // OIDC Core §5.3.2: "The sub (subject) Claim MUST always be returned in the UserInfo Response."
      const released = releaseUserClaims(deps.claimCatalog, user, principals.client, scope, { destination: 'userinfo', byScope: true, member });
      return { sub: view.subject, ...released };
    },
  };
}

import type { ClaimCatalog } from '../claims/claim-catalog.ts';
import { releaseExtraClaims } from '../claims/release-claims.ts';
import { OAuthError } from '../errors.ts';
import { registeredIdTokenAlg } from '../id-token/id-token-issuer.ts';
import type { IdTokenIssuer } from '../id-token/types.ts';
import type { AuthenticationContext, ClaimsRequest } from '../model/authorization-code.ts';
import { isConfidential, type Client } from '../model/client.ts';
import type { Confirmation } from '../model/token.ts';
import type { User } from '../model/user.ts';
import type { TokenDenylist } from '../ports/token-denylist.ts';
import type { TokenStore } from '../ports/token-store.ts';
import { grantDenylistKey } from './grant-revocation.ts';
import type { AccessTokenIssuer, AccessTokenPlan, IssuedAccessToken } from './issue-access-token.ts';
import { mintRefreshToken, type GrantSnapshot, type RefreshMintConfig, type RefreshMintDeps } from './refresh-tokens.ts';
import type { TokenResponse } from './types.ts';
import type { UserSubjects } from './user-subject.ts';

import { USERINFO_CLAIMS_CLAIM } from './user-token-claims.ts';

export { USERINFO_CLAIMS_CLAIM };

export interface UserGrantDeps extends RefreshMintDeps {
  readonly tokens: Pick<TokenStore, 'insert' | 'revokeGrant'>;
  readonly denylist: Pick<TokenDenylist, 'add' | 'has'>;
  readonly accessTokens: AccessTokenIssuer;
  readonly idTokens: IdTokenIssuer;
  readonly subjects: UserSubjects;
  /** Roles, groups and custom attributes by scope (default: built-in roles and groups scopes). */
  readonly claimCatalog?: ClaimCatalog;
}

export interface UserGrantInput {
  readonly client: Client;
  readonly grantType: string;
  /** The user the grant is for, read once by the grant (enabled: the grant checked it). */
  readonly user: User;
  /** The scope the user granted (the grant's, not narrowed). */
  readonly grantedScope: readonly string[];
  /** The access token's plan, from `planUserGrant` (made before the grant consumed anything). */
  readonly plan: AccessTokenPlan;
  readonly grantId: string;
  readonly snapshot: GrantSnapshot;
  readonly nonce: string | null;
  /** Issue a refresh token, child of `parentHash` (null for the first of a family). */
  readonly refresh: { readonly parentHash: string | null } | null;
  /** RFC 9449: the key of the request's DPoP proof; the access token (and a public client's refresh token) are bound to it. */
  readonly dpopJkt: string | null;
  readonly now: number;
}

export interface UserAccessTokenInput {
  readonly client: Client;
  readonly grantType: string;
  readonly userId: string;
  readonly auth: AuthenticationContext;
  /** What `accessTokens.plan` decided (scope, audience, format, lifetime). */
  readonly plan: AccessTokenPlan;
  readonly grantId: string;
  readonly claims: ClaimsRequest | null;
  /** The user as read for this request: roles, groups and attributes the client maps to `access_token` go into a JWT. */
  readonly user?: User;
  /** RFC 9449 §6 confirmation (`cnf.jkt`) of a DPoP-bound token; null/absent for a bearer token. */
  readonly cnf?: Confirmation | null;
}

export interface UserGrantPlanInput {
  readonly client: Client;
  /** The scope the user granted (the allowed maximum). */
  readonly grantedScope: readonly string[];
  /** A narrower scope for this token (refresh `scope`); undefined = the whole grant (filtered by the resources). */
  readonly requestedScope: string | undefined;
  /** Resources for this access token (already checked against the grant's). */
  readonly resources: readonly string[];
}

/**
 * Everything a token request can still fail on once the grant itself is valid: the access
 * token's scope and resources (invalid_scope, invalid_target) and, when `openid` was granted, the
 * client's ID token algorithm (unauthorized_client). Grants call this before they consume their
 * code or refresh token, so that a request error leaves the grant usable: a client retrying with
 * a corrected request must not look like a replay (RFC 9700 §4.14.2 reuse detection).
 */
export function planUserGrant(deps: Pick<UserGrantDeps, 'accessTokens'>, input: UserGrantPlanInput): AccessTokenPlan {
  const plan = deps.accessTokens.plan(input.client, input.requestedScope, input.resources, input.grantedScope);
  // unauthorized_client now, not after the consume, when the client registered an ID token alg we cannot sign with.
  if (input.grantedScope.includes('openid')) registeredIdTokenAlg(input.client);
  return plan;
}

/**
 * One access token on behalf of a user, shaped so UserInfo, introspection and grant revocation
 * understand it: `sub` as the client sees it (plus the sealed user id when pairwise),
 * `auth_time`/`acr`, `grant_id` (JWT) so a revoked grant also kills JWTs, and the `userinfo`
 * member of the claims request. Every place that issues user access tokens uses this (token
 * endpoint grants here; the authorization endpoint for `code token` / `id_token token`).
 */
export async function issueUserAccessToken(
  deps: { readonly accessTokens: AccessTokenIssuer; readonly subjects: Pick<UserSubjects, 'forToken'>; readonly claimCatalog?: ClaimCatalog | undefined },
  input: UserAccessTokenInput,
): Promise<{ readonly issued: IssuedAccessToken; readonly ref: ReturnType<UserSubjects['forToken']> }> {
  const { client, auth, plan } = input;
  const ref = deps.subjects.forToken(client, input.userId);
  // Claims the client's claim_mappings send to the access token, for granted scopes only; JWT
  // only (an opaque token's resource server learns them from introspection, read fresh there).
  const mapped =
    plan.format === 'jwt' && input.user && deps.claimCatalog
      ? releaseExtraClaims(deps.claimCatalog, input.user, client, plan.scope, { destination: 'access_token', byScope: false })
      : {};
  const claims: Record<string, unknown> = { ...mapped, ...ref.claims, auth_time: auth.authTime };
  if (auth.acr !== null) claims.acr = auth.acr;
  if (input.claims?.userinfo && Object.keys(input.claims.userinfo).length) claims[USERINFO_CLAIMS_CLAIM] = input.claims.userinfo;
  const issued = await deps.accessTokens.issue({
    plan,
    grantType: input.grantType,
    subject: ref.subject,
    userId: input.userId,
    grantId: input.grantId,
    claims,
    cnf: input.cnf ?? null,
  });
  return { issued, ref };
}

/**
 * The tokens of a grant on behalf of a user (authorization_code, refresh_token, device_code): an
 * access token (`issueUserAccessToken`), a refresh token when asked, and an ID token when
 * `openid` was granted (OIDC Core §3.1.3.3). Request errors were ruled out by `planUserGrant`
 * before the grant consumed its code or refresh token; what can still fail here is the server
 * (signing, storage), after the consume. The ID token is signed before the refresh token is
 * stored, so a signing failure leaves no orphan refresh token, though an opaque access token may
 * already be stored (it dies with its grant or at expiry), and the consumed code or refresh token
 * stays consumed.
 */
export async function issueUserGrantTokens(deps: UserGrantDeps, config: RefreshMintConfig, input: UserGrantInput): Promise<TokenResponse> {
  const { client, snapshot, plan } = input;
  const cnf = input.dpopJkt === null ? null : { jkt: input.dpopJkt };
  const { issued: at, ref } = await issueUserAccessToken(deps, {
    cnf,
    client,
    grantType: input.grantType,
    userId: input.user.id,
    auth: snapshot.auth,
    plan,
    grantId: input.grantId,
    claims: snapshot.claims,
    user: input.user,
  });

  let idToken: string | undefined;
  if (input.grantedScope.includes('openid')) {
    idToken = await deps.idTokens.issue({
      // The user the grant read and the subject computed for the access token: neither is looked up again.
      client,
      auth: snapshot.auth,
      user: input.user,
      subject: ref.subject,
      scope: input.grantedScope,
      claims: snapshot.claims,
      nonce: input.nonce,
      accessToken: at.token,
      // OIDC Core §5.4: scope claims come from UserInfo when the access token can be used there.
      scopeClaimsAtUserInfo: plan.scope.includes('openid'),
    });
  }

  let refreshToken: string | undefined;
  if (input.refresh) {
    const minted = await mintRefreshToken(deps, config, {
      clientId: client.clientId,
      grantType: input.grantType,
      subject: ref.subject,
      userId: input.user.id,
      scope: input.grantedScope,
      grantId: input.grantId,
      parentHash: input.refresh.parentHash,
      snapshot,
      extraClaims: ref.claims,
      // RFC 9449 §5: "Refresh tokens issued to public clients [...] MUST be bound to the
      // respective public key"; for confidential clients the binding is their authentication,
      // "the refresh token is not bound to the DPoP key".
      cnf: isConfidential(client) ? null : cnf,
      now: input.now,
    });
    refreshToken = minted.token;
  }

  // A concurrent reuse of the same code or refresh token (S4: the other caller lost the atomic
  // consume) revokes the grant, possibly while these tokens were being minted, after its
  // revokeGrant ran. It denylists the grant before revoking, so looking here after every insert
  // closes the gap: either this sees the mark, or its revokeGrant comes after our inserts.
  if (await deps.denylist.has(deps.tenantId, grantDenylistKey(input.grantId))) {
    await deps.tokens.revokeGrant(deps.tenantId, input.grantId, input.now);
    throw OAuthError.invalidGrant('the authorization grant has been revoked', `grant revoked during issuance for client ${client.clientId}`);
  }

  return {
    access_token: at.token,
    token_type: cnf ? 'DPoP' : 'Bearer',
    expires_in: at.expiresIn,
    ...(at.scope ? { scope: at.scope } : {}),
    ...(refreshToken !== undefined ? { refresh_token: refreshToken } : {}),
    ...(idToken !== undefined ? { id_token: idToken } : {}),
  };
}

/**
 * RFC 8707 §2.2: a token request's `resource` values must be among those the grant covers; none
 * means all of them. A grant made without `resource` is not restricted to resources, so the
 * token request may name any (the resource registry still judges them).
 */
export function narrowResources(requested: readonly string[], granted: readonly string[]): readonly string[] {
  if (requested.length === 0 || granted.length === 0) return requested.length ? requested : granted;
  for (const r of requested) {
    // RFC 8707 §2.2: "the authorization server [...] MUST ensure that the requested resource is
    // [...] consistent with the grant" — anything else is invalid_target.
    if (!granted.includes(r)) throw OAuthError.invalidTarget('a requested resource was not part of the authorization', `resource ${r.slice(0, 100)}`);
  }
  return requested;
}

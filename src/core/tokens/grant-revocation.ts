import type { EventPublisher } from '../events.ts';
import type { TenantId } from '../model/tenant.ts';
import type { TokenDenylist } from '../ports/token-denylist.ts';
import type { TokenStore } from '../ports/token-store.ts';

/** Claim naming the grant in JWT access tokens issued for a user's authorization. */
export const GRANT_ID_CLAIM = 'grant_id';

/** Denylist key of a whole grant (jti values are base64url, so the prefix cannot collide). */
export function grantDenylistKey(grantId: string): string {
  return `grant:${grantId}`;
}

export interface LifetimeConfig {
  readonly tokens: { readonly accessTokenTtl: number };
  readonly resources: readonly { readonly accessTokenTtl?: number | undefined }[];
}

/** The longest lifetime any access token can have: how long a grant must stay denylisted. */
export function longestAccessTokenTtl(config: LifetimeConfig): number {
  return Math.max(config.tokens.accessTokenTtl, ...config.resources.map((r) => r.accessTokenTtl ?? 0));
}

export interface GrantRevocationDeps {
  readonly tokens: Pick<TokenStore, 'revokeGrant'>;
  readonly denylist: Pick<TokenDenylist, 'add' | 'has'>;
  readonly events: EventPublisher;
  readonly tenantId: TenantId;
}

/**
 * Revokes every token of a grant: stored ones (refresh tokens, opaque access tokens) through
 * `TokenStore.revokeGrant`, and JWT access tokens — which are not stored — by denylisting the
 * grant itself until the longest access-token lifetime has passed, so every JWT carrying this
 * `grant_id` is refused by introspection and UserInfo (`isActive`). RFC 6749 §4.1.2: the server
 * "SHOULD revoke (when possible) all tokens previously issued based on that authorization code";
 * RFC 9700 §4.14.2: on refresh token reuse, revoke the active refresh token of the family.
 */
export async function revokeWholeGrant(
  deps: GrantRevocationDeps,
  config: LifetimeConfig,
  input: { readonly grantId: string; readonly clientId: string; readonly now: number; readonly reason: 'code_reuse' | 'refresh_token_reuse' },
): Promise<number> {
  const { grantId, clientId, now, reason } = input;
  const revoked = await revokeGrantTokens(deps, config, grantId, now);
  deps.events.publish('grant.revoked', { tenantId: deps.tenantId, clientId, reason, tokens: revoked });
  return revoked;
}

/**
 * The two steps of revoking a grant, without an event: denylist the grant for JWT access tokens
 * (until the longest access-token lifetime has passed), then revoke its stored tokens. Returns
 * how many stored tokens were still active.
 */
export async function revokeGrantTokens(
  deps: Pick<GrantRevocationDeps, 'tokens' | 'denylist' | 'tenantId'>,
  config: LifetimeConfig,
  grantId: string,
  now: number,
): Promise<number> {
  await deps.denylist.add(deps.tenantId, grantDenylistKey(grantId), now + longestAccessTokenTtl(config));
  return deps.tokens.revokeGrant(deps.tenantId, grantId, now);
}

/** Whether the grant named by a JWT access token's `grant_id` claim has been revoked. */
export async function isGrantDenylisted(denylist: Pick<TokenDenylist, 'has'>, tenantId: TenantId, claims: Readonly<Record<string, unknown>>): Promise<boolean> {
  const grantId = claims[GRANT_ID_CLAIM];
  return typeof grantId === 'string' && (await denylist.has(tenantId, grantDenylistKey(grantId)));
}

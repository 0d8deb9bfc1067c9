import { grantDenylistKey, longestAccessTokenTtl, revokeGrantTokens } from '../core/tokens/grant-revocation.ts';
import type { AppDeps } from './deps.ts';

/**
 * After `GrantStore.revokeByUser/revokeByClient` revoked the stored tokens, denylists each grant
 * as src/core/tokens/grant-revocation.ts does for one, so the JWT access tokens carrying its
 * `grant_id` (never stored) are refused too, until the longest access-token lifetime has passed.
 */
export async function denylistGrants(
  deps: Pick<AppDeps, 'denylist' | 'tenantId' | 'config'>,
  grantIds: readonly string[],
  now: number,
): Promise<{ grants: number }> {
  const until = now + longestAccessTokenTtl(deps.config);
  for (const id of new Set(grantIds)) await deps.denylist.add(deps.tenantId, grantDenylistKey(id), until);
  return { grants: new Set(grantIds).size };
}

/** One grant: denylisted for its JWT access tokens, its stored tokens revoked; how many were live. */
export function revokeOneGrant(deps: Pick<AppDeps, 'tokens' | 'denylist' | 'tenantId' | 'config'>, grantId: string, now: number): Promise<number> {
  return revokeGrantTokens(deps, deps.config, grantId, now);
}

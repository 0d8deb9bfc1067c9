import type { AccessTokenIssuer } from './issue-access-token.ts';
import { createClientCredentialsGrant } from './grants/client-credentials.ts';
import type { TokenGrant } from './types.ts';

/**
 * What a grant factory may draw on. Grants that need more (codes, refresh tokens, users) add
 * their port here and pick only what they use (S6).
 */
export interface GrantDeps {
  readonly accessTokens: AccessTokenIssuer;
}

/** One factory per grant file (S1): adding a grant is a file plus one line here. */
const GRANT_FACTORIES: readonly ((deps: GrantDeps) => TokenGrant)[] = [
  createClientCredentialsGrant,
];

/** The token endpoint's grants keyed by their wire name (`grant_type`). */
export function createGrantRegistry(deps: GrantDeps): ReadonlyMap<string, TokenGrant> {
  const map = new Map<string, TokenGrant>();
  for (const factory of GRANT_FACTORIES) {
    const grant = factory(deps);
    map.set(grant.type, grant);
  }
  return map;
}

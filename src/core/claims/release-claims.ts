import type { ClaimRequestEntry } from '../model/authorization-code.ts';
import type { Client } from '../model/client.ts';
import type { StandardClaims, User } from '../model/user.ts';
import { DEFAULT_CLAIM_CATALOG, grantedSources, type ClaimCatalog, type ClaimDestination } from './claim-catalog.ts';
import { claimMappingsOf } from './claim-mappings.ts';
import { claimsForScope, isStandardClaim, type StandardClaimName } from './scope-claims.ts';

export type ClaimsMember = Readonly<Record<string, ClaimRequestEntry | null>>;

export interface ReleaseOptions {
  /**
   * Whether claims requested by scope are released here. OIDC Core §5.4: "The Claims requested by
   * the profile, email, address, and phone scope values are returned from the UserInfo Endpoint
   * [...] when a response_type value is used that results in an Access Token being issued.
   * However, when no Access Token is issued (which is the case for the response_type value
   * id_token), the resulting Claims are returned in the ID Token."
   */
  readonly byScope: boolean;
}

/** A standard claim's value: `preferred_username` defaults to the username the user signs in with. */
function standardValue(user: Pick<User, 'claims' | 'username'>, name: StandardClaimName): unknown {
  const source: StandardClaims = user.claims;
  const value = Object.hasOwn(source, name) ? source[name] : undefined;
  // OIDC Core §5.1 preferred_username: "Shorthand name by which the End-User wishes to be
  // referred to at the RP" — the username, unless the operator set another.
  if (name === 'preferred_username' && (value === undefined || value === null)) return user.username;
  return value;
}

/**
 * The end-user claims to release (beyond `sub`, which the caller sets): the standard claims asked
 * for by scope (when `byScope`) plus every standard claim named in `member` — the `userinfo` or
 * `id_token` member of the `claims` parameter (OIDC Core §5.5). Only claims the user has are
 * released; §5.5.1 `value`/`values` do not filter (the user's actual value is returned) except
 * that non-standard names are never taken from the user record. Returns a new plain object.
 */
export function releaseClaims(
  user: Pick<User, 'claims' | 'username'>,
  scope: readonly string[],
  member: ClaimsMember | undefined,
  opts: ReleaseOptions,
): Record<string, unknown> {
  const names = new Set<StandardClaimName>(opts.byScope ? claimsForScope(scope) : []);
  if (member) for (const name of Object.keys(member)) if (isStandardClaim(name)) names.add(name);
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const value = standardValue(user, name);
    if (value !== undefined && value !== null) out[name] = value;
  }
  return out;
}

/** Where one release happens: the destination, and for ID token/UserInfo the OIDC rules in force. */
export interface ReleaseTarget {
  readonly destination: ClaimDestination;
  /** As `ReleaseOptions.byScope` (ID token: no access token reaches UserInfo). */
  readonly byScope: boolean;
  /** The `claims` parameter member for this destination (id_token or userinfo), if any. */
  readonly member?: ClaimsMember | undefined;
}

function sourceValue(catalog: ClaimCatalog, user: Pick<User, 'roles' | 'groups' | 'attributes'>, source: string): unknown {
  if (source === 'roles') return user.roles.length ? [...user.roles] : undefined;
  if (source === 'groups') return user.groups.length ? [...user.groups] : undefined;
  // Only attributes still defined in config are released (a stored value of a dropped one is not).
  if (!Object.hasOwn(catalog.attributes, source) || !Object.hasOwn(user.attributes, source)) return undefined;
  return user.attributes[source];
}

/**
 * Roles, groups and custom attributes for one destination (docs/users.md "Claims"). A source is
 * released only when a granted scope covers it (`roles`, `groups`, a configured scope): neither
 * the client's `claim_mappings` nor the `claims` parameter can widen that. With a mapping for the
 * source, the mapping alone decides the claim name and the destinations; without one, the claim
 * keeps the source's name and goes where OIDC Core §5.4/§5.5 put scope claims: UserInfo, and the
 * ID token when `byScope` or when the `claims` parameter's id_token member names it.
 */
export function releaseExtraClaims(
  catalog: ClaimCatalog,
  user: Pick<User, 'roles' | 'groups' | 'attributes'>,
  client: Pick<Client, 'metadata'>,
  scope: readonly string[],
  target: ReleaseTarget,
): Record<string, unknown> {
  const sources = grantedSources(catalog, scope);
  if (sources.length === 0) return {};
  const mappings = claimMappingsOf(client);
  const out: Record<string, unknown> = {};
  for (const source of sources) {
    const mapping = Object.hasOwn(mappings, source) ? mappings[source] : undefined;
    const claim = mapping?.claim ?? source;
    const here = mapping
      ? mapping.destinations.includes(target.destination)
      : target.destination === 'userinfo' ||
        (target.destination === 'id_token' && (target.byScope || (target.member !== undefined && Object.hasOwn(target.member, claim))));
    if (!here) continue;
    const value = sourceValue(catalog, user, source);
    if (value !== undefined) out[claim] = value;
  }
  return out;
}

/** Standard claims (OIDC rules) plus roles, groups and attributes (scopes and the client's mapping) for the ID token or UserInfo. */
export function releaseUserClaims(
  catalog: ClaimCatalog = DEFAULT_CLAIM_CATALOG,
  user: Pick<User, 'claims' | 'username' | 'roles' | 'groups' | 'attributes'>,
  client: Pick<Client, 'metadata'>,
  scope: readonly string[],
  target: ReleaseTarget,
): Record<string, unknown> {
  return { ...releaseClaims(user, scope, target.member, { byScope: target.byScope }), ...releaseExtraClaims(catalog, user, client, scope, target) };
}

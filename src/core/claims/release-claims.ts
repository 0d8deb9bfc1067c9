import type { ClaimRequestEntry } from '../model/authorization-code.ts';
import type { StandardClaims, User } from '../model/user.ts';
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

/**
 * The end-user claims to release (beyond `sub`, which the caller sets): the standard claims asked
 * for by scope (when `byScope`) plus every standard claim named in `member` — the `userinfo` or
 * `id_token` member of the `claims` parameter (OIDC Core §5.5). Only claims the user has are
 * released; §5.5.1 `value`/`values` do not filter (the user's actual value is returned) except
 * that non-standard names are never taken from the user record. Returns a new plain object.
 */
export function releaseClaims(
  user: Pick<User, 'claims'>,
  scope: readonly string[],
  member: ClaimsMember | undefined,
  opts: ReleaseOptions,
): Record<string, unknown> {
  const names = new Set<StandardClaimName>(opts.byScope ? claimsForScope(scope) : []);
  if (member) for (const name of Object.keys(member)) if (isStandardClaim(name)) names.add(name);
  const out: Record<string, unknown> = {};
  const source: StandardClaims = user.claims;
  for (const name of names) {
    const value = Object.hasOwn(source, name) ? source[name] : undefined;
    if (value !== undefined && value !== null) out[name] = value;
  }
  return out;
}

import type { AttributeDefinitions } from '../users/user-attributes.ts';
import { STANDARD_CLAIMS } from './scope-claims.ts';

/** Where a claim can be released. */
export const CLAIM_DESTINATIONS = ['id_token', 'access_token', 'userinfo', 'introspection'] as const;
export type ClaimDestination = (typeof CLAIM_DESTINATIONS)[number];

/**
 * Built-in scopes for the user's roles and groups (the claim names of RFC 9068 §2.2.3.1, from
 * SCIM, RFC 7643 §4.1.2: "roles", "groups").
 */
export const BUILT_IN_SCOPE_CLAIMS: Readonly<Record<string, readonly string[]>> = Object.freeze({ roles: ['roles'], groups: ['groups'] });

/** Scope values with a fixed meaning here: a configured scope may not reuse them. */
export const RESERVED_SCOPES: readonly string[] = ['openid', 'profile', 'email', 'address', 'phone', 'offline_access', 'roles', 'groups'];

/**
 * Names an attribute or a renamed claim may not take: OIDC Core §5.1 standard claims, the JWT
 * registered claims (RFC 7519 §4.1), the ID token's own (OIDC Core §2, §3.3.2.11, FAPI s_hash,
 * Front/Back-Channel Logout sid), the members access tokens and introspection responses define
 * (RFC 9068 §2.2, RFC 7662 §2.2, RFC 8693 §4, RFC 7800 cnf, RFC 9068 §2.2.3.1 roles/groups/
 * entitlements) and the claims Gatehouse keeps for itself. Compared case-insensitively.
 */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set(
  [
    'sub',
    ...STANDARD_CLAIMS,
    'iss',
    'aud',
    'exp',
    'nbf',
    'iat',
    'jti',
    'auth_time',
    'nonce',
    'acr',
    'amr',
    'azp',
    'at_hash',
    'c_hash',
    's_hash',
    'sid',
    'events',
    'client_id',
    'scope',
    'cnf',
    'act',
    'may_act',
    'token_type',
    'active',
    'username',
    'typ',
    'roles',
    'groups',
    'entitlements',
    'grant_id',
    // RFC 9493 §4: marks an external issuer's subject in our tokens (tokens/foreign-subject.ts).
    'sub_id',
    'sealed_uid',
    'userinfo_claims',
    'family_iat',
    'resources',
    'claims_request',
    '_claim_names',
    '_claim_sources',
  ].map((n) => n.toLowerCase()),
);

/** Attribute and claim names: a letter, then letters, digits and `_` (64 at most), as JSON members read well. */
export const CLAIM_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

export function isReservedClaim(name: string): boolean {
  return RESERVED_CLAIMS.has(name.toLowerCase());
}

/**
 * What an operator configured about user claims beyond OIDC's: the attribute definitions
 * (`users.attributes`) and which scope releases which source (`roles`, `groups` and the
 * `claims.scopes` configured for attributes). Built once from config (src/compose.ts).
 */
export interface ClaimCatalog {
  readonly attributes: AttributeDefinitions;
  /** Scope value → sources it releases (`roles`, `groups`, attribute names). */
  readonly scopes: ReadonlyMap<string, readonly string[]>;
  /** Human words for configured scopes (consent page), by scope value. */
  readonly scopeDescriptions: ReadonlyMap<string, string>;
}

export interface ClaimCatalogConfig {
  readonly users: { readonly attributes: AttributeDefinitions };
  readonly claims: { readonly scopes: Readonly<Record<string, { readonly claims: readonly string[]; readonly description: string }>> };
}

export function createClaimCatalog(config: ClaimCatalogConfig): ClaimCatalog {
  const scopes = new Map<string, readonly string[]>(Object.entries(BUILT_IN_SCOPE_CLAIMS));
  const scopeDescriptions = new Map<string, string>();
  for (const [scope, def] of Object.entries(config.claims.scopes)) {
    scopes.set(scope, [...def.claims]);
    scopeDescriptions.set(scope, def.description);
  }
  return { attributes: config.users.attributes, scopes, scopeDescriptions };
}

/** No custom attributes or scopes: the built-in `roles` and `groups` scopes only. */
export const DEFAULT_CLAIM_CATALOG: ClaimCatalog = createClaimCatalog({ users: { attributes: {} }, claims: { scopes: {} } });

/** Every source the granted scopes release, once, in a stable order. */
export function grantedSources(catalog: ClaimCatalog, scope: readonly string[]): readonly string[] {
  const out = new Set<string>();
  for (const s of scope) for (const source of catalog.scopes.get(s) ?? []) out.add(source);
  return [...out];
}

/** The sources a client may map: roles, groups and every defined attribute. */
export function mappableSources(attributes: AttributeDefinitions): readonly string[] {
  return ['roles', 'groups', ...Object.keys(attributes)];
}

/** Every claim name the catalog can release (discovery `claims_supported`). */
export function catalogClaims(catalog: ClaimCatalog): readonly string[] {
  return [...new Set([...catalog.scopes.values()].flat())];
}

import type { JWTVerifyGetKey } from 'jose';
import type { ClientJwksCache } from '../client-auth/client-jwks.ts';
import type { TenantId } from '../model/tenant.ts';
import { FOREIGN_SUBJECT_CLAIM } from '../tokens/foreign-subject.ts';
import { GRANT_ID_CLAIM } from '../tokens/grant-revocation.ts';
import { SEALED_USER_CLAIM, SERVER_ONLY_CLAIMS } from '../tokens/user-token-claims.ts';

/** What a trusted issuer's JWTs may be used for (config `trustedIssuers[].uses`). */
export const TRUSTED_ISSUER_USES = ['jwt-bearer', 'id-jag', 'token-exchange'] as const;
export type TrustedIssuerUse = (typeof TRUSTED_ISSUER_USES)[number];

/**
 * Claim names a `copyClaims` mapping may not write: the issued token's own registered claims,
 * what says who the user is and how they signed in, and the server's internal claims. An external
 * issuer must never be able to name a local user, a grant or a key binding through a copied claim.
 */
export const RESERVED_LOCAL_CLAIMS: ReadonlySet<string> = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  'client_id',
  'scope',
  'cnf',
  'act',
  'may_act',
  'auth_time',
  'acr',
  'amr',
  'azp',
  SEALED_USER_CLAIM,
  GRANT_ID_CLAIM,
  FOREIGN_SUBJECT_CLAIM,
  // The server's own bookkeeping in user tokens (`userinfo_claims` decides what UserInfo
  // releases, OIDC Core §5.5): an external issuer must not widen it through a copied claim.
  ...SERVER_ONLY_CLAIMS,
]);

/** One registry entry, as validated by the config schema (src/config/trusted-issuers-schema.ts). */
export interface TrustedIssuer {
  readonly issuer: string;
  readonly jwks?: { readonly keys: readonly Record<string, unknown>[] } | undefined;
  readonly jwksUri?: string | undefined;
  readonly algorithms: readonly string[];
  readonly uses: readonly TrustedIssuerUse[];
  readonly subjects: readonly string[];
  readonly audiences: readonly string[];
  readonly clients: readonly string[] | '*';
  readonly maxLifetime: number;
  readonly subjectMapping: { readonly localUser: 'none' | 'username' | 'user-id'; readonly claim: string };
  /** Admin scopes for a mapped local user only when true (config, default false). */
  readonly adminScopes: boolean;
  readonly copyClaims: Readonly<Record<string, string>>;
}

export interface TrustedIssuerRegistry {
  /** The entry whose `issuer` is exactly `iss`. */
  get(iss: string): TrustedIssuer | undefined;
  /** Whether some entry allows `use` (discovery lists the JWT bearer grant only then, S17). */
  allows(use: TrustedIssuerUse): boolean;
  /** The issuer's key resolver: its inline set, or its `jwks_uri` through the guarded fetcher. */
  keys(entry: TrustedIssuer): JWTVerifyGetKey;
}

/** `*` any, `prefix*` a prefix, else the exact value. */
export function subjectAllowed(patterns: readonly string[], sub: string): boolean {
  return patterns.some((p) => (p.endsWith('*') ? sub.startsWith(p.slice(0, -1)) : p === sub));
}

export function clientAllowed(entry: Pick<TrustedIssuer, 'clients'>, clientId: string): boolean {
  return entry.clients === '*' || entry.clients.includes(clientId);
}

/**
 * The registry built once from config (src/compose.ts). Keys go through the same cache as
 * clients' `jwks_uri` (client-jwks.ts: jose's remote set, `clientAuth.jwksCacheTtl`, refetch on
 * an unknown `kid` after a cooldown, every fetch through the guarded fetcher); a separate cache
 * instance, so no client id can ever collide with an issuer's entry.
 */
export function createTrustedIssuerRegistry(entries: readonly TrustedIssuer[], jwks: ClientJwksCache, tenantId: TenantId): TrustedIssuerRegistry {
  const byIssuer = new Map(entries.map((e) => [e.issuer, e] as const));
  return {
    get: (iss) => byIssuer.get(iss),
    allows: (use) => entries.some((e) => e.uses.includes(use)),
    keys(entry) {
      const getKey = jwks.resolver({
        tenantId,
        clientId: `issuer:${entry.issuer}`,
        jwks: entry.jwks ?? null,
        jwksUri: entry.jwksUri ?? null,
      });
      // The schema requires jwks or jwksUri, so a resolver always exists.
      return getKey!;
    },
  };
}

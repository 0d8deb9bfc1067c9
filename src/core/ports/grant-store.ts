import type { TenantId } from '../model/tenant.ts';
import type { ListQuery, Page } from './list.ts';

/**
 * One grant: every stored token sharing a `grantId` (an authorization a user gave a client, or
 * one client_credentials token), summarised over its LIVE tokens (not revoked, not consumed, not
 * expired at the time asked). JWT access tokens are not stored, so a grant with no live stored
 * token (no refresh token, no opaque access token) is not listed.
 */
export interface GrantSummary {
  readonly grantId: string;
  readonly clientId: string;
  /** The user's internal id (not the possibly pairwise `sub`); null for client_credentials. */
  readonly userId: string | null;
  /** The grant's scope: its live refresh token's scope (RFC 6749 §6 keeps it identical), else an access token's. */
  readonly scope: string;
  /** Earliest `issuedAt` of its live tokens: the sort key. */
  readonly createdAt: number;
  /** Latest `issuedAt` of its live tokens (the last refresh or issuance). */
  readonly lastUsedAt: number;
  /** Latest `expiresAt` of its live tokens. */
  readonly expiresAt: number;
  /** How many live stored tokens it holds. */
  readonly activeTokens: number;
}

export type GrantFilter = { readonly userId: string } | { readonly clientId: string };

/**
 * The grant read model over stored tokens (TokenStore writes them; this reads and bulk-revokes).
 * Adapters guarantee:
 * - `listGrants` pages grants of one user or one client ordered by (`createdAt`, `grantId`):
 *   the cursor is `{ k: createdAt, id: grantId }`; `q` is a prefix of the grant id. It uses the
 *   (tenant, user_id, grant_id) / (tenant, client_id, grant_id) index; its cost grows with the
 *   live tokens of that user or client, not with the table.
 * - `revokeByUser` / `revokeByClient` set `revokedAt = at` on every not yet revoked, unexpired
 *   token of that user / client in ONE atomic step (one statement, or one transaction holding
 *   the rows' locks), and return the distinct grant ids that had a token newly revoked, so the
 *   caller can denylist those grants for JWT access tokens (src/core/tokens/grant-revocation.ts).
 *   A token inserted concurrently is either revoked and its grant returned, or not touched.
 */
export interface GrantStore {
  /** `at`: epoch seconds deciding which tokens are live. */
  listGrants(tenantId: TenantId, filter: GrantFilter, q: ListQuery<'issued_at'>, at: number): Promise<Page<GrantSummary>>;
  revokeByUser(tenantId: TenantId, userId: string, at: number): Promise<string[]>;
  revokeByClient(tenantId: TenantId, clientId: string, at: number): Promise<string[]>;
}

import type { TokenRecord } from '../model/token.ts';
import type { TenantId } from '../model/tenant.ts';

export type ConsumeResult = 'consumed' | 'already-consumed' | 'not-found';

/**
 * Stored tokens (opaque access tokens, refresh tokens), keyed by SHA-256 hash (S5).
 * Adapters guarantee:
 * - `insert` is atomic; a duplicate hash fails and writes nothing.
 * - `find` returns the record even when revoked/expired/consumed; callers judge validity.
 * - `consume` is ONE atomic compare-and-set (S4): exactly one concurrent caller gets 'consumed'.
 * - `revoke` and `revokeGrant` are idempotent and set `revokedAt` only where it is null.
 */
export interface TokenStore {
  insert(record: TokenRecord): Promise<void>;
  find(tenantId: TenantId, hash: string): Promise<TokenRecord | undefined>;
  consume(tenantId: TenantId, hash: string, at: number): Promise<ConsumeResult>;
  /** Revokes one token; returns the record as it was, or undefined when unknown. */
  revoke(tenantId: TenantId, hash: string, at: number): Promise<TokenRecord | undefined>;
  /** Revokes every token of a grant; returns how many were newly revoked. */
  revokeGrant(tenantId: TenantId, grantId: string, at: number): Promise<number>;
  /** Count of tokens neither expired nor revoked at `at` (the `oauth2_active_tokens` gauge). */
  countActive(at: number): Promise<number>;
  /** Deletes records expired before `before`; returns how many. */
  purgeExpired(before: number): Promise<number>;
}

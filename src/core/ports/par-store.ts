import type { ParRecord } from '../model/par-request.ts';
import type { TenantId } from '../model/tenant.ts';
import type { TakeResult } from './code-store.ts';

/**
 * RFC 9126 pushed authorization requests keyed by SHA-256 of the `request_uri` (S5), so a
 * request pushed to one instance is usable on every instance sharing the store.
 * Adapters guarantee: `insert` is atomic (a duplicate hash fails with GH_CONFLICT and writes
 * nothing); `purgeExpired(before)` deletes every record with `expiresAt < before`, used or not.
 */
export interface ParStore {
  insert(record: ParRecord): Promise<void>;
  /**
   * ONE atomic compare-and-set on `consumedAt` (single use, S4; RFC 9126 §4): of concurrent
   * callers exactly one gets 'consumed' with the record as pushed (its `params`); in the same
   * atomic step the stored `params` become `{}`, so a used request keeps no payload. Every later
   * caller gets 'already-consumed' with that emptied record (client and times kept). Expiry is
   * judged by the caller.
   */
  take(tenantId: TenantId, hash: string, at: number): Promise<TakeResult<ParRecord>>;
  purgeExpired(before: number): Promise<number>;
}

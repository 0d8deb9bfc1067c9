import type { ParRecord } from '../model/par-request.ts';
import type { TenantId } from '../model/tenant.ts';
import type { TakeResult } from './code-store.ts';

/**
 * RFC 9126 pushed authorization requests keyed by SHA-256 of the `request_uri` (S5), so a
 * request pushed to one instance is usable on every instance sharing the store.
 * Adapters guarantee: `insert` is atomic; `take` is ONE atomic compare-and-set (single use, S4).
 */
export interface ParStore {
  insert(record: ParRecord): Promise<void>;
  take(tenantId: TenantId, hash: string, at: number): Promise<TakeResult<ParRecord>>;
  purgeExpired(before: number): Promise<number>;
}

import type { AuthenticationContext } from '../model/authorization-code.ts';
import type { DeviceCodeRecord } from '../model/device-code.ts';
import type { TenantId } from '../model/tenant.ts';
import type { ListQuery, Page } from './list.ts';
import type { ConsumeResult } from './token-store.ts';

export type DeviceDecision =
  | { readonly status: 'approved'; readonly auth: AuthenticationContext; readonly grantedScope: string }
  | { readonly status: 'denied' };

/**
 * RFC 8628 device authorizations keyed by SHA-256 of the device code (S5).
 * Adapters guarantee: `insert` fails on a duplicate device or user code hash and writes nothing;
 * `decide` and `consume` are single atomic compare-and-sets (S4): `decide` moves 'pending' to
 * 'approved'/'denied' (false when not pending); `consume` moves 'approved' to 'consumed';
 * `poll` atomically sets `lastPolledAt` and returns the record as it was before; `slowDown`
 * atomically adds `step` seconds to `interval` (an increment, never read-then-write).
 */
export interface DeviceCodeStore {
  insert(record: DeviceCodeRecord): Promise<void>;
  findByUserCode(tenantId: TenantId, userCodeHash: string): Promise<DeviceCodeRecord | undefined>;
  /** The request by its device code hash (operators name a request by it), undefined when unknown. */
  get(tenantId: TenantId, hash: string): Promise<DeviceCodeRecord | undefined>;
  decide(tenantId: TenantId, hash: string, decision: DeviceDecision): Promise<boolean>;
  poll(tenantId: TenantId, hash: string, at: number): Promise<DeviceCodeRecord | undefined>;
  consume(tenantId: TenantId, hash: string): Promise<ConsumeResult>;
  slowDown(tenantId: TenantId, hash: string, step: number): Promise<void>;
  purgeExpired(before: number): Promise<number>;
  /**
   * Operators' view (the console's Device codes page): requests still `pending` and not expired
   * at `now`, keyset-paged by `(issuedAt, hash)` (docs/admin-lists.md rules); `q` is a prefix of
   * the client id; the admin API, the console and MCP list through it. An eighth method (S3 says
   * 3–7): a read of the same aggregate that needs no port of its own.
   */
  pagePending(tenantId: TenantId, now: number, q: ListQuery<'issued_at'>): Promise<Page<DeviceCodeRecord>>;
}

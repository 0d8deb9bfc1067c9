import type { AuthenticationContext } from '../model/authorization-code.ts';
import type { DeviceCodeRecord } from '../model/device-code.ts';
import type { TenantId } from '../model/tenant.ts';
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
  /**
   * Pending (undecided, unexpired at `now`) requests of the tenant, oldest first by
   * `(issuedAt, hash)`; `after` continues strictly after that position. Pending requests live
   * for minutes (RFC 8628 §3.2 `expires_in`), so the set scanned is small.
   */
  listPending(tenantId: TenantId, now: number, limit: number, after?: { readonly issuedAt: number; readonly hash: string }): Promise<DeviceCodeRecord[]>;
  purgeExpired(before: number): Promise<number>;
}

import type { AuthorizationCodeRecord } from '../model/authorization-code.ts';
import type { TenantId } from '../model/tenant.ts';

export type TakeResult<T> =
  | { readonly result: 'consumed'; readonly record: T }
  | { readonly result: 'already-consumed'; readonly record: T }
  | { readonly result: 'not-found' };

/**
 * Authorization codes keyed by SHA-256 (S5).
 * Adapters guarantee: `insert` is atomic (duplicate hash fails, writes nothing); `take` is ONE
 * atomic compare-and-set on `consumedAt` (S4): of concurrent callers exactly one gets
 * 'consumed'; every later caller gets 'already-consumed' with the record (so the grant can be
 * revoked, RFC 6749 §4.1.2). Expiry is judged by the caller. `find` is a plain read that changes
 * nothing: it lets the token endpoint refuse a request the client can correct without spending
 * the code; it never decides "use once" (only `take` does).
 */
export interface CodeStore {
  insert(record: AuthorizationCodeRecord): Promise<void>;
  /**
   * The record stored under `hash` in `tenantId` as it is now (consumed or not, expired or not),
   * or undefined when there is none. Reads only: a code found here can still be taken by another
   * caller before this one calls `take`.
   */
  find(tenantId: TenantId, hash: string): Promise<AuthorizationCodeRecord | undefined>;
  take(tenantId: TenantId, hash: string, at: number): Promise<TakeResult<AuthorizationCodeRecord>>;
  purgeExpired(before: number): Promise<number>;
}

import type { SessionRecord } from '../model/session.ts';
import type { TenantId } from '../model/tenant.ts';

export type SessionPatch = Partial<Pick<SessionRecord, 'accounts' | 'currentUserId' | 'lastSeenAt'>>;

/**
 * Browser sessions keyed by the SHA-256 of the cookie value (S5).
 * Adapters guarantee: `create` fails with `GH_CONFLICT` on a duplicate hash and writes nothing;
 * `get` returns the record even when expired (callers judge idle/absolute expiry);
 * `findBySid` finds the session holding an account with that `sid`; `delete` is idempotent;
 * `addClient` is one atomic read-modify-write of that account's client list, so concurrent
 * additions (several RPs completing at once) are all kept.
 */
export interface SessionStore {
  create(session: SessionRecord): Promise<void>;
  get(tenantId: TenantId, hash: string): Promise<SessionRecord | undefined>;
  findBySid(tenantId: TenantId, sid: string): Promise<SessionRecord | undefined>;
  /**
   * Appends `clientId` to the clientIds of the account with this `sid` (in the session
   * `findBySid` would return). No-op when it is already there or the sid is unknown.
   */
  addClient(tenantId: TenantId, sid: string, clientId: string): Promise<void>;
  /** Returns the updated record, or undefined when it does not exist. */
  update(tenantId: TenantId, hash: string, patch: SessionPatch): Promise<SessionRecord | undefined>;
  /** Returns the record as it was, or undefined when unknown. */
  delete(tenantId: TenantId, hash: string): Promise<SessionRecord | undefined>;
  purgeExpired(before: number): Promise<number>;
}

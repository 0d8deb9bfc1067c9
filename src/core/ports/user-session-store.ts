import type { SessionRecord } from '../model/session.ts';
import type { TenantId } from '../model/tenant.ts';
import type { ListQuery, Page } from './list.ts';

/**
 * One signed-in account (one OIDC `sid`) inside a browser session: what an operator sees as a
 * user's "session". The browser session's times come with it.
 */
export interface UserSessionSummary {
  readonly sid: string;
  readonly userId: string;
  readonly authTime: number;
  readonly amr: readonly string[];
  readonly acr: string | null;
  readonly clientIds: readonly string[];
  /** The browser session's createdAt, lastSeenAt and absolute expiresAt. */
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly expiresAt: number;
}

/**
 * Operator view of sessions by user (split from SessionStore, S3). Same records as SessionStore.
 * Adapters guarantee:
 * - `pageByUser` lists the accounts of that user across all stored browser sessions (expired
 *   but not yet purged ones too: the caller judges idle/absolute expiry from the times given),
 *   ordered by (`authTime`, `sid`); the cursor is `{ k: authTime, id: sid }`; `q` is a prefix
 *   of the sid. Index-driven: (tenant_id, user_id, auth_time, sid).
 * - `endSid` removes the account with this sid from the session holding it (the one
 *   `SessionStore.findBySid` returns) in one atomic step, deleting the session when it was its
 *   last account; when that account was the current one, `currentUserId` becomes null (no
 *   account is silently made current). It returns the record as it was before, or undefined
 *   when no session holds the sid.
 */
export interface UserSessionStore {
  pageByUser(tenantId: TenantId, userId: string, q: ListQuery<'auth_time'>): Promise<Page<UserSessionSummary>>;
  endSid(tenantId: TenantId, sid: string): Promise<SessionRecord | undefined>;
}

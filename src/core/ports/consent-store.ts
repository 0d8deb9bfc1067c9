import type { ConsentRecord } from '../model/consent.ts';
import type { TenantId } from '../model/tenant.ts';
import type { ListQuery, Page } from './list.ts';

/**
 * Remembered consent per (tenant, user, client).
 * Adapters guarantee: `put` is an atomic upsert that replaces scopes/claims/updatedAt and keeps
 * the first createdAt; `delete`, `deleteByUser` and `deleteByClient` are idempotent (each one
 * statement) and return how much they removed.
 * `pageByUser` (the ListQuery rules of ./list.ts): a user's consents by client id (k = id =
 * client id); `q` is a client id prefix.
 */
export interface ConsentStore {
  get(tenantId: TenantId, userId: string, clientId: string): Promise<ConsentRecord | undefined>;
  put(consent: ConsentRecord): Promise<void>;
  pageByUser(tenantId: TenantId, userId: string, q: ListQuery<'client_id'>): Promise<Page<ConsentRecord>>;
  /** Returns false when there was nothing to delete. */
  delete(tenantId: TenantId, userId: string, clientId: string): Promise<boolean>;
  /** Deletes every consent the user gave; returns how many. */
  deleteByUser(tenantId: TenantId, userId: string): Promise<number>;
  /** Deletes every consent given to the client; returns how many. */
  deleteByClient(tenantId: TenantId, clientId: string): Promise<number>;
}

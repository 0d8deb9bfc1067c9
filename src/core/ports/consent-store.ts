import type { ConsentRecord } from '../model/consent.ts';
import type { TenantId } from '../model/tenant.ts';

/**
 * Remembered consent per (tenant, user, client).
 * Adapters guarantee: `put` is an atomic upsert that replaces scopes/claims/updatedAt and keeps
 * the first createdAt; `delete` is idempotent.
 */
export interface ConsentStore {
  get(tenantId: TenantId, userId: string, clientId: string): Promise<ConsentRecord | undefined>;
  put(consent: ConsentRecord): Promise<void>;
  listByUser(tenantId: TenantId, userId: string): Promise<ConsentRecord[]>;
  /** Returns false when there was nothing to delete. */
  delete(tenantId: TenantId, userId: string, clientId: string): Promise<boolean>;
}

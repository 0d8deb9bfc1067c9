import type { Client } from '../model/client.ts';
import type { TenantId } from '../model/tenant.ts';

export type ClientPatch = Partial<Omit<Client, 'tenantId' | 'clientId' | 'createdAt'>>;

/**
 * Registered clients, per tenant.
 * Adapters guarantee: `create` fails with `GH_CONFLICT` (GatehouseError) on a duplicate id and
 * writes nothing; `update` changes only the given fields and bumps nothing else on its own;
 * `get` returns disabled clients too (callers decide).
 */
export interface ClientStore {
  create(client: Client): Promise<void>;
  get(tenantId: TenantId, clientId: string): Promise<Client | undefined>;
  list(tenantId: TenantId, opts?: { limit?: number; after?: string }): Promise<Client[]>;
  /** Returns the updated client, or undefined when it does not exist. */
  update(tenantId: TenantId, clientId: string, patch: ClientPatch): Promise<Client | undefined>;
  /** Deletes the client; returns false when it did not exist. */
  delete(tenantId: TenantId, clientId: string): Promise<boolean>;
}

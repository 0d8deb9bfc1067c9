import type { Client } from '../model/client.ts';
import type { TenantId } from '../model/tenant.ts';
import type { ListQuery, Page } from './list.ts';

export type ClientSort = 'client_id' | 'client_name' | 'created_at';

export type ClientPatch = Partial<Omit<Client, 'tenantId' | 'clientId' | 'createdAt'>>;

/**
 * Registered clients, per tenant.
 * Adapters guarantee: `create` fails with `GH_CONFLICT` (GatehouseError) on a duplicate id and
 * writes nothing; `update` changes only the given fields and bumps nothing else on its own;
 * `get` returns disabled clients too (callers decide).
 *
 * `page` (the ListQuery rules of ./list.ts), per sort:
 * - `client_id`: k = client id (byte-wise, case-sensitive); `q` is a client id prefix.
 * - `client_name`: k = the name lower-cased (JS `toLowerCase`, at most 255 characters), so the
 *   order and `q` are case-insensitive; `q` is a prefix of the name.
 * - `created_at`: k = createdAt (epoch seconds); `q` is a client id prefix, checked while walking
 *   the created_at index (fast when matches are common, a longer walk when they are rare).
 * The id is always the client id. Deleting a client removes only its row: its consents go
 * through ConsentStore.deleteByClient and its tokens through GrantStore.revokeByClient, which
 * the application layer calls; codes and pushed requests of a deleted client fail on use.
 */
export interface ClientStore {
  create(client: Client): Promise<void>;
  get(tenantId: TenantId, clientId: string): Promise<Client | undefined>;
  page(tenantId: TenantId, q: ListQuery<ClientSort>): Promise<Page<Client>>;
  /** Returns the updated client, or undefined when it does not exist. */
  update(tenantId: TenantId, clientId: string, patch: ClientPatch): Promise<Client | undefined>;
  /**
   * Replaces the sealed client secret (a KEK rotation) if it is still `expected`: one
   * compare-and-set, so a secret rotated meanwhile is never overwritten. False otherwise.
   */
  resealSecret(tenantId: TenantId, clientId: string, expected: string, sealed: string): Promise<boolean>;
  /** Deletes the client; returns false when it did not exist. */
  delete(tenantId: TenantId, clientId: string): Promise<boolean>;
}

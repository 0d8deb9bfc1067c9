import { GatehouseError } from '../../core/errors.ts';
import type { Client } from '../../core/model/client.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { ClientPatch, ClientSort, ClientStore } from '../../core/ports/client-store.ts';
import type { ListQuery, Page } from '../../core/ports/list.ts';
import { clampLimit, nameKey } from '../list-options.ts';
import { SortedIndex, takePage } from './memory-sorted-index.ts';
import { tenantKey } from './memory-util.ts';

type Indexes = Readonly<Record<ClientSort, SortedIndex>>;

/**
 * Clients in a Map, with one sorted index per sort key and tenant (kept in step with every
 * write). Every value crosses the boundary as a copy, so callers cannot mutate state.
 */
export class MemoryClientStore implements ClientStore {
  readonly #rows = new Map<string, Client>();
  readonly #indexes = new Map<string, Indexes>();

  async create(client: Client): Promise<void> {
    const key = tenantKey(client.tenantId, client.clientId);
    if (this.#rows.has(key)) throw new GatehouseError('GH_CONFLICT', `client ${client.clientId} already exists`);
    this.#rows.set(key, structuredClone(client));
    this.#index(client, 'add');
  }

  async get(tenantId: TenantId, clientId: string): Promise<Client | undefined> {
    const row = this.#rows.get(tenantKey(tenantId, clientId));
    return row && structuredClone(row);
  }

  async update(tenantId: TenantId, clientId: string, patch: ClientPatch): Promise<Client | undefined> {
    const key = tenantKey(tenantId, clientId);
    const row = this.#rows.get(key);
    if (!row) return undefined;
    // Only the given fields change; keys the caller set to undefined are ignored, as in SQL.
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    const next: Client = { ...row, ...structuredClone(defined), tenantId: row.tenantId, clientId: row.clientId, createdAt: row.createdAt };
    this.#index(row, 'remove');
    this.#rows.set(key, next);
    this.#index(next, 'add');
    return structuredClone(next);
  }

  async resealSecret(tenantId: TenantId, clientId: string, expected: string, sealed: string): Promise<boolean> {
    const row = this.#rows.get(tenantKey(tenantId, clientId));
    if (!row || row.secretEncrypted !== expected) return false;
    this.#rows.set(tenantKey(tenantId, clientId), { ...row, secretEncrypted: sealed });
    return true;
  }

  async delete(tenantId: TenantId, clientId: string): Promise<boolean> {
    const key = tenantKey(tenantId, clientId);
    const row = this.#rows.get(key);
    if (!row) return false;
    this.#index(row, 'remove');
    return this.#rows.delete(key);
  }

  async page(tenantId: TenantId, q: ListQuery<ClientSort>): Promise<Page<Client>> {
    const indexes = this.#indexes.get(tenantId);
    if (!indexes) return { items: [], next: null };
    const load = (id: string) => {
      const row = this.#rows.get(tenantKey(tenantId, id));
      return row && structuredClone(row);
    };
    const search = q.q === undefined || q.q === '' ? undefined : q.q;
    const walk =
      q.sort === 'client_id'
        ? indexes.client_id.walk(q, search)
        : q.sort === 'client_name'
          ? indexes.client_name.walk(q, search === undefined ? undefined : search.toLowerCase())
          : indexes.created_at.walk(q, undefined, search === undefined ? undefined : (id) => id.startsWith(search));
    return takePage(walk, clampLimit(q.limit), load);
  }

  #index(c: Client, op: 'add' | 'remove'): void {
    let ix = this.#indexes.get(c.tenantId);
    if (!ix) {
      ix = { client_id: new SortedIndex(), client_name: new SortedIndex(), created_at: new SortedIndex() };
      this.#indexes.set(c.tenantId, ix);
    }
    ix.client_id[op](c.clientId, c.clientId);
    ix.client_name[op](nameKey(c.clientName), c.clientId);
    ix.created_at[op](c.createdAt, c.clientId);
  }
}

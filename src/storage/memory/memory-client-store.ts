import { GatehouseError } from '../../core/errors.ts';
import type { Client } from '../../core/model/client.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { ClientPatch, ClientStore } from '../../core/ports/client-store.ts';
import { pageSize } from '../list-options.ts';
import { tenantKey } from './memory-util.ts';

/** Clients in a Map. Every value crosses the boundary as a copy, so callers cannot mutate state. */
export class MemoryClientStore implements ClientStore {
  readonly #rows = new Map<string, Client>();

  async create(client: Client): Promise<void> {
    const key = tenantKey(client.tenantId, client.clientId);
    if (this.#rows.has(key)) throw new GatehouseError('GH_CONFLICT', `client ${client.clientId} already exists`);
    this.#rows.set(key, structuredClone(client));
  }

  async get(tenantId: TenantId, clientId: string): Promise<Client | undefined> {
    const row = this.#rows.get(tenantKey(tenantId, clientId));
    return row && structuredClone(row);
  }

  async list(tenantId: TenantId, opts: { limit?: number; after?: string } = {}): Promise<Client[]> {
    const limit = pageSize(opts.limit);
    const after = opts.after;
    return [...this.#rows.values()]
      .filter((c) => c.tenantId === tenantId && (after === undefined || c.clientId > after))
      .sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0))
      .slice(0, limit)
      .map((c) => structuredClone(c));
  }

  async update(tenantId: TenantId, clientId: string, patch: ClientPatch): Promise<Client | undefined> {
    const key = tenantKey(tenantId, clientId);
    const row = this.#rows.get(key);
    if (!row) return undefined;
    // Only the given fields change; keys the caller set to undefined are ignored, as in SQL.
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    const next: Client = { ...row, ...structuredClone(defined), tenantId: row.tenantId, clientId: row.clientId, createdAt: row.createdAt };
    this.#rows.set(key, next);
    return structuredClone(next);
  }

  async delete(tenantId: TenantId, clientId: string): Promise<boolean> {
    return this.#rows.delete(tenantKey(tenantId, clientId));
  }
}

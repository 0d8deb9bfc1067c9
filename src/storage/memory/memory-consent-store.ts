import type { ConsentRecord } from '../../core/model/consent.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { ConsentStore } from '../../core/ports/consent-store.ts';
import type { ListQuery, Page } from '../../core/ports/list.ts';
import { clampLimit } from '../list-options.ts';
import { pageOfSorted } from './memory-sorted-index.ts';
import { tenantKey } from './memory-util.ts';

/**
 * Consents in a Map keyed by (tenant, user, client), with the client ids of each user beside it
 * (a user's consents are few); `put` keeps the first createdAt.
 */
export class MemoryConsentStore implements ConsentStore {
  readonly #rows = new Map<string, ConsentRecord>();
  readonly #byUser = new Map<string, Set<string>>();

  async get(tenantId: TenantId, userId: string, clientId: string): Promise<ConsentRecord | undefined> {
    const row = this.#rows.get(consentKey(tenantId, userId, clientId));
    return row && structuredClone(row);
  }

  async put(consent: ConsentRecord): Promise<void> {
    const key = consentKey(consent.tenantId, consent.userId, consent.clientId);
    const existing = this.#rows.get(key);
    const next = structuredClone(consent);
    this.#rows.set(key, existing ? { ...next, createdAt: existing.createdAt } : next);
    const userKey = tenantKey(consent.tenantId, consent.userId);
    const clients = this.#byUser.get(userKey);
    if (clients) clients.add(consent.clientId);
    else this.#byUser.set(userKey, new Set([consent.clientId]));
  }

  async pageByUser(tenantId: TenantId, userId: string, q: ListQuery<'client_id'>): Promise<Page<ConsentRecord>> {
    const rows: ConsentRecord[] = [];
    for (const clientId of this.#byUser.get(tenantKey(tenantId, userId)) ?? []) {
      const row = this.#rows.get(consentKey(tenantId, userId, clientId));
      if (row) rows.push(structuredClone(row));
    }
    const prefix = q.q === undefined || q.q === '' ? undefined : q.q;
    return pageOfSorted(rows, (c) => ({ k: c.clientId, id: c.clientId }), { ...q, limit: clampLimit(q.limit) }, prefix);
  }

  async delete(tenantId: TenantId, userId: string, clientId: string): Promise<boolean> {
    this.#byUser.get(tenantKey(tenantId, userId))?.delete(clientId);
    return this.#rows.delete(consentKey(tenantId, userId, clientId));
  }

  async deleteByUser(tenantId: TenantId, userId: string): Promise<number> {
    const userKey = tenantKey(tenantId, userId);
    let n = 0;
    for (const clientId of this.#byUser.get(userKey) ?? []) if (this.#rows.delete(consentKey(tenantId, userId, clientId))) n++;
    this.#byUser.delete(userKey);
    return n;
  }

  async deleteByClient(tenantId: TenantId, clientId: string): Promise<number> {
    let n = 0;
    for (const [key, row] of this.#rows) {
      if (row.tenantId === tenantId && row.clientId === clientId) {
        this.#rows.delete(key);
        this.#byUser.get(tenantKey(tenantId, row.userId))?.delete(clientId);
        n++;
      }
    }
    return n;
  }
}

function consentKey(tenantId: string, userId: string, clientId: string): string {
  return tenantKey(tenantKey(tenantId, userId), clientId);
}

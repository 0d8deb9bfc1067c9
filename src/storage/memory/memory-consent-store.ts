import type { ConsentRecord } from '../../core/model/consent.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { ConsentStore } from '../../core/ports/consent-store.ts';
import { tenantKey } from './memory-util.ts';

/** Consents in a Map keyed by (tenant, user, client); `put` keeps the first createdAt. */
export class MemoryConsentStore implements ConsentStore {
  readonly #rows = new Map<string, ConsentRecord>();

  async get(tenantId: TenantId, userId: string, clientId: string): Promise<ConsentRecord | undefined> {
    const row = this.#rows.get(consentKey(tenantId, userId, clientId));
    return row && structuredClone(row);
  }

  async put(consent: ConsentRecord): Promise<void> {
    const key = consentKey(consent.tenantId, consent.userId, consent.clientId);
    const existing = this.#rows.get(key);
    const next = structuredClone(consent);
    this.#rows.set(key, existing ? { ...next, createdAt: existing.createdAt } : next);
  }

  async listByUser(tenantId: TenantId, userId: string): Promise<ConsentRecord[]> {
    return [...this.#rows.values()]
      .filter((c) => c.tenantId === tenantId && c.userId === userId)
      .sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0))
      .map((c) => structuredClone(c));
  }

  async delete(tenantId: TenantId, userId: string, clientId: string): Promise<boolean> {
    return this.#rows.delete(consentKey(tenantId, userId, clientId));
  }
}

function consentKey(tenantId: string, userId: string, clientId: string): string {
  return tenantKey(tenantKey(tenantId, userId), clientId);
}

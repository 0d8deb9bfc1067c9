import { GatehouseError } from '../../core/errors.ts';
import type { SessionRecord } from '../../core/model/session.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { SessionPatch, SessionStore } from '../../core/ports/session-store.ts';
import { tenantKey } from './memory-util.ts';

/**
 * Sessions in a Map keyed by (tenant, hash), with an index (tenant, sid) → hashes kept in step
 * with every write. No `await` between a check and its write. A sid may briefly sit in two
 * records (a sign-in that keeps it, racing the record it replaces): the newest one is found,
 * as in the SQL adapter.
 */
export class MemorySessionStore implements SessionStore {
  readonly #rows = new Map<string, SessionRecord>();
  readonly #bySid = new Map<string, Set<string>>();

  async create(session: SessionRecord): Promise<void> {
    const key = tenantKey(session.tenantId, session.hash);
    if (this.#rows.has(key)) throw new GatehouseError('GH_CONFLICT', 'a session with this hash already exists');
    this.#put(key, structuredClone(session));
  }

  async get(tenantId: TenantId, hash: string): Promise<SessionRecord | undefined> {
    const row = this.#rows.get(tenantKey(tenantId, hash));
    return row && structuredClone(row);
  }

  async findBySid(tenantId: TenantId, sid: string): Promise<SessionRecord | undefined> {
    const newest = this.#newestBySid(tenantId, sid);
    return newest && structuredClone(newest);
  }

  async addClient(tenantId: TenantId, sid: string, clientId: string): Promise<void> {
    // Read and write with no await between them: concurrent additions all land.
    const row = this.#newestBySid(tenantId, sid);
    const account = row?.accounts.find((a) => a.sid === sid);
    if (!row || !account || account.clientIds.includes(clientId)) return;
    // The sids do not change, so the sid index stays as it is.
    const accounts = row.accounts.map((a) => (a === account ? { ...a, clientIds: [...a.clientIds, clientId] } : a));
    this.#rows.set(tenantKey(tenantId, row.hash), { ...row, accounts });
  }

  async update(tenantId: TenantId, hash: string, patch: SessionPatch): Promise<SessionRecord | undefined> {
    const key = tenantKey(tenantId, hash);
    const row = this.#rows.get(key);
    if (!row) return undefined;
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    const next: SessionRecord = { ...row, ...structuredClone(defined), tenantId: row.tenantId, hash: row.hash };
    this.#drop(key, row);
    this.#put(key, next);
    return structuredClone(next);
  }

  async delete(tenantId: TenantId, hash: string): Promise<SessionRecord | undefined> {
    const key = tenantKey(tenantId, hash);
    const row = this.#rows.get(key);
    if (!row) return undefined;
    this.#drop(key, row);
    return structuredClone(row);
  }

  async purgeExpired(before: number): Promise<number> {
    let n = 0;
    for (const [key, row] of this.#rows) {
      if (row.expiresAt < before) {
        this.#drop(key, row);
        n++;
      }
    }
    return n;
  }

  #newestBySid(tenantId: TenantId, sid: string): SessionRecord | undefined {
    let newest: SessionRecord | undefined;
    for (const hash of this.#bySid.get(tenantKey(tenantId, sid)) ?? []) {
      const row = this.#rows.get(tenantKey(tenantId, hash));
      if (row && (!newest || row.createdAt > newest.createdAt || (row.createdAt === newest.createdAt && row.hash < newest.hash))) newest = row;
    }
    return newest;
  }

  #put(key: string, row: SessionRecord): void {
    this.#rows.set(key, row);
    for (const a of row.accounts) {
      const sidKey = tenantKey(row.tenantId, a.sid);
      const hashes = this.#bySid.get(sidKey);
      if (hashes) hashes.add(row.hash);
      else this.#bySid.set(sidKey, new Set([row.hash]));
    }
  }

  #drop(key: string, row: SessionRecord): void {
    this.#rows.delete(key);
    for (const a of row.accounts) {
      const sidKey = tenantKey(row.tenantId, a.sid);
      const hashes = this.#bySid.get(sidKey);
      hashes?.delete(row.hash);
      if (hashes?.size === 0) this.#bySid.delete(sidKey);
    }
  }
}

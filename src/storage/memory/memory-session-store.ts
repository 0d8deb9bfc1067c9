import { GatehouseError } from '../../core/errors.ts';
import type { SessionRecord } from '../../core/model/session.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { ListQuery, Page } from '../../core/ports/list.ts';
import type { SessionPatch, SessionStore } from '../../core/ports/session-store.ts';
import type { UserSessionStore, UserSessionSummary } from '../../core/ports/user-session-store.ts';
import { clampLimit } from '../list-options.ts';
import { pageOfSorted } from './memory-sorted-index.ts';
import { tenantKey } from './memory-util.ts';

/**
 * Sessions in a Map keyed by (tenant, hash), with an index (tenant, sid) → hashes kept in step
 * with every write. No `await` between a check and its write. A sid may briefly sit in two
 * records (a sign-in that keeps it, racing the record it replaces): the newest one is found,
 * as in the SQL adapter. A second index (tenant, userId) → hashes serves `pageByUser`.
 */
export class MemorySessionStore implements SessionStore, UserSessionStore {
  readonly #rows = new Map<string, SessionRecord>();
  readonly #bySid = new Map<string, Set<string>>();
  readonly #byUser = new Map<string, Set<string>>();

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

  async pageByUser(tenantId: TenantId, userId: string, q: ListQuery<'auth_time'>): Promise<Page<UserSessionSummary>> {
    const bySid = new Map<string, UserSessionSummary>();
    for (const hash of this.#byUser.get(tenantKey(tenantId, userId)) ?? []) {
      const row = this.#rows.get(tenantKey(tenantId, hash));
      for (const a of row?.accounts ?? []) {
        // A sid briefly in two records (see above) is listed once, from the newest record.
        if (a.userId !== userId || this.#newestBySid(tenantId, a.sid) !== row || !row) continue;
        bySid.set(a.sid, {
          sid: a.sid,
          userId: a.userId,
          authTime: a.authTime,
          amr: structuredClone(a.amr),
          acr: a.acr,
          clientIds: [...a.clientIds],
          createdAt: row.createdAt,
          lastSeenAt: row.lastSeenAt,
          expiresAt: row.expiresAt,
        });
      }
    }
    const prefix = q.q === undefined || q.q === '' ? undefined : q.q;
    return pageOfSorted([...bySid.values()], (s) => ({ k: s.authTime, id: s.sid }), { ...q, limit: clampLimit(q.limit) }, prefix);
  }

  async endSid(tenantId: TenantId, sid: string): Promise<SessionRecord | undefined> {
    // Read and write with no await between them.
    const row = this.#newestBySid(tenantId, sid);
    if (!row) return undefined;
    const key = tenantKey(tenantId, row.hash);
    const ended = row.accounts.find((a) => a.sid === sid);
    const left = row.accounts.filter((a) => a.sid !== sid);
    this.#drop(key, row);
    if (left.length > 0) {
      // No other account is silently made current.
      const currentUserId = ended?.userId === row.currentUserId ? null : row.currentUserId;
      this.#put(key, { ...row, accounts: left, currentUserId });
    }
    return structuredClone(row);
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
      addTo(this.#bySid, tenantKey(row.tenantId, a.sid), row.hash);
      addTo(this.#byUser, tenantKey(row.tenantId, a.userId), row.hash);
    }
  }

  #drop(key: string, row: SessionRecord): void {
    this.#rows.delete(key);
    for (const a of row.accounts) {
      removeFrom(this.#bySid, tenantKey(row.tenantId, a.sid), row.hash);
      removeFrom(this.#byUser, tenantKey(row.tenantId, a.userId), row.hash);
    }
  }
}

function addTo(index: Map<string, Set<string>>, key: string, hash: string): void {
  const hashes = index.get(key);
  if (hashes) hashes.add(hash);
  else index.set(key, new Set([hash]));
}

function removeFrom(index: Map<string, Set<string>>, key: string, hash: string): void {
  const hashes = index.get(key);
  hashes?.delete(hash);
  if (hashes?.size === 0) index.delete(key);
}

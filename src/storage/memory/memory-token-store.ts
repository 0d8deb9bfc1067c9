import { GatehouseError } from '../../core/errors.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { TokenRecord } from '../../core/model/token.ts';
import type { GrantFilter } from '../../core/ports/grant-store.ts';
import type { ConsumeResult, TokenStore } from '../../core/ports/token-store.ts';
import type { MemoryTokenTable } from './memory-grant-store.ts';
import { tenantKey } from './memory-util.ts';

/**
 * Tokens in a Map keyed by (tenant, hash). Each method runs without an `await` between its read
 * and its write, so on one event loop it is atomic: `consume` is a true compare-and-set (S4).
 * The hashes of each user's and each client's tokens are indexed for the grant read model.
 */
export class MemoryTokenStore implements TokenStore, MemoryTokenTable {
  readonly #rows = new Map<string, TokenRecord>();
  /** tenantKey(tenant, 'u:' + userId | 'c:' + clientId) → hashes. */
  readonly #byOwner = new Map<string, Set<string>>();

  async insert(record: TokenRecord): Promise<void> {
    const key = tenantKey(record.tenantId, record.hash);
    if (this.#rows.has(key)) throw new GatehouseError('GH_CONFLICT', 'a token with this hash already exists');
    this.#rows.set(key, structuredClone(record));
    for (const owner of owners(record)) {
      const set = this.#byOwner.get(owner);
      if (set) set.add(record.hash);
      else this.#byOwner.set(owner, new Set([record.hash]));
    }
  }

  *byOwner(tenantId: TenantId, filter: GrantFilter): Iterable<TokenRecord> {
    for (const hash of this.#byOwner.get(ownerKey(tenantId, filter)) ?? []) {
      const row = this.#rows.get(tenantKey(tenantId, hash));
      if (row) yield row;
    }
  }

  revokeWhere(tenantId: TenantId, filter: GrantFilter, at: number, match: (r: TokenRecord) => boolean): TokenRecord[] {
    const hit: TokenRecord[] = [];
    for (const row of this.byOwner(tenantId, filter)) {
      if (!match(row)) continue;
      this.#rows.set(tenantKey(tenantId, row.hash), { ...row, revokedAt: at });
      hit.push(row);
    }
    return hit;
  }

  async find(tenantId: TenantId, hash: string): Promise<TokenRecord | undefined> {
    const row = this.#rows.get(tenantKey(tenantId, hash));
    return row && structuredClone(row);
  }

  async consume(tenantId: TenantId, hash: string, at: number): Promise<ConsumeResult> {
    const key = tenantKey(tenantId, hash);
    const row = this.#rows.get(key);
    if (!row) return 'not-found';
    if (row.consumedAt !== null) return 'already-consumed';
    this.#rows.set(key, { ...row, consumedAt: at });
    return 'consumed';
  }

  async revoke(tenantId: TenantId, hash: string, at: number): Promise<TokenRecord | undefined> {
    const key = tenantKey(tenantId, hash);
    const row = this.#rows.get(key);
    if (!row) return undefined;
    if (row.revokedAt === null) this.#rows.set(key, { ...row, revokedAt: at });
    return structuredClone(row);
  }

  async revokeGrant(tenantId: TenantId, grantId: string, at: number): Promise<number> {
    let n = 0;
    for (const [key, row] of this.#rows) {
      if (row.tenantId === tenantId && row.grantId === grantId && row.revokedAt === null) {
        this.#rows.set(key, { ...row, revokedAt: at });
        n++;
      }
    }
    return n;
  }

  async countActive(at: number): Promise<number> {
    let n = 0;
    for (const row of this.#rows.values()) if (row.expiresAt > at && row.revokedAt === null) n++;
    return n;
  }

  async purgeExpired(before: number): Promise<number> {
    let n = 0;
    for (const [key, row] of this.#rows) {
      if (row.expiresAt < before) {
        this.#rows.delete(key);
        for (const owner of owners(row)) {
          const set = this.#byOwner.get(owner);
          set?.delete(row.hash);
          if (set?.size === 0) this.#byOwner.delete(owner);
        }
        n++;
      }
    }
    return n;
  }
}

function ownerKey(tenantId: TenantId, filter: GrantFilter): string {
  return tenantKey(tenantId, 'userId' in filter ? `u:${filter.userId}` : `c:${filter.clientId}`);
}

function owners(r: TokenRecord): string[] {
  const keys = [ownerKey(r.tenantId, { clientId: r.clientId })];
  if (r.userId !== null) keys.push(ownerKey(r.tenantId, { userId: r.userId }));
  return keys;
}

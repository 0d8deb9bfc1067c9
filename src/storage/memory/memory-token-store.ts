import { GatehouseError } from '../../core/errors.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { TokenRecord } from '../../core/model/token.ts';
import type { ConsumeResult, TokenStore } from '../../core/ports/token-store.ts';
import { tenantKey } from './memory-util.ts';

/**
 * Tokens in a Map keyed by (tenant, hash). Each method runs without an `await` between its read
 * and its write, so on one event loop it is atomic: `consume` is a true compare-and-set (S4).
 */
export class MemoryTokenStore implements TokenStore {
  readonly #rows = new Map<string, TokenRecord>();

  async insert(record: TokenRecord): Promise<void> {
    const key = tenantKey(record.tenantId, record.hash);
    if (this.#rows.has(key)) throw new GatehouseError('GH_CONFLICT', 'a token with this hash already exists');
    this.#rows.set(key, structuredClone(record));
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
        n++;
      }
    }
    return n;
  }
}

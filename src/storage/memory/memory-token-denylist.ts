import type { TenantId } from '../../core/model/tenant.ts';
import type { TokenDenylist } from '../../core/ports/token-denylist.ts';
import { tenantKey } from './memory-util.ts';

/** Denylisted JWT ids with their expiry; `add` keeps the first entry (idempotent). */
export class MemoryTokenDenylist implements TokenDenylist {
  readonly #rows = new Map<string, number>();

  async add(tenantId: TenantId, jti: string, expiresAt: number): Promise<void> {
    const key = tenantKey(tenantId, jti);
    if (!this.#rows.has(key)) this.#rows.set(key, expiresAt);
  }

  async has(tenantId: TenantId, jti: string): Promise<boolean> {
    return this.#rows.has(tenantKey(tenantId, jti));
  }

  async purgeExpired(before: number): Promise<number> {
    let n = 0;
    for (const [key, expiresAt] of this.#rows) {
      if (expiresAt < before) {
        this.#rows.delete(key);
        n++;
      }
    }
    return n;
  }
}

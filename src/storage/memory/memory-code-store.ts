import { GatehouseError } from '../../core/errors.ts';
import type { AuthorizationCodeRecord } from '../../core/model/authorization-code.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { CodeStore, TakeResult } from '../../core/ports/code-store.ts';
import { tenantKey } from './memory-util.ts';

/** Authorization codes in a Map; `take` reads and writes with no `await` between (S4). */
export class MemoryCodeStore implements CodeStore {
  readonly #rows = new Map<string, AuthorizationCodeRecord>();

  async insert(record: AuthorizationCodeRecord): Promise<void> {
    const key = tenantKey(record.tenantId, record.hash);
    if (this.#rows.has(key)) throw new GatehouseError('GH_CONFLICT', 'a code with this hash already exists');
    this.#rows.set(key, structuredClone(record));
  }

  async find(tenantId: TenantId, hash: string): Promise<AuthorizationCodeRecord | undefined> {
    const row = this.#rows.get(tenantKey(tenantId, hash));
    return row && structuredClone(row);
  }

  async take(tenantId: TenantId, hash: string, at: number): Promise<TakeResult<AuthorizationCodeRecord>> {
    return takeOnce(this.#rows, tenantKey(tenantId, hash), at);
  }

  async purgeExpired(before: number): Promise<number> {
    return purgeBefore(this.#rows, before);
  }
}

/** The shared compare-and-set on `consumedAt` for codes and pushed requests. */
export function takeOnce<T extends { readonly consumedAt: number | null }>(rows: Map<string, T>, key: string, at: number): TakeResult<T> {
  const row = rows.get(key);
  if (!row) return { result: 'not-found' };
  if (row.consumedAt !== null) return { result: 'already-consumed', record: structuredClone(row) };
  const next = { ...row, consumedAt: at };
  rows.set(key, next);
  return { result: 'consumed', record: structuredClone(next) };
}

export function purgeBefore<T extends { readonly expiresAt: number }>(rows: Map<string, T>, before: number): number {
  let n = 0;
  for (const [key, row] of rows) {
    if (row.expiresAt < before) {
      rows.delete(key);
      n++;
    }
  }
  return n;
}

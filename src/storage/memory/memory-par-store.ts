import { GatehouseError } from '../../core/errors.ts';
import type { ParRecord } from '../../core/model/par-request.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { TakeResult } from '../../core/ports/code-store.ts';
import type { ParStore } from '../../core/ports/par-store.ts';
import { purgeBefore } from './memory-code-store.ts';
import { tenantKey } from './memory-util.ts';

/** Pushed authorization requests in a Map; `take` is synchronous, so it is one atomic step. */
export class MemoryParStore implements ParStore {
  readonly #rows = new Map<string, ParRecord>();

  async insert(record: ParRecord): Promise<void> {
    const key = tenantKey(record.tenantId, record.hash);
    if (this.#rows.has(key)) throw new GatehouseError('GH_CONFLICT', 'a pushed request with this hash already exists');
    this.#rows.set(key, structuredClone(record));
  }

  async take(tenantId: TenantId, hash: string, at: number): Promise<TakeResult<ParRecord>> {
    const key = tenantKey(tenantId, hash);
    const row = this.#rows.get(key);
    if (!row) return { result: 'not-found' };
    if (row.consumedAt !== null) return { result: 'already-consumed', record: structuredClone(row) };
    // The pushed parameters leave with the winner; the row keeps only what reuse needs.
    this.#rows.set(key, { ...row, params: {}, consumedAt: at });
    return { result: 'consumed', record: { ...row, consumedAt: at } };
  }

  async purgeExpired(before: number): Promise<number> {
    return purgeBefore(this.#rows, before);
  }
}

import { GatehouseError } from '../../core/errors.ts';
import type { ParRecord } from '../../core/model/par-request.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { TakeResult } from '../../core/ports/code-store.ts';
import type { ParStore } from '../../core/ports/par-store.ts';
import { purgeBefore, takeOnce } from './memory-code-store.ts';
import { tenantKey } from './memory-util.ts';

/** Pushed authorization requests in a Map; single use through the same `take` as codes. */
export class MemoryParStore implements ParStore {
  readonly #rows = new Map<string, ParRecord>();

  async insert(record: ParRecord): Promise<void> {
    const key = tenantKey(record.tenantId, record.hash);
    if (this.#rows.has(key)) throw new GatehouseError('GH_CONFLICT', 'a pushed request with this hash already exists');
    this.#rows.set(key, structuredClone(record));
  }

  async take(tenantId: TenantId, hash: string, at: number): Promise<TakeResult<ParRecord>> {
    return takeOnce(this.#rows, tenantKey(tenantId, hash), at);
  }

  async purgeExpired(before: number): Promise<number> {
    return purgeBefore(this.#rows, before);
  }
}

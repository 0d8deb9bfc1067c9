import { GatehouseError } from '../../core/errors.ts';
import type { DeviceCodeRecord } from '../../core/model/device-code.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { DeviceCodeStore, DeviceDecision } from '../../core/ports/device-code-store.ts';
import type { ListQuery, Page } from '../../core/ports/list.ts';
import { clampLimit } from '../list-options.ts';
import { pageOfSorted } from './memory-sorted-index.ts';
import type { ConsumeResult } from '../../core/ports/token-store.ts';
import { tenantKey } from './memory-util.ts';

/**
 * Device authorizations in a Map keyed by (tenant, device code hash), with an index on the
 * user code hash. Every state change is a check and a write with no `await` between (S4).
 */
export class MemoryDeviceCodeStore implements DeviceCodeStore {
  readonly #rows = new Map<string, DeviceCodeRecord>();
  readonly #byUserCode = new Map<string, string>();

  async insert(record: DeviceCodeRecord): Promise<void> {
    const key = tenantKey(record.tenantId, record.hash);
    const userKey = tenantKey(record.tenantId, record.userCodeHash);
    if (this.#rows.has(key)) throw new GatehouseError('GH_CONFLICT', 'a device code with this hash already exists');
    if (this.#byUserCode.has(userKey)) throw new GatehouseError('GH_CONFLICT', 'a device code with this user code already exists');
    this.#rows.set(key, structuredClone(record));
    this.#byUserCode.set(userKey, record.hash);
  }

  async findByUserCode(tenantId: TenantId, userCodeHash: string): Promise<DeviceCodeRecord | undefined> {
    const hash = this.#byUserCode.get(tenantKey(tenantId, userCodeHash));
    const row = hash === undefined ? undefined : this.#rows.get(tenantKey(tenantId, hash));
    return row && structuredClone(row);
  }

  async get(tenantId: TenantId, hash: string): Promise<DeviceCodeRecord | undefined> {
    const row = this.#rows.get(tenantKey(tenantId, hash));
    return row && structuredClone(row);
  }

  async decide(tenantId: TenantId, hash: string, decision: DeviceDecision): Promise<boolean> {
    const key = tenantKey(tenantId, hash);
    const row = this.#rows.get(key);
    if (!row || row.status !== 'pending') return false;
    this.#rows.set(
      key,
      decision.status === 'approved'
        ? { ...row, status: 'approved', auth: structuredClone(decision.auth), grantedScope: decision.grantedScope }
        : { ...row, status: 'denied' },
    );
    return true;
  }

  async poll(tenantId: TenantId, hash: string, at: number): Promise<DeviceCodeRecord | undefined> {
    const key = tenantKey(tenantId, hash);
    const row = this.#rows.get(key);
    if (!row) return undefined;
    this.#rows.set(key, { ...row, lastPolledAt: at });
    return structuredClone(row);
  }

  async slowDown(tenantId: TenantId, hash: string, step: number): Promise<void> {
    const key = tenantKey(tenantId, hash);
    const row = this.#rows.get(key);
    if (row) this.#rows.set(key, { ...row, interval: row.interval + step });
  }

  async consume(tenantId: TenantId, hash: string): Promise<ConsumeResult> {
    const key = tenantKey(tenantId, hash);
    const row = this.#rows.get(key);
    if (!row) return 'not-found';
    if (row.status !== 'approved') return 'already-consumed';
    this.#rows.set(key, { ...row, status: 'consumed' });
    return 'consumed';
  }

  async purgeExpired(before: number): Promise<number> {
    let n = 0;
    for (const [key, row] of this.#rows) {
      if (row.expiresAt < before) {
        this.#rows.delete(key);
        this.#byUserCode.delete(tenantKey(row.tenantId, row.userCodeHash));
        n++;
      }
    }
    return n;
  }

  async pagePending(tenantId: TenantId, now: number, q: ListQuery<'issued_at'>): Promise<Page<DeviceCodeRecord>> {
    const prefix = q.q === undefined || q.q === '' ? undefined : q.q;
    const rows = [...this.#rows.values()].filter(
      (r) => r.tenantId === tenantId && r.status === 'pending' && r.expiresAt > now && (prefix === undefined || r.clientId.startsWith(prefix)),
    );
    return pageOfSorted(
      rows.map((r) => structuredClone(r)),
      (r) => ({ k: r.issuedAt, id: r.hash }),
      { ...q, limit: clampLimit(q.limit) },
    );
  }
}

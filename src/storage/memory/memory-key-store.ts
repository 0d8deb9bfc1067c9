import { GatehouseError } from '../../core/errors.ts';
import type { SigningKeyRecord } from '../../core/model/key.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { KeyStore, RotateCommand } from '../../core/ports/key-store.ts';
import { tenantKey } from './memory-util.ts';

/**
 * Signing keys. Like the SQL adapter, it holds at most one `active` and one `next` key per
 * (tenant, alg): a second one is a conflict. `rotate` checks and writes with no `await` between.
 */
export class MemoryKeyStore implements KeyStore {
  readonly #rows = new Map<string, SigningKeyRecord>();

  async list(tenantId: TenantId): Promise<SigningKeyRecord[]> {
    return [...this.#rows.values()]
      .filter((k) => k.tenantId === tenantId)
      .sort((a, b) => a.createdAt - b.createdAt || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0))
      .map((k) => structuredClone(k));
  }

  async insert(key: SigningKeyRecord): Promise<void> {
    if (this.#rows.has(tenantKey(key.tenantId, key.kid))) {
      throw new GatehouseError('GH_CONFLICT', `signing key ${key.kid} already exists`);
    }
    if (key.status !== 'retired' && this.#find(key.tenantId, key.alg, key.status)) {
      throw new GatehouseError('GH_CONFLICT', `an ${key.status} ${key.alg} key already exists`);
    }
    this.#rows.set(tenantKey(key.tenantId, key.kid), structuredClone(key));
  }

  async reseal(tenantId: TenantId, kid: string, expected: string, sealed: string): Promise<boolean> {
    const row = this.#rows.get(tenantKey(tenantId, kid));
    if (!row || row.privateJwkEncrypted !== expected) return false;
    this.#put({ ...row, privateJwkEncrypted: sealed });
    return true;
  }

  async rotate(cmd: RotateCommand): Promise<boolean> {
    const active = this.#find(cmd.tenantId, cmd.alg, 'active');
    // Compare-and-set: only the caller that saw the current active key may rotate it.
    if ((active?.kid ?? null) !== cmd.expectedActiveKid) return false;
    if (this.#rows.has(tenantKey(cmd.tenantId, cmd.newNext.kid))) return false;
    const next = this.#find(cmd.tenantId, cmd.alg, 'next');
    if (active) this.#put({ ...active, status: 'retired', retiresAt: cmd.retiresAt });
    if (next) this.#put({ ...next, status: 'active', activatedAt: cmd.at });
    this.#put({ ...structuredClone(cmd.newNext), tenantId: cmd.tenantId, status: 'next' });
    return true;
  }

  async purgeRetired(tenantId: TenantId, before: number): Promise<number> {
    let n = 0;
    for (const [key, k] of this.#rows) {
      if (k.tenantId === tenantId && k.status === 'retired' && k.retiresAt !== null && k.retiresAt < before) {
        this.#rows.delete(key);
        n++;
      }
    }
    return n;
  }

  #find(tenantId: TenantId, alg: string, status: SigningKeyRecord['status']): SigningKeyRecord | undefined {
    for (const k of this.#rows.values()) if (k.tenantId === tenantId && k.alg === alg && k.status === status) return k;
    return undefined;
  }

  #put(k: SigningKeyRecord): void {
    this.#rows.set(tenantKey(k.tenantId, k.kid), k);
  }
}

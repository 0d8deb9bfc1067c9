import type { SigningKeyRecord } from '../model/key.ts';
import type { TenantId } from '../model/tenant.ts';

export interface RotateCommand {
  readonly tenantId: TenantId;
  readonly alg: string;
  /** The kid the caller believes is active now (compare-and-set guard); null if none. */
  readonly expectedActiveKid: string | null;
  /** Brand-new key to publish as `next`. */
  readonly newNext: SigningKeyRecord;
  readonly at: number;
  /** When the previously active key leaves the JWKS. */
  readonly retiresAt: number;
}

/**
 * Signing keys (private parts encrypted under the KEK).
 * Adapters guarantee: `rotate` is one transaction: if the active key for `alg` is still
 * `expectedActiveKid`, then current `next` → `active`, current `active` → `retired` (with
 * `retiresAt`), `newNext` inserted; otherwise nothing changes and it returns false. Two instances
 * rotating at once therefore rotate once. `insert` fails with `GH_CONFLICT` (GatehouseError) on a
 * duplicate kid or on a second `active` or `next` key for one (tenant, alg), and writes nothing.
 */
export interface KeyStore {
  list(tenantId: TenantId): Promise<SigningKeyRecord[]>;
  insert(key: SigningKeyRecord): Promise<void>;
  rotate(cmd: RotateCommand): Promise<boolean>;
  /**
   * Replaces a key's sealed private JWK (a KEK rotation) if it is still `expected`: one
   * compare-and-set, so a concurrent re-seal or rotation is never overwritten. False when the key
   * is gone or holds something else.
   */
  reseal(tenantId: TenantId, kid: string, expected: string, sealed: string): Promise<boolean>;
  /** Deletes retired keys whose `retiresAt` is before `before`; returns how many. */
  purgeRetired(tenantId: TenantId, before: number): Promise<number>;
}

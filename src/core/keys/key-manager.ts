// STUB — replaced by the keys work (helper B). Signatures are the contract.
import type { Clock } from '../ports/clock.ts';
import type { KeyStore } from '../ports/key-store.ts';
import type { EventPublisher } from '../events.ts';
import type { SigningAlg, SigningKeyRecord } from '../model/key.ts';
import type { TenantId } from '../model/tenant.ts';
import type { JsonWebKeySet, JwtSigner, KeyRing, VerifiedJwt } from './key-ring.ts';
import { GatehouseError } from '../errors.ts';

export interface KeyManagerDeps {
  readonly keyStore: KeyStore;
  readonly clock: Clock;
  readonly events: EventPublisher;
  readonly kek: Buffer;
  readonly tenantId: TenantId;
}

export interface KeyManagerConfig {
  readonly keys: { readonly algorithms: readonly SigningAlg[]; readonly rotationInterval: number; readonly gracePeriod: number; readonly refreshInterval: number };
}

export class KeyManager implements KeyRing {
  readonly ready = false;
  constructor(deps: KeyManagerDeps, _config: KeyManagerConfig) { void deps; }
  /** Loads keys; generates `active` + `next` for any configured alg that has none. */
  async init(): Promise<void> { throw new GatehouseError('GH_NOT_IMPLEMENTED', 'KeyManager.init'); }
  /** Reloads keys from the store (called every keys.refreshInterval). */
  async refresh(): Promise<void> { throw new GatehouseError('GH_NOT_IMPLEMENTED', 'KeyManager.refresh'); }
  /** Rotates `algs` (default: all configured). Returns the new state. */
  async rotate(_algs?: readonly SigningAlg[]): Promise<SigningKeyRecord[]> { throw new GatehouseError('GH_NOT_IMPLEMENTED', 'KeyManager.rotate'); }
  /** Starts the refresh timer and, when configured, the rotation schedule (timers are unref'd). */
  start(): void {}
  stop(): void {}
  list(): readonly SigningKeyRecord[] { return []; }
  signer(_alg: SigningAlg): JwtSigner { throw new GatehouseError('GH_KEYS_NOT_LOADED', 'keys not loaded'); }
  jwks(): JsonWebKeySet { return { keys: [] }; }
  verify(_token: string): VerifiedJwt | null { return null; }
}

// STUB — replaced by the storage work (helper A). Signature is the contract.
import type { Storage } from '../core/ports/storage.ts';
import { GatehouseError } from '../core/errors.ts';

export interface StorageOptions {
  readonly poolSize?: number;
}

/**
 * Opens the store named by a database URL: `memory:`, `sqlite:PATH` / `sqlite::memory:`,
 * `postgres://…` / `postgresql://…`, `mysql://…` / `mariadb://…`. Drivers load lazily (S16).
 */
export async function createStorage(url: string, _opts: StorageOptions = {}): Promise<Storage> {
  throw new GatehouseError('GH_NOT_IMPLEMENTED', `storage for ${url}`);
}

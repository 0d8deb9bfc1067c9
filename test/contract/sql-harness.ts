// Builds the contract-suite harness for a SQL backend reachable through a database URL.
import { createStorage } from '../../src/storage/create-storage.ts';
import { testClock, type FreshDatabase, type StorageHarness } from './harness.ts';

export interface SqlBackend {
  readonly url: string;
  /** A new, empty database of the same kind. */
  fresh(): Promise<{ url: string; drop(): Promise<void> }>;
}

export async function sqlHarness(backend: SqlBackend): Promise<StorageHarness & { close(): Promise<void> }> {
  const clock = testClock();
  const storage = await createStorage(backend.url, { clock, poolSize: 4 });
  await storage.migrate();
  const peer = await createStorage(backend.url, { clock, poolSize: 4 });
  return {
    storage,
    peer,
    clock,
    async freshDatabase(): Promise<FreshDatabase> {
      const db = await backend.fresh();
      return { open: () => createStorage(db.url, { clock, poolSize: 4 }), drop: db.drop };
    },
    async close() {
      await Promise.all([storage.close(), peer.close()]);
    },
  };
}

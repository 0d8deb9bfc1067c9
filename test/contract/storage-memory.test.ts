// Runs every storage contract suite against the in-memory adapter (S14).
import { after, before, describe } from 'node:test';
import { createMemoryStorage } from '../../src/storage/memory/memory-storage.ts';
import { storageContracts } from './all-contracts.ts';
import { testClock, type StorageHarness } from './harness.ts';

describe('memory storage', () => {
  let h: StorageHarness;
  before(() => {
    const clock = testClock();
    const storage = createMemoryStorage({ clock });
    h = {
      storage,
      clock,
      peer: storage, // one process, one map: the "other instance" is the same object
      freshDatabase: async () => {
        const fresh = createMemoryStorage({ clock });
        return { open: async () => fresh, drop: async () => {} };
      },
    };
  });
  after(() => h.storage.close());
  storageContracts(() => h);
});

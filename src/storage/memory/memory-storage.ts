import { GatehouseError } from '../../core/errors.ts';
import { systemClock, type Clock } from '../../core/ports/clock.ts';
import type { Storage } from '../../core/ports/storage.ts';
import { MemoryClientStore } from './memory-client-store.ts';
import { MemoryKeyStore } from './memory-key-store.ts';
import { MemoryReplayCache } from './memory-replay-cache.ts';
import { MemoryTokenDenylist } from './memory-token-denylist.ts';
import { MemoryTokenStore } from './memory-token-store.ts';

export interface MemoryStorageOptions {
  /** Decides when a replay-cache entry has expired (tests inject a fake clock). */
  readonly clock?: Clock;
}

/**
 * A process-local store with the same guarantees as the SQL adapter (it passes the same contract
 * suites): atomic consume/useOnce/rotate, conflicts on duplicates, copies in and out.
 * State lives as long as the object; nothing is shared between instances.
 */
export function createMemoryStorage(opts: MemoryStorageOptions = {}): Storage {
  let closed = false;
  return {
    dialect: 'memory',
    clients: new MemoryClientStore(),
    tokens: new MemoryTokenStore(),
    denylist: new MemoryTokenDenylist(),
    replay: new MemoryReplayCache(opts.clock ?? systemClock),
    keys: new MemoryKeyStore(),
    async migrate() {
      return { applied: [] };
    },
    async ping() {
      if (closed) throw new GatehouseError('GH_STORE_UNAVAILABLE', 'memory storage is closed');
    },
    async close() {
      closed = true;
    },
  };
}

import { GatehouseError } from '../../core/errors.ts';
import { systemClock, type Clock } from '../../core/ports/clock.ts';
import type { Storage } from '../../core/ports/storage.ts';
import { MemoryAuditStore } from './memory-audit-store.ts';
import { MemoryClientStore } from './memory-client-store.ts';
import { MemoryCodeStore } from './memory-code-store.ts';
import { MemoryConsentStore } from './memory-consent-store.ts';
import { MemoryDeviceCodeStore } from './memory-device-code-store.ts';
import { MemoryGrantStore } from './memory-grant-store.ts';
import { MemoryKeyStore } from './memory-key-store.ts';
import { MemoryOutboxStore } from './memory-outbox-store.ts';
import { MemoryParStore } from './memory-par-store.ts';
import { MemoryReplayCache } from './memory-replay-cache.ts';
import { MemorySessionStore } from './memory-session-store.ts';
import { MemoryTokenDenylist } from './memory-token-denylist.ts';
import { MemoryTokenStore } from './memory-token-store.ts';
import { MemoryUserStore } from './memory-user-store.ts';

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
  const tokens = new MemoryTokenStore();
  const sessions = new MemorySessionStore();
  const clients = new MemoryClientStore();
  const users = new MemoryUserStore();
  const grants = new MemoryGrantStore(tokens);
  const denylist = new MemoryTokenDenylist();
  const consents = new MemoryConsentStore();
  const outbox = new MemoryOutboxStore();
  const audit = new MemoryAuditStore();
  const tx = { clients, users, tokens, grants, consents, userSessions: sessions, denylist, outbox, audit };
  return {
    dialect: 'memory',
    clients,
    tokens,
    grants,
    denylist,
    replay: new MemoryReplayCache(opts.clock ?? systemClock),
    keyStore: new MemoryKeyStore(),
    users,
    sessions,
    userSessions: sessions,
    consents,
    codes: new MemoryCodeStore(),
    deviceCodes: new MemoryDeviceCodeStore(),
    par: new MemoryParStore(),
    outbox,
    audit,
    // No rollback, no durability: the work runs on these maps directly (docs/architecture.md).
    unitOfWork: { atomic: false, run: (work) => work(tx) },
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

import { GatehouseError } from '../core/errors.ts';
import type { Storage } from '../core/ports/storage.ts';
import type { DependencyPolicy, Refusal } from './policy.ts';
import { DeadlineExceededError } from './deadlines.ts';

/**
 * How each store call is guarded:
 * - `read`: changes nothing, so giving up on it is always safe: the read deadline
 *   (`resilience.store.timeoutMs`), the breaker and the bulkhead.
 * - `write`: the write deadline (`writeTimeoutMs`, longer), the breaker and the bulkhead. Giving
 *   up does not undo it: the caller answers 503 while the write may still commit. Every port write
 *   is atomic on its own (one statement or one transaction, S4), so it lands whole or not at all;
 *   a write that timed out while still queued in the bulkhead is never started.
 * - `background`: purges and counts run by maintenance and metrics scrapes; long by nature and
 *   not on a request path, they have their own limits and must not open the request breaker.
 *
 * A mapped type over the ports: a port method added without a line here fails the type-check.
 */
type Kind = 'read' | 'write' | 'background';
type PortName = Exclude<keyof Storage, 'migrate' | 'ping' | 'close' | 'dialect' | 'unitOfWork'>;
type CallTable = { readonly [P in PortName]: { readonly [M in keyof Storage[P]]: Kind } };

export const STORE_CALLS: CallTable = {
  clients: { create: 'write', get: 'read', page: 'read', update: 'write', delete: 'write', resealSecret: 'background' },
  tokens: { insert: 'write', find: 'read', consume: 'write', revoke: 'write', revokeGrant: 'write', countActive: 'background', purgeExpired: 'background' },
  grants: { listGrants: 'read', revokeByUser: 'write', revokeByClient: 'write' },
  denylist: { add: 'write', has: 'read', purgeExpired: 'background' },
  replay: { useOnce: 'write', purgeExpired: 'background' },
  keyStore: { list: 'read', insert: 'write', rotate: 'write', reseal: 'background', purgeRetired: 'background' },
  users: { create: 'write', get: 'read', findByUsername: 'read', update: 'write', page: 'read', delete: 'write' },
  sessions: {
    create: 'write',
    get: 'read',
    findBySid: 'read',
    addClient: 'write',
    update: 'write',
    delete: 'write',
    purgeExpired: 'background',
  },
  userSessions: { pageByUser: 'read', endSid: 'write' },
  consents: { get: 'read', put: 'write', pageByUser: 'read', delete: 'write', deleteByUser: 'write', deleteByClient: 'write' },
  codes: { insert: 'write', find: 'read', take: 'write', purgeExpired: 'background' },
  deviceCodes: {
    insert: 'write',
    findByUserCode: 'read',
    get: 'read',
    decide: 'write',
    poll: 'write',
    consume: 'write',
    slowDown: 'write',
    purgeExpired: 'background',
    pagePending: 'read',
  },
  par: { insert: 'write', take: 'write', purgeExpired: 'background' },
  // The relay and the bus → outbox writer run off the request path with their own retries,
  // batching and buffer (docs/events.md): an outbox stall must not open the request breaker.
  // Operator mutations append one record each (their own path, not a token request's); verify,
  // listing and retention walk the chain in the background.
  audit: { append: 'write', head: 'read', list: 'background', latestCheckpoint: 'background', purge: 'background' },
  outbox: {
    append: 'background',
    claim: 'background',
    settle: 'background',
    stats: 'background',
    recent: 'background',
    deadLetters: 'background',
    purgeSettled: 'background',
  },
};

/** What each dialect gets wrapped: nothing for memory, writes only for SQLite, everything else for servers. */
export function guardedKinds(dialect: Storage['dialect']): ReadonlySet<Kind> {
  switch (dialect) {
    // In-process maps: nothing can hang or be unreachable.
    case 'memory':
      return new Set();
    // better-sqlite3 reads run synchronously on this thread: no timer can fire and no slot is ever
    // contended while one runs, so a wrapper would only cost. Writes go to the writer thread and
    // can wait on another process's lock (busy_timeout): those are guarded.
    case 'sqlite':
      return new Set(['write']);
    case 'postgres':
    case 'mysql':
      return new Set(['read', 'write']);
  }
}

/** The breaker counts a timeout and "store unreachable"; a conflict or a missing row is an answer, not a failure. */
export function isStoreFailure(e: unknown): boolean {
  return e instanceof DeadlineExceededError || (e instanceof GatehouseError && e.code === 'GH_STORE_UNAVAILABLE');
}

export function describeStoreFailure(e: unknown): string {
  return e instanceof DeadlineExceededError ? 'timeout' : 'unavailable';
}

const WHY: Record<Refusal, string> = {
  circuit_open: 'store circuit breaker open',
  bulkhead_full: 'too many store calls waiting',
  timeout: 'store call timed out',
};

/** The existing 503 of the HTTP layer (`temporarily_unavailable`) and of the admin API. */
export function storeRefusal(why: Refusal): Error {
  return new GatehouseError('GH_STORE_UNAVAILABLE', WHY[why]);
}

type AnyFn = (...args: never[]) => Promise<unknown>;

/**
 * Runs every store call of the kinds the dialect needs through `policy`: one wrapper object per
 * port, built once at startup (no Proxy, nothing allocated per call beyond the call's own closure).
 * Calls left unguarded are the adapter's own bound methods, at no cost.
 */
export function guardStorage(storage: Storage, policy: DependencyPolicy, kinds: ReadonlySet<Kind> = guardedKinds(storage.dialect)): Storage {
  if (kinds.size === 0) return storage;
  const wrapPort = <P extends PortName>(name: P): Storage[P] => {
    const port = storage[name] as unknown as Record<string, AnyFn>;
    const out: Record<string, AnyFn> = {};
    for (const [method, kind] of Object.entries(STORE_CALLS[name]) as [string, Kind][]) {
      const fn = port[method]!.bind(port) as (...args: unknown[]) => Promise<unknown>;
      if (!kinds.has(kind)) out[method] = fn;
      else if (kind === 'write') out[method] = (...args: unknown[]) => policy.executeWrite(() => fn(...args));
      else out[method] = (...args: unknown[]) => policy.execute(() => fn(...args));
    }
    return out as unknown as Storage[P];
  };
  return {
    dialect: storage.dialect,
    clients: wrapPort('clients'),
    tokens: wrapPort('tokens'),
    grants: wrapPort('grants'),
    denylist: wrapPort('denylist'),
    replay: wrapPort('replay'),
    keyStore: wrapPort('keyStore'),
    users: wrapPort('users'),
    sessions: wrapPort('sessions'),
    userSessions: wrapPort('userSessions'),
    consents: wrapPort('consents'),
    codes: wrapPort('codes'),
    deviceCodes: wrapPort('deviceCodes'),
    par: wrapPort('par'),
    outbox: wrapPort('outbox'),
    audit: wrapPort('audit'),
    // A unit of work is not wrapped: a deadline that gave up on it could not undo its commit, and
    // its work is an operator's (never a token request's). The calls inside run in its transaction.
    unitOfWork: storage.unitOfWork,
    migrate: () => storage.migrate(),
    ping: () => storage.ping(),
    close: () => storage.close(),
  };
}

import type { Config } from '../config/schema.ts';
import type { EventPublisher } from '../core/events.ts';
import type { Storage } from '../core/ports/storage.ts';
import { DeadlineExceededError } from './deadlines.ts';
import { createOutboundGuard, type OutboundGuard } from './outbound-guard.ts';
import { createPolicy, type BreakerState, type DependencyPolicy, type Refusal } from './policy.ts';
import { describeStoreFailure, guardStorage, isStoreFailure, storeRefusal } from './store-guard.ts';

export type { BreakerState, DependencyPolicy } from './policy.ts';
export type { OutboundGuard } from './outbound-guard.ts';

/** What a Redis call through `resilience.redis` rejects with when the policy refuses or gives up. */
export class DependencyUnavailableError extends Error {
  readonly dependency: string;
  readonly why: Refusal;
  constructor(dependency: string, why: Refusal) {
    super(`${dependency} unavailable: ${why.replace('_', ' ')}`);
    this.name = 'DependencyUnavailableError';
    this.dependency = dependency;
    this.why = why;
  }
}

/** Breakers that are not closed, by dependency; `critical` ones make the instance unready. */
export interface BreakerReport {
  readonly dependency: string;
  readonly state: Exclude<BreakerState, 'closed'>;
  readonly critical: boolean;
  /** `outbound`: how many destinations have a breaker that is not closed. */
  readonly hosts?: number;
}

/**
 * The named policies of one process, built once from `resilience.*` by the composition root:
 * - `store`: every store call of a server database (`guardStorage`); critical: while its breaker
 *   is open, `/ready` answers 503.
 * - `redis`: for the Redis adapters (`resilience.redis.execute(() => redis.get(key))`); not
 *   critical, since limits fall back to memory and replay caches to the store while Redis is out.
 * - `outbound`: the guarded fetcher's per-destination breakers and bulkheads; not critical (one
 *   relying party's outage must not take the server out of its load balancer).
 */
export interface Resilience {
  readonly store: DependencyPolicy;
  readonly redis: DependencyPolicy;
  readonly outbound: OutboundGuard;
  /** The store with every call the dialect needs guarded by `store` (see store-guard.ts). */
  guardStorage(storage: Storage): Storage;
  /** Breakers not closed now (for `/ready`). */
  breakers(): BreakerReport[];
}

export interface ResilienceDeps {
  readonly events: EventPublisher;
  readonly log: (level: 'warn' | 'error', message: string) => void;
}

/** ioredis reply errors (WRONGTYPE, …) are answers; everything else (closed connection, timeout) is an outage. */
function isRedisFailure(e: unknown): boolean {
  return e instanceof DeadlineExceededError || (e instanceof Error && e.name !== 'ReplyError');
}

export function createResilience(config: Pick<Config, 'resilience'>, deps: ResilienceDeps): Resilience {
  const r = config.resilience;
  const store = createPolicy('store', r.store, {
    ...deps,
    isFailure: isStoreFailure,
    describe: describeStoreFailure,
    refuse: storeRefusal,
  });
  const redis = createPolicy('redis', r.redis, {
    ...deps,
    isFailure: isRedisFailure,
    describe: (e) => (e instanceof DeadlineExceededError ? 'timeout' : 'unavailable'),
    refuse: (why, dependency) => new DependencyUnavailableError(dependency, why),
  });
  const outbound = createOutboundGuard(r.outbound, deps);
  return {
    store,
    redis,
    outbound,
    guardStorage: (storage) => guardStorage(storage, store),
    breakers() {
      const out: BreakerReport[] = [];
      for (const [p, critical] of [
        [store, true],
        [redis, false],
      ] as const) {
        if (p.state !== 'closed') out.push({ dependency: p.dependency, state: p.state, critical });
      }
      // Destinations are summed up: their names are in the logs and events, not on a public probe.
      const hosts = outbound.openHosts();
      if (hosts.length > 0) {
        const state = hosts.some((h) => h.state === 'open') ? 'open' : 'half_open';
        out.push({ dependency: 'outbound', state, critical: false, hosts: hosts.length });
      }
      return out;
    },
  };
}

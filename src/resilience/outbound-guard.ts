import { OutboundError } from '../core/ports/outbound-http.ts';
import { createPolicy, type BreakerState, type DependencyPolicy, type PolicyHooks, type PolicySettings, type Refusal } from './policy.ts';

export interface OutboundGuardSettings {
  readonly maxConcurrentPerHost: number;
  readonly maxQueuePerHost: number;
  readonly maxHosts: number;
  readonly breaker: PolicySettings['breaker'];
}

/**
 * A breaker and a bulkhead per destination (origin: scheme, host, port). One dead relying party
 * (its `jwks_uri` or `backchannel_logout_uri` hanging) opens only its own breaker: its calls then
 * fail fast as `circuit_open` while every other client is served as before. The time limits are
 * the fetcher's (`outbound.connectTimeoutMs`, `outbound.timeoutMs`). Only transport failures
 * count (`timeout`, `network`): a refused address, a redirect or an oversized body is the
 * destination's answer, not an outage. Destinations are kept up to `maxHosts`; past it the oldest
 * closed ones are forgotten (an open breaker is kept while it is open).
 */
export interface OutboundGuard {
  run<T>(origin: string, call: () => Promise<T>): Promise<T>;
  /** Destinations whose breaker is not closed. */
  openHosts(): { origin: string; state: BreakerState }[];
}

const TRANSPORT = new Set(['timeout', 'network']);

export function isOutboundFailure(e: unknown): boolean {
  return e instanceof OutboundError && TRANSPORT.has(e.reason);
}

const REASON: Record<Refusal, 'circuit_open' | 'overloaded' | 'timeout'> = { circuit_open: 'circuit_open', bulkhead_full: 'overloaded', timeout: 'timeout' };

export function createOutboundGuard(s: OutboundGuardSettings, hooks: Omit<PolicyHooks, 'isFailure' | 'describe' | 'refuse'>): OutboundGuard {
  const hosts = new Map<string, DependencyPolicy>();
  const settings: PolicySettings = { timeoutMs: 0, maxConcurrent: s.maxConcurrentPerHost, maxQueue: s.maxQueuePerHost, breaker: s.breaker };
  const policyHooks: PolicyHooks = {
    ...hooks,
    isFailure: isOutboundFailure,
    describe: (e) => (e instanceof OutboundError ? e.reason : 'failed'),
    refuse: (why, dependency) => new OutboundError(REASON[why], `${dependency}: ${why.replace('_', ' ')}`),
  };

  function forget(): void {
    for (const [origin, p] of hosts) {
      if (hosts.size < s.maxHosts) return;
      if (p.state === 'closed') hosts.delete(origin);
    }
  }

  return {
    run(origin, call) {
      let p = hosts.get(origin);
      if (!p) {
        if (hosts.size >= s.maxHosts) forget();
        p = createPolicy(`outbound:${origin}`, settings, policyHooks);
        hosts.set(origin, p);
      }
      return p.execute(call);
    },
    openHosts() {
      const out: { origin: string; state: BreakerState }[] = [];
      for (const [origin, p] of hosts) if (p.state !== 'closed') out.push({ origin, state: p.state });
      return out;
    },
  };
}

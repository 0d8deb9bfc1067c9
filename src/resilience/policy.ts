import {
  BrokenCircuitError,
  BulkheadPolicy,
  BulkheadRejectedError,
  CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  handleWhen,
  IsolatedCircuitError,
  SamplingBreaker,
  bulkhead,
  circuitBreaker,
} from 'cockatiel';
import type { EventPublisher } from '../core/events.ts';
import { DeadlineExceededError, Deadlines } from './deadlines.ts';
import type { BreakerSettings } from '../config/resilience-schema.ts';

export type BreakerState = 'closed' | 'open' | 'half_open';

export type { BreakerSettings };

export interface PolicySettings {
  /** 0: no deadline (the caller has its own, e.g. the outbound fetcher's). */
  readonly timeoutMs: number;
  /** A second, longer deadline for calls run with `executeWrite` (0: none); defaults to `timeoutMs`. */
  readonly writeTimeoutMs?: number;
  readonly maxConcurrent: number;
  readonly maxQueue: number;
  readonly breaker: BreakerSettings;
}

/** Why a policy refused or gave up on a call (the caller turns it into its own error). */
export type Refusal = 'circuit_open' | 'bulkhead_full' | 'timeout';

export interface PolicyHooks {
  /** Which failures count against the breaker (a timeout always does; a bulkhead refusal never). */
  readonly isFailure: (e: unknown) => boolean;
  /** A short, safe label for a counted failure (events and logs: never a raw driver message). */
  readonly describe: (e: unknown) => string;
  /** The error the caller sees when the policy refuses or times out. */
  readonly refuse: (why: Refusal, dependency: string) => Error;
  readonly events: EventPublisher;
  readonly log: (level: 'warn' | 'error', message: string) => void;
}

/**
 * One dependency's protection: a circuit breaker (cockatiel) around a deadline around a bulkhead
 * (cockatiel). The breaker is outermost so a timeout counts as a failure; the bulkhead innermost so
 * a call that timed out keeps its slot until the dependency really answers (the slot stands for
 * a connection still busy), and a call that timed out while queued is never started.
 */
export interface DependencyPolicy {
  readonly dependency: string;
  execute<T>(fn: () => Promise<T>): Promise<T>;
  /** Like `execute`, with the write deadline. */
  executeWrite<T>(fn: () => Promise<T>): Promise<T>;
  readonly state: BreakerState;
}

const STATE: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half_open',
  [CircuitState.Isolated]: 'open',
};

export function createBreaker(s: BreakerSettings, isFailure: (e: unknown) => boolean): CircuitBreakerPolicy {
  const breaker =
    s.kind === 'consecutive'
      ? new ConsecutiveBreaker(s.consecutiveFailures)
      : new SamplingBreaker({ threshold: s.failureRatio, duration: s.windowMs, minimumRps: s.minimumRps });
  // A full bulkhead is load, not an outage, while closed. But a half-open probe refused by it has
  // proven nothing (the slots are still held by calls the dependency has not answered): cockatiel
  // would count any unhandled error as a passed probe and close the breaker, so it re-opens it.
  const policy: CircuitBreakerPolicy = circuitBreaker(
    handleWhen((e) => e instanceof DeadlineExceededError || isFailure(e) || (e instanceof BulkheadRejectedError && policy.state === CircuitState.HalfOpen)),
    { halfOpenAfter: s.halfOpenAfterMs, breaker },
  );
  return policy;
}

export function createPolicy(dependency: string, settings: PolicySettings, hooks: PolicyHooks): DependencyPolicy {
  const breaker = createBreaker(settings.breaker, hooks.isFailure);
  const slots: BulkheadPolicy = bulkhead(settings.maxConcurrent, settings.maxQueue);
  const reads = settings.timeoutMs > 0 ? new Deadlines(settings.timeoutMs) : null;
  const writeMs = settings.writeTimeoutMs ?? settings.timeoutMs;
  const writes = writeMs === settings.timeoutMs ? reads : writeMs > 0 ? new Deadlines(writeMs) : null;

  // A breaker transition publishes its event and logs once.
  breaker.onBreak((reason) => {
    const why = !('error' in reason) ? 'failed' : reason.error instanceof BulkheadRejectedError ? 'saturated' : hooks.describe(reason.error);
    hooks.events.publish('breaker.opened', { dependency, reason: why });
    hooks.log('warn', `circuit breaker for ${dependency} opened (${why}): calls fail fast for ${settings.breaker.halfOpenAfterMs} ms, then one probe`);
  });
  // The gauge's half-open value (gatehouse_breaker_state 2) comes from this event.
  breaker.onHalfOpen(() => hooks.events.publish('breaker.half_opened', { dependency }));
  breaker.onReset(() => {
    hooks.events.publish('breaker.closed', { dependency });
    hooks.log('warn', `circuit breaker for ${dependency} closed: the probe succeeded`);
  });

  const refusal = (e: unknown): unknown => {
    if (e instanceof BrokenCircuitError || e instanceof IsolatedCircuitError) return hooks.refuse('circuit_open', dependency);
    if (e instanceof BulkheadRejectedError) return hooks.refuse('bulkhead_full', dependency);
    if (e instanceof DeadlineExceededError) return hooks.refuse('timeout', dependency);
    return e;
  };
  const late = (): Promise<never> => Promise.reject(new DeadlineExceededError(0));

  function run<T>(deadlines: Deadlines | null, fn: () => Promise<T>): Promise<T> {
    const guarded = deadlines
      ? breaker.execute(() => deadlines.run((d) => slots.execute(() => (d.expired ? late() : fn()))))
      : breaker.execute(() => slots.execute(fn));
    return guarded.catch((e: unknown) => {
      throw refusal(e);
    });
  }

  return {
    dependency,
    execute: (fn) => run(reads, fn),
    executeWrite: (fn) => run(writes, fn),
    get state() {
      return STATE[breaker.state];
    },
  };
}

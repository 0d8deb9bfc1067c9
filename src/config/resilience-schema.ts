import { z } from 'zod';

/**
 * `resilience.*` (issue #9 part 2): timeouts, circuit breakers and bulkheads per dependency, and
 * load shedding. Documented in docs/operations.md "Resilience and overload"; every default here is
 * explained there (S20).
 */
/** A circuit breaker's settings (the shape of every `resilience.*.breaker`; src/resilience builds cockatiel's breaker from it). */
export interface BreakerSettings {
  readonly kind: 'sampling' | 'consecutive';
  readonly failureRatio: number;
  readonly windowMs: number;
  readonly minimumRps: number;
  readonly consecutiveFailures: number;
  readonly halfOpenAfterMs: number;
}

const breakerSchema = (d: BreakerSettings) =>
  z
    .object({
      kind: z
        .enum(['sampling', 'consecutive'])
        .default(d.kind)
        .describe(
          '`sampling`: opens when more than `failureRatio` of the calls within `windowMs` failed (and at least `minimumRps` calls per second were made): right for busy dependencies, where a few consecutive failures mean little. `consecutive`: opens after `consecutiveFailures` failures in a row: right for rarely called ones.',
        ),
      failureRatio: z.number().gt(0).lt(1).default(d.failureRatio).describe('Sampling breaker: share of failed calls within the window that opens it.'),
      windowMs: z.number().int().min(1000).max(600_000).default(d.windowMs).describe('Sampling breaker: the window, in milliseconds.'),
      minimumRps: z
        .number()
        .gt(0)
        .default(d.minimumRps)
        .describe('Sampling breaker: below this many calls per second over the window it never opens (timeouts still bound every call).'),
      consecutiveFailures: z.number().int().min(1).max(1000).default(d.consecutiveFailures).describe('Consecutive breaker: failures in a row that open it.'),
      halfOpenAfterMs: z
        .number()
        .int()
        .min(100)
        .max(600_000)
        .default(d.halfOpenAfterMs)
        .describe(
          'Cool-down of an open breaker, in milliseconds: calls fail fast until then; the next call is the half-open probe (success closes, failure re-opens).',
        ),
    })
    .strict()
    .prefault({});

export const resilienceSchema = z
  .object({
    store: z
      .object({
        timeoutMs: z
          .number()
          .int()
          .min(0)
          .max(60_000)
          .default(2000)
          .describe(
            'Longest a store read may take, in milliseconds, before the request answers 503 `temporarily_unavailable`; 0 = no limit. PostgreSQL and MariaDB/MySQL only: SQLite reads run synchronously in the process and are not wrapped.',
          ),
        writeTimeoutMs: z
          .number()
          .int()
          .min(0)
          .max(60_000)
          .default(5000)
          .describe(
            'Longest a store write may take, in milliseconds; 0 = no limit. A write that timed out may still commit (each port write is atomic on its own: it lands whole or not at all); one still waiting for a bulkhead slot is never started.',
          ),
        maxConcurrent: z
          .number()
          .int()
          .min(1)
          .max(10_000)
          .default(64)
          .describe('Bulkhead: store calls running at once (above `database.poolSize` they wait in the driver pool, still within their timeout).'),
        maxQueue: z
          .number()
          .int()
          .min(0)
          .max(100_000)
          .default(256)
          .describe('Bulkhead: store calls that may wait for a slot; beyond it a call fails at once with 503 instead of queueing.'),
        breaker: breakerSchema({ kind: 'sampling', failureRatio: 0.5, windowMs: 10_000, minimumRps: 5, consecutiveFailures: 5, halfOpenAfterMs: 5000 }),
      })
      .strict()
      .prefault({}),
    redis: z
      .object({
        timeoutMs: z.number().int().min(0).max(60_000).default(500).describe('Longest a Redis command may take, in milliseconds; 0 = no limit.'),
        maxConcurrent: z.number().int().min(1).max(100_000).default(256).describe('Bulkhead: Redis commands in flight at once.'),
        maxQueue: z.number().int().min(0).max(100_000).default(1024).describe('Bulkhead: Redis commands that may wait for a slot.'),
        breaker: breakerSchema({ kind: 'sampling', failureRatio: 0.5, windowMs: 10_000, minimumRps: 5, consecutiveFailures: 5, halfOpenAfterMs: 5000 }),
      })
      .strict()
      .prefault({}),
    outbound: z
      .object({
        maxConcurrentPerHost: z
          .number()
          .int()
          .min(1)
          .max(1000)
          .default(8)
          .describe(
            'Bulkhead per destination (scheme, host and port): outbound requests to one destination at once. The time limits are `outbound.connectTimeoutMs` and `outbound.timeoutMs`.',
          ),
        maxQueuePerHost: z.number().int().min(0).max(10_000).default(32).describe('Bulkhead per destination: requests that may wait for a slot.'),
        maxHosts: z
          .number()
          .int()
          .min(1)
          .max(100_000)
          .default(1000)
          .describe('Destinations whose breaker and bulkhead are kept; past it the oldest closed ones are forgotten.'),
        breaker: breakerSchema({ kind: 'consecutive', failureRatio: 0.5, windowMs: 60_000, minimumRps: 1, consecutiveFailures: 3, halfOpenAfterMs: 30_000 }),
      })
      .strict()
      .prefault({}),
    shed: z
      .object({
        maxEventLoopDelayMs: z
          .number()
          .int()
          .min(0)
          .max(60_000)
          .default(1000)
          .describe('Shed load (503 `temporarily_unavailable`) while the mean event-loop delay over the last sample passes this, in milliseconds; 0 = off.'),
        maxInFlight: z
          .number()
          .int()
          .min(0)
          .max(1_000_000)
          .default(1000)
          .describe('Shed load while this many requests are being handled at once (health, readiness and metrics not counted); 0 = off.'),
        maxHeapUsedBytes: z.number().int().min(0).default(0).describe('Shed load while the V8 heap in use passes this many bytes; 0 = off.'),
        maxRssBytes: z
          .number()
          .int()
          .min(0)
          .default(0)
          .describe('Shed load while the resident set size passes this many bytes (set it to about 85 % of the container memory limit); 0 = off.'),
        sampleIntervalMs: z.number().int().min(10).max(60_000).default(1000).describe('How often event-loop delay, heap and RSS are sampled, in milliseconds.'),
        retryAfter: z.number().int().min(1).max(3600).default(5).describe('`Retry-After` of a shed request, in seconds.'),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

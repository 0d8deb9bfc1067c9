import { Counter, Gauge, type Registry } from 'prom-client';
import type { EventBus } from '../core/events.ts';

/**
 * A label value from another module's free text (a limit policy, a dependency or sink name):
 * short lowercase identifiers pass, anything else is `other`, so a typo or an attacker-chosen
 * value never becomes a new time series.
 */
export function boundedName(value: string | null | undefined): string {
  return value && /^[a-z][a-z0-9_.:-]{0,47}$/.test(value) ? value : 'other';
}

const SIGNIN_FAILURE_REASONS = new Set(['unknown_user', 'wrong_password', 'disabled', 'no_password']);
const SHED_REASONS = new Set(['event_loop_delay', 'in_flight', 'heap', 'rss']);

/** Breaker states as gauge values: closed 0, open 1, half-open 2. */
export const BREAKER_STATE = { closed: 0, open: 1, half_open: 2 } as const;

/**
 * Counters and gauges fed by the operations events (#9, S15): sign-ins by reason, rate-limit
 * rejections by policy, limiter backend degradation, breaker state per dependency, shed
 * requests, the audit chain head and dead-lettered events. Returns the unsubscribe functions.
 */
export function operationsMetrics(events: Pick<EventBus, 'on'>, registers: Registry[], now: () => number): (() => void)[] {
  const signins = new Counter({
    name: 'gatehouse_signins_total',
    help: 'Password sign-ins, by result (succeeded, failed) and failure reason.',
    labelNames: ['result', 'reason'] as const,
    registers,
  });
  const limited = new Counter({
    name: 'gatehouse_rate_limit_hits_total',
    help: 'Requests refused with 429 by a rate-limit policy.',
    labelNames: ['policy'] as const,
    registers,
  });
  const degraded = new Gauge({
    name: 'gatehouse_rate_limit_backend_degraded',
    help: '1 while the shared (Redis) limiter is unreachable and limits count per instance in memory, else 0.',
    labelNames: ['backend'] as const,
    registers,
  });
  degraded.set({ backend: 'redis' }, 0);
  const breakerState = new Gauge({
    name: 'gatehouse_breaker_state',
    help: 'Circuit breaker state per dependency: 0 closed, 1 open, 2 half-open.',
    labelNames: ['dependency'] as const,
    registers,
  });
  const breakerOpened = new Counter({
    name: 'gatehouse_breaker_opened_total',
    help: 'Times a circuit breaker opened, per dependency.',
    labelNames: ['dependency'] as const,
    registers,
  });
  const shed = new Counter({
    name: 'gatehouse_requests_shed_total',
    help: 'Requests refused with 503 because the process was overloaded, by reason.',
    labelNames: ['reason'] as const,
    registers,
  });
  const auditSeq = new Gauge({
    name: 'gatehouse_audit_head_seq',
    help: 'Sequence number of the newest audit record at the last published chain head.',
    registers,
  });
  const auditAt = new Gauge({
    name: 'gatehouse_audit_head_published_timestamp_seconds',
    help: 'Unix time at which this instance last published the audit chain head.',
    registers,
  });

  return [
    events.on('user.authenticated', () => signins.inc({ result: 'succeeded', reason: 'ok' })),
    events.on('user.authentication_failed', (e) => signins.inc({ result: 'failed', reason: SIGNIN_FAILURE_REASONS.has(e.reason) ? e.reason : 'other' })),
    events.on('rate_limit.hit', (e) => limited.inc({ policy: boundedName(e.policy) })),
    events.on('rate_limit.backend_changed', (e) => degraded.set({ backend: boundedName(e.backend) }, e.state === 'degraded' ? 1 : 0)),
    events.on('breaker.opened', (e) => {
      const dependency = boundedName(e.dependency);
      breakerState.set({ dependency }, BREAKER_STATE.open);
      breakerOpened.inc({ dependency });
    }),
    events.on('breaker.half_opened', (e) => breakerState.set({ dependency: boundedName(e.dependency) }, BREAKER_STATE.half_open)),
    events.on('breaker.closed', (e) => breakerState.set({ dependency: boundedName(e.dependency) }, BREAKER_STATE.closed)),
    events.on('request.shed', (e) => shed.inc({ reason: SHED_REASONS.has(e.reason) ? e.reason : 'other' })),
    events.on('audit.head_published', (e) => {
      auditSeq.set(e.seq);
      auditAt.set(Math.floor(now() / 1000));
    }),
  ];
}

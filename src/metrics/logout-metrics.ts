import { Counter, type Registry } from 'prom-client';
import type { EventBus } from '../core/events.ts';

/** `reason` label of failed back-channel deliveries: fixed codes, HTTP statuses by class. */
export function backchannelFailureLabel(reason: string): string {
  const http = /^http_([1-5])\d\d$/.exec(reason);
  if (http) return `http_${http[1]}xx`;
  return [
    'timeout',
    'network',
    'expired',
    'sign_failed',
    'shutdown',
    'overloaded',
    'refused_address',
    'not_https',
    'redirect',
    'too_large',
    'invalid_url',
    'circuit_open',
  ].includes(reason)
    ? reason
    : 'other';
}

/**
 * Logout counters fed by the event bus (S15): `gatehouse_logouts_total` (event
 * `logout.completed`) and `gatehouse_backchannel_logouts_total` by `result` and `reason` (events
 * `backchannel_logout.delivered` / `.failed`). Returns the unsubscribe functions.
 */
export function logoutMetrics(events: Pick<EventBus, 'on'>, registers: Registry[]): (() => void)[] {
  const logouts = new Counter({
    name: 'gatehouse_logouts_total',
    help: 'Browser sessions ended at the end-session endpoint (RP-Initiated Logout).',
    registers,
  });
  const backchannel = new Counter({
    name: 'gatehouse_backchannel_logouts_total',
    help: 'Back-channel Logout Tokens delivered or given up, by result and reason.',
    labelNames: ['result', 'reason'] as const,
    registers,
  });
  return [
    events.on('logout.completed', () => logouts.inc()),
    events.on('backchannel_logout.delivered', () => backchannel.inc({ result: 'delivered', reason: 'ok' })),
    events.on('backchannel_logout.failed', (e) => backchannel.inc({ result: 'failed', reason: backchannelFailureLabel(e.reason) })),
  ];
}

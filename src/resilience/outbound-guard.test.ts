import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventBus, type EventMap } from '../core/events.ts';
import { OutboundError } from '../core/ports/outbound-http.ts';
import { createOutboundGuard, isOutboundFailure } from './outbound-guard.ts';

const BREAKER = { kind: 'consecutive', failureRatio: 0.5, windowMs: 10_000, minimumRps: 1, consecutiveFailures: 2, halfOpenAfterMs: 60_000 } as const;

function guard(maxHosts = 10) {
  const events = new EventBus();
  const opened: EventMap['breaker.opened'][] = [];
  events.on('breaker.opened', (e) => opened.push(e));
  return { g: createOutboundGuard({ maxConcurrentPerHost: 2, maxQueuePerHost: 0, maxHosts, breaker: BREAKER }, { events, log: () => {} }), opened };
}

const timeout = () => Promise.reject(new OutboundError('timeout'));
const reason = (r: string) => (e: unknown) => e instanceof OutboundError && e.reason === r;

test('outbound guard: only transport failures count (timeout, network); a refused address or a redirect is an answer', () => {
  assert.equal(isOutboundFailure(new OutboundError('timeout')), true);
  assert.equal(isOutboundFailure(new OutboundError('network')), true);
  for (const r of ['refused_address', 'redirect', 'too_large', 'not_https', 'invalid_url', 'http_status'] as const)
    assert.equal(isOutboundFailure(new OutboundError(r)), false, r);
});

test('outbound guard: a destination failing twice opens its own breaker (circuit_open, nothing called); other destinations still run', async () => {
  const { g, opened } = guard();
  for (let i = 0; i < 2; i++) await assert.rejects(g.run('https://dead.example', timeout), reason('timeout'));
  let called = false;
  await assert.rejects(
    g.run('https://dead.example', async () => {
      called = true;
    }),
    reason('circuit_open'),
  );
  assert.equal(called, false);
  assert.equal(await g.run('https://alive.example', async () => 'ok'), 'ok');
  assert.deepEqual(opened, [{ dependency: 'outbound:https://dead.example', reason: 'timeout' }]);
  assert.deepEqual(g.openHosts(), [{ origin: 'https://dead.example', state: 'open' }]);
});

test('outbound guard: past maxHosts the oldest closed destinations are forgotten, an open one is kept', async () => {
  const { g } = guard(3);
  for (let i = 0; i < 2; i++) await assert.rejects(g.run('https://dead.example', timeout), reason('timeout'));
  for (const h of ['a', 'b', 'c', 'd', 'e']) await g.run(`https://${h}.example`, async () => h);
  assert.deepEqual(g.openHosts(), [{ origin: 'https://dead.example', state: 'open' }], 'the open breaker survived the eviction');
  await assert.rejects(
    g.run('https://dead.example', async () => 'x'),
    reason('circuit_open'),
  );
});

test('outbound guard: requests to one destination beyond its bulkhead are refused as overloaded', async () => {
  const { g } = guard();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const held = [g.run('https://slow.example', () => gate), g.run('https://slow.example', () => gate)];
  await assert.rejects(
    g.run('https://slow.example', async () => 'x'),
    reason('overloaded'),
  );
  assert.equal(await g.run('https://other.example', async () => 'ok'), 'ok');
  release();
  await Promise.all(held);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatehouseError } from '../core/errors.ts';
import { EventBus, type EventMap } from '../core/events.ts';
import { createPolicy, type PolicySettings } from './policy.ts';
import { describeStoreFailure, isStoreFailure, storeRefusal } from './store-guard.ts';

const BREAKER = { kind: 'consecutive', failureRatio: 0.5, windowMs: 10_000, minimumRps: 5, consecutiveFailures: 2, halfOpenAfterMs: 150 } as const;

function storePolicy(over: Partial<PolicySettings> = {}) {
  const events = new EventBus();
  const seen: { opened: EventMap['breaker.opened'][]; closed: EventMap['breaker.closed'][] } = { opened: [], closed: [] };
  events.on('breaker.opened', (e) => seen.opened.push(e));
  events.on('breaker.closed', (e) => seen.closed.push(e));
  const logs: string[] = [];
  const policy = createPolicy(
    'store',
    { timeoutMs: 60, maxConcurrent: 4, maxQueue: 4, breaker: BREAKER, ...over },
    { events, log: (_l, m) => logs.push(m), isFailure: isStoreFailure, describe: describeStoreFailure, refuse: storeRefusal },
  );
  return { policy, seen, logs };
}

const hang = () => new Promise<never>(() => {});
const unavailable = (e: unknown) => e instanceof GatehouseError && e.code === 'GH_STORE_UNAVAILABLE';

test('resilience: a call that hangs fails with GH_STORE_UNAVAILABLE soon after the timeout', async () => {
  const { policy } = storePolicy({ timeoutMs: 50 });
  const started = performance.now();
  await assert.rejects(policy.execute(hang), (e: unknown) => unavailable(e) && /timed out/.test((e as Error).message));
  const took = performance.now() - started;
  assert.ok(took >= 45 && took < 300, `took ${took} ms`);
});

test('resilience: the breaker opens after the configured failures, then fails fast without calling the store, publishing breaker.opened and logging once', async () => {
  const { policy, seen, logs } = storePolicy();
  for (let i = 0; i < 2; i++) await assert.rejects(policy.execute(hang), unavailable);
  assert.equal(policy.state, 'open');
  let called = 0;
  const started = performance.now();
  await assert.rejects(
    policy.execute(async () => {
      called++;
    }),
    (e: unknown) => unavailable(e) && /breaker open/.test((e as Error).message),
  );
  assert.ok(performance.now() - started < 20, 'fails fast');
  assert.equal(called, 0);
  assert.deepEqual(seen.opened, [{ dependency: 'store', reason: 'timeout' }]);
  assert.equal(logs.filter((l) => l.includes('opened')).length, 1);
});

test('resilience: after the cool-down one probe runs; its success closes the breaker and publishes breaker.closed', async () => {
  const { policy, seen } = storePolicy();
  for (let i = 0; i < 2; i++) await assert.rejects(policy.execute(hang), unavailable);
  await new Promise((r) => setTimeout(r, 170));
  assert.equal(await policy.execute(async () => 'ok'), 'ok');
  assert.equal(policy.state, 'closed');
  assert.deepEqual(seen.closed, [{ dependency: 'store' }]);
});

test('resilience: a failed probe opens the breaker again', async () => {
  const { policy, seen } = storePolicy();
  for (let i = 0; i < 2; i++) await assert.rejects(policy.execute(hang), unavailable);
  await new Promise((r) => setTimeout(r, 170));
  await assert.rejects(policy.execute(hang), unavailable);
  assert.equal(policy.state, 'open');
  assert.equal(seen.opened.length, 2);
  assert.equal(seen.closed.length, 0);
});

test('resilience: answers that are not outages (a conflict) pass through unchanged and never open the breaker', async () => {
  const { policy } = storePolicy();
  const conflict = new GatehouseError('GH_CONFLICT', 'exists');
  for (let i = 0; i < 5; i++)
    await assert.rejects(
      policy.execute(() => Promise.reject(conflict)),
      (e: unknown) => e === conflict,
    );
  assert.equal(policy.state, 'closed');
});

test('resilience: the bulkhead refuses calls beyond maxConcurrent + maxQueue at once, without counting them as failures', async () => {
  const { policy } = storePolicy({ timeoutMs: 300, maxConcurrent: 2, maxQueue: 1 });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const held = [1, 2, 3].map(() => policy.execute(() => gate));
  const started = performance.now();
  await assert.rejects(
    policy.execute(async () => 'never'),
    (e: unknown) => unavailable(e) && /too many/.test((e as Error).message),
  );
  assert.ok(performance.now() - started < 20, 'refused at once');
  release();
  await Promise.all(held);
  assert.equal(policy.state, 'closed');
});

test('resilience: a call that timed out while queued in the bulkhead is never started (a write that timed out there never happens)', async () => {
  const { policy } = storePolicy({ timeoutMs: 40, maxConcurrent: 1, maxQueue: 1, breaker: { ...BREAKER, consecutiveFailures: 100 } });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const first = policy.execute(() => gate);
  let started = false;
  const queued = policy.executeWrite(async () => {
    started = true;
  });
  await assert.rejects(first, unavailable);
  await assert.rejects(queued, unavailable);
  release();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(started, false);
});

test('resilience: writes get their own, longer deadline', async () => {
  const { policy } = storePolicy({ timeoutMs: 30, writeTimeoutMs: 150, breaker: { ...BREAKER, consecutiveFailures: 100 } });
  const slow = () => new Promise((r) => setTimeout(() => r('done'), 80));
  await assert.rejects(policy.execute(slow), unavailable);
  assert.equal(await policy.executeWrite(slow), 'done');
});

test('resilience: fifty concurrent hung calls all fail within one timeout and a tick', async () => {
  const { policy } = storePolicy({ timeoutMs: 40, maxConcurrent: 100, maxQueue: 0, breaker: { ...BREAKER, consecutiveFailures: 1000 } });
  const started = performance.now();
  const results = await Promise.allSettled(Array.from({ length: 50 }, () => policy.execute(hang)));
  assert.equal(results.filter((r) => r.status === 'rejected' && unavailable(r.reason)).length, 50);
  assert.ok(performance.now() - started < 250, 'all within the deadline plus a sweep tick');
});

test('resilience: a half-open probe refused by a bulkhead still full of unanswered calls re-opens the breaker instead of closing it', async () => {
  const { policy, seen } = storePolicy({ timeoutMs: 30, maxConcurrent: 2, maxQueue: 0 });
  // Two timed-out calls open the breaker and still hold both slots (never answered).
  await Promise.all([assert.rejects(policy.execute(hang), unavailable), assert.rejects(policy.execute(hang), unavailable)]);
  assert.equal(policy.state, 'open');
  await new Promise((r) => setTimeout(r, 170));
  await assert.rejects(
    policy.execute(async () => 'probe'),
    unavailable,
  );
  assert.equal(policy.state, 'open');
  assert.equal(seen.closed.length, 0);
  assert.deepEqual(seen.opened.at(-1), { dependency: 'store', reason: 'saturated' });
});

test('resilience: while closed, a full bulkhead never opens the breaker (load is not an outage)', async () => {
  const { policy } = storePolicy({ timeoutMs: 1000, maxConcurrent: 1, maxQueue: 0 });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const held = policy.execute(() => gate);
  for (let i = 0; i < 10; i++)
    await assert.rejects(
      policy.execute(async () => 'x'),
      unavailable,
    );
  assert.equal(policy.state, 'closed');
  release();
  await held;
});

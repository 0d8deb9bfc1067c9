import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatehouseError } from '../core/errors.ts';
import { EventBus } from '../core/events.ts';
import type { Storage } from '../core/ports/storage.ts';
import { createMemoryStorage } from '../storage/memory/memory-storage.ts';
import { createPolicy } from './policy.ts';
import { STORE_CALLS, describeStoreFailure, guardStorage, guardedKinds, isStoreFailure, storeRefusal } from './store-guard.ts';

const BREAKER = { kind: 'consecutive', failureRatio: 0.5, windowMs: 10_000, minimumRps: 5, consecutiveFailures: 1, halfOpenAfterMs: 60_000 } as const;

/** A store policy whose breaker is already open: every guarded call fails fast, unguarded ones still run. */
async function openPolicy() {
  const policy = createPolicy(
    'store',
    { timeoutMs: 20, maxConcurrent: 4, maxQueue: 4, breaker: BREAKER },
    { events: new EventBus(), log: () => {}, isFailure: isStoreFailure, describe: describeStoreFailure, refuse: storeRefusal },
  );
  await policy.execute(() => new Promise<never>(() => {})).catch(() => {});
  assert.equal(policy.state, 'open');
  return policy;
}

const unavailable = (e: unknown) => e instanceof GatehouseError && e.code === 'GH_STORE_UNAVAILABLE';

test('store guard: the memory store is returned as it is (nothing in it can hang)', () => {
  const storage = createMemoryStorage();
  assert.equal(guardStorage(storage, {} as never), storage);
});

test('store guard: which calls each dialect guards', () => {
  assert.deepEqual([...guardedKinds('memory')], []);
  assert.deepEqual([...guardedKinds('sqlite')], ['write']);
  assert.deepEqual([...guardedKinds('postgres')].sort(), ['read', 'write']);
  assert.deepEqual([...guardedKinds('mysql')].sort(), ['read', 'write']);
});

test('store guard (PostgreSQL/MariaDB): reads and writes fail fast with GH_STORE_UNAVAILABLE while the breaker is open; background purges still run', async () => {
  const storage = guardStorage(createMemoryStorage(), await openPolicy(), guardedKinds('postgres'));
  await assert.rejects(storage.clients.get('default', 'c'), unavailable);
  await assert.rejects(storage.tokens.find('default', 'h'), unavailable);
  await assert.rejects(storage.denylist.add('default', 'j', 1), unavailable);
  await assert.rejects(storage.codes.take('default', 'h', 1), unavailable);
  assert.equal(await storage.tokens.purgeExpired(0), 0);
  assert.equal(await storage.tokens.countActive(0), 0);
  await storage.ping();
});

test('store guard (SQLite): reads run unguarded (synchronous in-process), writes go through the policy', async () => {
  const storage = guardStorage(createMemoryStorage(), await openPolicy(), guardedKinds('sqlite'));
  assert.equal(await storage.clients.get('default', 'c'), undefined);
  assert.equal(await storage.tokens.find('default', 'h'), undefined);
  await assert.rejects(storage.denylist.add('default', 'j', 1), unavailable);
  await assert.rejects(storage.tokens.consume('default', 'h', 1), unavailable);
});

test('store guard: every method of every port is classified and reachable through the guarded store', async () => {
  const raw = createMemoryStorage();
  const storage = guardStorage(raw, await openPolicy(), guardedKinds('postgres'));
  for (const [port, methods] of Object.entries(STORE_CALLS)) {
    for (const method of Object.keys(methods)) {
      const fn = (storage as unknown as Record<string, Record<string, unknown>>)[port]![method];
      assert.equal(typeof fn, 'function', `${port}.${method}`);
      assert.equal(typeof (raw as unknown as Record<string, Record<string, unknown>>)[port]![method], 'function', `${port}.${method} exists on the adapter`);
    }
  }
  const ports = Object.keys(STORE_CALLS).sort();
  // The unit of work passes through unwrapped (a deadline could not undo its commit).
  const all = (Object.keys(raw) as (keyof Storage)[]).filter((k) => typeof raw[k] === 'object' && k !== 'unitOfWork').sort();
  assert.deepEqual(ports, all);
  assert.equal(storage.unitOfWork, raw.unitOfWork);
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryRateLimiter } from './memory-rate-limiter.ts';

describe('MemoryRateLimiter (rate-limiter-flexible, fixed window)', () => {
  test('allows `limit` attempts per window, then refuses with the seconds left; refused attempts count', async (t) => {
    t.mock.timers.enable({ apis: ['Date', 'setTimeout'], now: 1_700_000_040_000 });
    const rl = new MemoryRateLimiter();
    for (let i = 1; i <= 3; i++) assert.deepEqual(await rl.hit('k', 3, 60), { allowed: true, retryAfter: 0, count: i });
    t.mock.timers.tick(20_000);
    assert.deepEqual(await rl.hit('k', 3, 60), { allowed: false, retryAfter: 40, count: 4 });
    assert.equal((await rl.hit('other', 3, 60)).allowed, true, 'keys are counted separately');
  });

  test('windows follow the injected clock (S14)', async () => {
    let now = 1_700_000_040_000;
    const rl = new MemoryRateLimiter({ clock: { now: () => now } });
    await rl.hit('k', 1, 60);
    assert.deepEqual(await rl.hit('k', 1, 60), { allowed: false, retryAfter: 60, count: 2 });
    now += 61_000;
    assert.equal((await rl.hit('k', 1, 60)).allowed, true);
  });

  test('a new window opens when the previous one has ended, and the expired key is dropped', async (t) => {
    t.mock.timers.enable({ apis: ['Date', 'setTimeout'], now: 1_700_000_040_000 });
    const rl = new MemoryRateLimiter();
    await rl.hit('k', 1, 10);
    assert.equal((await rl.hit('k', 1, 10)).allowed, false);
    t.mock.timers.tick(10_001);
    assert.deepEqual(await rl.hit('k', 1, 10), { allowed: true, retryAfter: 0, count: 1 });
    t.mock.timers.tick(20_001);
    assert.equal(rl.size, 0, 'expired windows are evicted, so memory stays bounded');
  });

  test('reset forgets a key; resetPrefix forgets every key under a prefix and nothing else', async () => {
    const rl = new MemoryRateLimiter();
    await rl.hit('k', 1, 60);
    assert.equal((await rl.hit('k', 1, 60)).allowed, false);
    await rl.reset('k', 60);
    assert.equal((await rl.hit('k', 1, 60)).allowed, true);
    for (const k of ['u:alice:1', 'u:alice:2', 'u:alicia:1']) await rl.hit(k, 1, 60);
    assert.equal(await rl.resetPrefix('u:alice:'), 2);
    assert.equal((await rl.hit('u:alicia:1', 1, 60)).allowed, false);
    assert.equal((await rl.hit('u:alice:1', 1, 60)).count, 1);
  });

  test('refund takes back one counted attempt, never below zero, never after the window', async (t) => {
    t.mock.timers.enable({ apis: ['Date', 'setTimeout'], now: 1_700_000_040_000 });
    const rl = new MemoryRateLimiter();
    await rl.hit('k', 2, 60);
    await rl.hit('k', 2, 60);
    await rl.refund('k', 60);
    assert.equal((await rl.hit('k', 2, 60)).allowed, true, 'the refunded attempt is free again');
    await rl.refund('none', 60);
    assert.equal(rl.size, 1, 'a refund opens no window');
    await rl.refund('k', 60);
    await rl.refund('k', 60);
    await rl.refund('k', 60);
    assert.equal((await rl.hit('k', 2, 60)).count, 1, 'never below zero');
  });

  test('concurrent hits are each counted exactly once', async () => {
    const rl = new MemoryRateLimiter();
    const results = await Promise.all(Array.from({ length: 10 }, () => rl.hit('k', 4, 60)));
    assert.equal(results.filter((r) => r.allowed).length, 4);
  });
});

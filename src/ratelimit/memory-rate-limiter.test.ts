import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryRateLimiter } from './memory-rate-limiter.ts';

function movableClock(start = 1_700_000_000_000) {
  let t = start;
  return { now: () => t, advance: (seconds: number) => { t += seconds * 1000; } };
}

describe('MemoryRateLimiter (fixed window)', () => {
  test('allows `limit` attempts per window, then refuses with the seconds left', async () => {
    const clock = movableClock();
    const rl = new MemoryRateLimiter({ clock });
    for (let i = 0; i < 3; i++) assert.deepEqual(await rl.hit('k', 3, 60), { allowed: true, retryAfter: 0 });
    clock.advance(20);
    assert.deepEqual(await rl.hit('k', 3, 60), { allowed: false, retryAfter: 40 });
    assert.equal((await rl.hit('other', 3, 60)).allowed, true, 'keys are counted separately');
  });

  test('a new window opens when the previous one has ended', async () => {
    const clock = movableClock();
    const rl = new MemoryRateLimiter({ clock });
    await rl.hit('k', 1, 10);
    assert.equal((await rl.hit('k', 1, 10)).allowed, false);
    clock.advance(10);
    assert.deepEqual(await rl.hit('k', 1, 10), { allowed: true, retryAfter: 0 });
  });

  test('reset forgets a key after a success', async () => {
    const rl = new MemoryRateLimiter({ clock: movableClock() });
    await rl.hit('k', 1, 60);
    assert.equal((await rl.hit('k', 1, 60)).allowed, false);
    await rl.reset('k');
    assert.equal((await rl.hit('k', 1, 60)).allowed, true);
  });

  test('concurrent hits are each counted exactly once', async () => {
    const rl = new MemoryRateLimiter({ clock: movableClock() });
    const results = await Promise.all(Array.from({ length: 10 }, () => rl.hit('k', 4, 60)));
    assert.equal(results.filter((r) => r.allowed).length, 4);
  });

  test('expired windows are evicted, so memory stays bounded', async () => {
    const clock = movableClock();
    const rl = new MemoryRateLimiter({ clock });
    for (let i = 0; i < 50; i++) await rl.hit(`k${i}`, 5, 30);
    assert.equal(rl.size, 50);
    clock.advance(31);
    await rl.hit('fresh', 5, 30);
    assert.equal(rl.size, 1);
  });

  test('never holds more than maxKeys windows; the oldest goes first', async () => {
    const clock = movableClock();
    const rl = new MemoryRateLimiter({ clock, maxKeys: 3 });
    await rl.hit('a', 1, 60);
    await rl.hit('a', 1, 60);
    for (const k of ['b', 'c', 'd']) await rl.hit(k, 1, 60);
    assert.equal(rl.size, 3);
    assert.equal((await rl.hit('d', 1, 60)).allowed, false, 'the newest window is kept');
    assert.equal((await rl.hit('a', 1, 60)).allowed, true, 'the oldest window was dropped');
  });
});

test('check answers without counting: blocked once limit attempts were counted in the window', async () => {
  let now = 0;
  const rl = new MemoryRateLimiter({ clock: { now: () => now } });
  assert.equal((await rl.check('k', 2)).allowed, true, 'unknown key');
  await rl.hit('k', 2, 60);
  assert.equal((await rl.check('k', 2)).allowed, true);
  assert.equal((await rl.check('k', 2)).allowed, true, 'check does not count');
  await rl.hit('k', 2, 60);
  const r = await rl.check('k', 2);
  assert.equal(r.allowed, false);
  assert.ok(r.retryAfter > 0 && r.retryAfter <= 60);
  now += 61_000;
  assert.equal((await rl.check('k', 2)).allowed, true, 'a new window');
});

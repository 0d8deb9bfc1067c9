// RateLimiter contract (src/core/ports/rate-limiter.ts), run against every adapter (S14):
// memory and Redis (test/contract/rate-limiter.test.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RateLimiter } from '../../src/core/ports/rate-limiter.ts';
import type { TestClock } from './harness.ts';

export interface RateLimiterHarness {
  readonly limiter: RateLimiter;
  /** Another instance on the same backend (memory: the same object). */
  readonly peer: RateLimiter;
  readonly clock: TestClock;
}

/** Each test gets fresh counters (Redis: a new random key prefix). */
export type MakeRateLimiter = () => Promise<RateLimiterHarness>;

/** A clock on a minute boundary, so window arithmetic in the tests is exact. */
export const ALIGNED_START_MS = 1_750_000_020_000;

export function rateLimiterContract(make: MakeRateLimiter): void {
  describe('RateLimiter', () => {
    test('fixed window: `limit` attempts are allowed, then refused with the seconds left; refused attempts count', async () => {
      const { limiter, clock } = await make();
      for (let i = 1; i <= 3; i++) assert.deepEqual(await limiter.hit('k', 3, 60), { allowed: true, retryAfter: 0, count: i });
      clock.advance(20);
      assert.deepEqual(await limiter.hit('k', 3, 60), { allowed: false, retryAfter: 40, count: 4 });
      assert.equal((await limiter.hit('k', 3, 60)).count, 5, 'a refused attempt is still counted');
      assert.deepEqual(await limiter.hit('other', 3, 60), { allowed: true, retryAfter: 0, count: 1 }, 'keys are counted separately');
    });

    test('windows follow the injected clock: a new window opens when the previous one ended', async () => {
      const { limiter, clock } = await make();
      await limiter.hit('k', 1, 60);
      assert.equal((await limiter.hit('k', 1, 60)).allowed, false);
      clock.advance(60);
      assert.deepEqual(await limiter.hit('k', 1, 60), { allowed: true, retryAfter: 0, count: 1 });
    });

    test('S4: concurrent hits from two instances are each counted exactly once', async () => {
      const { limiter, peer } = await make();
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? peer : limiter).hit('race', 4, 60)));
      assert.equal(results.filter((r) => r.allowed).length, 4);
      assert.deepEqual(
        results.map((r) => r.count).sort((a, b) => a - b),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      );
    });

    test('peek says what the current window holds and counts nothing', async () => {
      const { limiter, peer, clock } = await make();
      assert.equal(await limiter.peek('k', 60), 0);
      await limiter.hit('k', 5, 60);
      await peer.hit('k', 5, 60);
      assert.equal(await limiter.peek('k', 60), 2);
      assert.equal(await peer.peek('k', 60), 2, 'instances see one count');
      assert.equal((await limiter.hit('k', 5, 60)).count, 3, 'peeking counted nothing');
      clock.advance(60);
      assert.equal(await limiter.peek('k', 60), 0, 'a new window holds nothing');
    });

    test('refund takes back one attempt of the current window, never below zero, never opening a window', async () => {
      const { limiter, clock } = await make();
      await limiter.hit('k', 2, 60);
      await limiter.hit('k', 2, 60);
      await limiter.refund('k', 60);
      assert.deepEqual(await limiter.hit('k', 2, 60), { allowed: true, retryAfter: 0, count: 2 }, 'the refunded attempt is free again');
      await limiter.refund('none', 60);
      assert.equal(await limiter.peek('none', 60), 0, 'a refund opens no window');
      assert.equal((await limiter.hit('none', 1, 60)).count, 1);
      await Promise.all([limiter.refund('k', 60), limiter.refund('k', 60), limiter.refund('k', 60)]);
      assert.equal((await limiter.hit('k', 2, 60)).count, 1, 'never below zero, also when refunds race');
      clock.advance(60);
      await limiter.refund('k', 60);
      assert.equal(await limiter.peek('k', 60), 0, 'a refund after the window does nothing');
    });

    test('reset forgets a key in its window and nothing else (not its other windows, not keys that start with it)', async () => {
      const { limiter, clock } = await make();
      await limiter.hit('k', 1, 60);
      await limiter.hit('k', 1, 10);
      await limiter.hit('k2', 1, 60);
      await limiter.hit('k:sub', 1, 60);
      await limiter.reset('k', 60);
      assert.equal((await limiter.hit('k', 1, 60)).allowed, true);
      assert.equal((await limiter.hit('k', 1, 10)).allowed, false, 'another window length is another counter');
      assert.equal((await limiter.hit('k2', 1, 60)).allowed, false, 'a key that merely starts with it stays');
      assert.equal((await limiter.hit('k:sub', 1, 60)).allowed, false);
      clock.advance(1);
    });

    test('resetPrefix forgets every key under the prefix, says how many, and nothing else; glob characters are literal', async () => {
      const { limiter, peer } = await make();
      for (const k of ['u:alice:1', 'u:alice:2', 'u:alicia:1', 'u:al*:1']) await limiter.hit(k, 1, 60);
      assert.equal(await peer.resetPrefix('u:alice:'), 2);
      assert.equal((await limiter.hit('u:alicia:1', 1, 60)).allowed, false);
      assert.equal((await limiter.hit('u:alice:1', 1, 60)).count, 1);
      assert.equal(await limiter.resetPrefix('u:al*'), 1, 'only the key that really starts with "u:al*"');
      assert.equal((await limiter.hit('u:alicia:1', 1, 60)).allowed, false);
    });
  });
}

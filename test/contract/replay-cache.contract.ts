// ReplayCache contract (src/core/ports/replay-cache.ts), run against every adapter (S14).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { all, type GetHarness } from './harness.ts';

export function replayCacheContract(h: GetHarness): void {
  describe('ReplayCache', () => {
    test('RFC 7523 §3 item 7: a jti is accepted once, then refused until it expires', async () => {
      const { storage, clock } = h();
      const key = `client-1:${randomUUID()}`;
      const exp = clock.seconds() + 60;
      assert.equal(await storage.replay.useOnce(key, exp), true);
      assert.equal(await storage.replay.useOnce(key, exp), false);
      assert.equal(await storage.replay.useOnce(`${key}-other`, exp), true);
    });

    test('S4 useOnce: exactly one of 10 concurrent callers wins, across instances', async () => {
      const { storage, peer, clock } = h();
      const key = `race:${randomUUID()}`;
      const exp = clock.seconds() + 60;
      const results = await all(Array.from({ length: 10 }, (_, i) => (i % 2 ? peer : storage).replay.useOnce(key, exp)));
      assert.equal(results.filter(Boolean).length, 1, `results: ${results.join(',')}`);
    });

    test('an expired leftover does not block a new use of the same key', async () => {
      const { storage, peer, clock } = h();
      const key = `exp:${randomUUID()}`;
      assert.equal(await storage.replay.useOnce(key, clock.seconds() + 30), true);
      clock.advance(29);
      assert.equal(await storage.replay.useOnce(key, clock.seconds() + 30), false);
      clock.advance(1); // now == expiresAt: the entry has expired
      const results = await all(Array.from({ length: 6 }, (_, i) => (i % 2 ? peer : storage).replay.useOnce(key, clock.seconds() + 30)));
      assert.equal(results.filter(Boolean).length, 1, `results: ${results.join(',')}`);
      assert.equal(await storage.replay.useOnce(key, clock.seconds() + 30), false);
    });

    test('callers racing on expired leftovers: exactly one wins each round, none fails (deadlock victims retry)', async () => {
      const { storage, peer, clock } = h();
      for (let round = 0; round < 25; round++) {
        const key = `race:${randomUUID()}`;
        assert.equal(await storage.replay.useOnce(key, clock.seconds() + 1), true);
        clock.advance(1);
        const results = await all(Array.from({ length: 8 }, (_, i) => (i % 2 ? peer : storage).replay.useOnce(key, clock.seconds() + 1)));
        assert.equal(results.filter(Boolean).length, 1, `round ${round}: ${results.join(',')}`);
      }
    });

    test('very long keys are accepted and kept distinct', async () => {
      const { storage, clock } = h();
      const base = 'k'.repeat(2000);
      const exp = clock.seconds() + 60;
      assert.equal(await storage.replay.useOnce(`${base}:a:${randomUUID()}`, exp), true);
      const b = `${base}:b:${randomUUID()}`;
      assert.equal(await storage.replay.useOnce(b, exp), true);
      assert.equal(await storage.replay.useOnce(b, exp), false);
    });

    test('purgeExpired deletes entries that expired before the cutoff', async () => {
      const { storage, clock } = h();
      const cutoff = clock.seconds() + 100_000;
      await storage.replay.purgeExpired(cutoff - 10); // leftovers of earlier tests
      const old = `old:${randomUUID()}`;
      const live = `live:${randomUUID()}`;
      assert.equal(await storage.replay.useOnce(old, cutoff - 1), true);
      assert.equal(await storage.replay.useOnce(live, cutoff), true);
      assert.equal(await storage.replay.purgeExpired(cutoff), 1);
      assert.equal(await storage.replay.useOnce(live, cutoff), false);
    });
  });
}

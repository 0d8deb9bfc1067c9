// TokenDenylist contract (src/core/ports/token-denylist.ts), run against every adapter (S14).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { newTenant, type GetHarness } from './harness.ts';

export function tokenDenylistContract(h: GetHarness): void {
  describe('TokenDenylist', () => {
    test('RFC 7009 §2: a denylisted jti is known from the moment add resolves, on every instance', async () => {
      const { storage, peer } = h();
      const t = newTenant();
      const jti = randomUUID();
      assert.equal(await storage.denylist.has(t, jti), false);
      await storage.denylist.add(t, jti, 1_750_003_600);
      assert.equal(await storage.denylist.has(t, jti), true);
      assert.equal(await peer.denylist.has(t, jti), true);
    });

    test('add is idempotent', async () => {
      const { denylist } = h().storage;
      const t = newTenant();
      const jti = randomUUID();
      await denylist.add(t, jti, 1_750_003_600);
      await denylist.add(t, jti, 1_750_003_600);
      await Promise.all([denylist.add(t, jti, 1_750_003_600), denylist.add(t, jti, 1_750_003_600)]);
      assert.equal(await denylist.has(t, jti), true);
    });

    test('purgeExpired forgets entries whose token expired before the cutoff', async () => {
      const { denylist } = h().storage;
      const t = newTenant();
      const cutoff = 1_750_000_000;
      await denylist.purgeExpired(cutoff); // leftovers of earlier tests on a shared database
      const old = randomUUID();
      const edge = randomUUID();
      const live = randomUUID();
      await denylist.add(t, old, cutoff - 1);
      await denylist.add(t, edge, cutoff);
      await denylist.add(t, live, cutoff + 600);
      assert.equal(await denylist.purgeExpired(cutoff), 1);
      assert.equal(await denylist.has(t, old), false);
      assert.equal(await denylist.has(t, edge), true);
      assert.equal(await denylist.has(t, live), true);
    });

    test('tenant isolation: a jti denylisted in tenant A is not denylisted in tenant B', async () => {
      const { denylist } = h().storage;
      const a = newTenant();
      const b = newTenant();
      const jti = randomUUID();
      await denylist.add(a, jti, 1_750_003_600);
      assert.equal(await denylist.has(b, jti), false);
    });
  });
}

// KeyStore contract (src/core/ports/key-store.ts), run against every adapter (S14).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatehouseError } from '../../src/core/errors.ts';
import type { SigningKeyRecord } from '../../src/core/model/key.ts';
import { all, keyFixture, newTenant, type GetHarness } from './harness.ts';

const conflict = (e: unknown) => e instanceof GatehouseError && e.code === 'GH_CONFLICT';
const byStatus = (keys: SigningKeyRecord[], alg = 'ES256') => ({
  active: keys.filter((k) => k.alg === alg && k.status === 'active'),
  next: keys.filter((k) => k.alg === alg && k.status === 'next'),
  retired: keys.filter((k) => k.alg === alg && k.status === 'retired'),
});

export function keyStoreContract(h: GetHarness): void {
  describe('KeyStore', () => {
    test('insert then list returns every field, ordered by creation', async () => {
      const keys = h().storage.keyStore;
      const t = newTenant();
      const active = keyFixture(t, { status: 'active', activatedAt: 1_750_000_000, createdAt: 1_749_000_000 });
      const next = keyFixture(t, { status: 'next', createdAt: 1_749_500_000 });
      const rsa = keyFixture(t, { alg: 'RS256', status: 'active', publicJwk: { kty: 'RSA', n: 'n'.repeat(342), e: 'AQAB' }, activatedAt: 1_750_000_000 });
      await keys.insert(rsa);
      await keys.insert(next);
      await keys.insert(active);
      assert.deepEqual(await keys.list(t), [active, next, rsa]);
    });

    test('insert fails with GH_CONFLICT on a duplicate kid, or a second active/next key of one alg', async () => {
      const keys = h().storage.keyStore;
      const t = newTenant();
      const a = keyFixture(t, { status: 'active', activatedAt: 1 });
      await keys.insert(a);
      await assert.rejects(keys.insert({ ...a, alg: 'RS256' }), conflict);
      await assert.rejects(keys.insert(keyFixture(t, { status: 'active' })), conflict);
      await keys.insert(keyFixture(t, { status: 'next' }));
      await assert.rejects(keys.insert(keyFixture(t, { status: 'next' })), conflict);
      await keys.insert(keyFixture(t, { status: 'retired', retiresAt: 5 }));
      await keys.insert(keyFixture(t, { status: 'retired', retiresAt: 6 }));
      await keys.insert(keyFixture(t, { alg: 'PS256', status: 'active' }));
      assert.equal((await keys.list(t)).length, 5);
    });

    test('rotate: next becomes active, active retires with retiresAt, the new key is next', async () => {
      const keys = h().storage.keyStore;
      const t = newTenant();
      const active = keyFixture(t, { status: 'active', activatedAt: 1_749_000_000 });
      const next = keyFixture(t, { status: 'next' });
      const newNext = keyFixture(t, { status: 'next', createdAt: 1_750_000_100 });
      await keys.insert(active);
      await keys.insert(next);
      const ok = await keys.rotate({ tenantId: t, alg: 'ES256', expectedActiveKid: active.kid, newNext, at: 1_750_000_100, retiresAt: 1_750_086_500 });
      assert.equal(ok, true);
      const s = byStatus(await keys.list(t));
      assert.deepEqual(s.retired, [{ ...active, status: 'retired', retiresAt: 1_750_086_500 }]);
      assert.deepEqual(s.active, [{ ...next, status: 'active', activatedAt: 1_750_000_100 }]);
      assert.deepEqual(s.next, [newNext]);
    });

    test('rotate is a compare-and-set: a stale expectedActiveKid changes nothing and answers false', async () => {
      const keys = h().storage.keyStore;
      const t = newTenant();
      const active = keyFixture(t, { status: 'active', activatedAt: 1 });
      await keys.insert(active);
      await keys.insert(keyFixture(t, { status: 'next' }));
      const before = await keys.list(t);
      const cmd = { tenantId: t, alg: 'ES256', at: 2, retiresAt: 3 };
      assert.equal(await keys.rotate({ ...cmd, expectedActiveKid: 'stale', newNext: keyFixture(t) }), false);
      assert.equal(await keys.rotate({ ...cmd, expectedActiveKid: null, newNext: keyFixture(t) }), false);
      assert.deepEqual(await keys.list(t), before);
    });

    test('rotate with expectedActiveKid null promotes next when no key is active yet', async () => {
      const keys = h().storage.keyStore;
      const t = newTenant();
      const first = keyFixture(t, { status: 'next' });
      await keys.insert(first);
      const newNext = keyFixture(t, { createdAt: 1_750_000_001 });
      assert.equal(await keys.rotate({ tenantId: t, alg: 'ES256', expectedActiveKid: null, newNext, at: 7, retiresAt: 8 }), true);
      const s = byStatus(await keys.list(t));
      assert.deepEqual(
        s.active.map((k) => k.kid),
        [first.kid],
      );
      assert.deepEqual(
        s.next.map((k) => k.kid),
        [newNext.kid],
      );
    });

    test('two instances rotating at once rotate once (6 concurrent rotations, one wins)', async () => {
      const { storage, peer } = h();
      const t = newTenant();
      const active = keyFixture(t, { status: 'active', activatedAt: 1 });
      const next = keyFixture(t, { status: 'next' });
      await storage.keyStore.insert(active);
      await storage.keyStore.insert(next);
      const results = await all(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 ? peer : storage).keyStore.rotate({
            tenantId: t,
            alg: 'ES256',
            expectedActiveKid: active.kid,
            newNext: keyFixture(t, { createdAt: 1_750_000_000 + i }),
            at: 10,
            retiresAt: 20,
          }),
        ),
      );
      assert.equal(results.filter(Boolean).length, 1, `results: ${results.join(',')}`);
      const s = byStatus(await storage.keyStore.list(t));
      assert.deepEqual(
        s.active.map((k) => k.kid),
        [next.kid],
      );
      assert.deepEqual(
        s.retired.map((k) => k.kid),
        [active.kid],
      );
      assert.equal(s.next.length, 1);
    });

    test('bootstrap from an empty store through rotate(null) converges on one active and one next key under races', async () => {
      const { storage, peer } = h();
      const t = newTenant();
      const race = () =>
        all(
          Array.from({ length: 4 }, (_, i) =>
            (i % 2 ? peer : storage).keyStore.rotate({
              tenantId: t,
              alg: 'ES256',
              expectedActiveKid: null,
              newNext: keyFixture(t),
              at: 100,
              retiresAt: 200,
            }),
          ),
        );
      // Each successful rotate(null) is one step: empty → a `next` key → that key active plus a new
      // `next`. After both steps an active key exists and every further rotate(null) fails, so
      // however the racers interleave, exactly two calls succeed in total.
      const wins = [...(await race()), ...(await race()), ...(await race())].filter(Boolean).length;
      assert.equal(wins, 2);
      const s = byStatus(await storage.keyStore.list(t));
      assert.equal(s.active.length, 1);
      assert.equal(s.next.length, 1);
      assert.equal(s.retired.length, 0);
    });

    test('purgeRetired deletes retired keys past their retiresAt, in this tenant only', async () => {
      const keys = h().storage.keyStore;
      const t = newTenant();
      const other = newTenant();
      const old = keyFixture(t, { status: 'retired', retiresAt: 100 });
      const grace = keyFixture(t, { status: 'retired', retiresAt: 200 });
      const active = keyFixture(t, { status: 'active', activatedAt: 1 });
      const elsewhere = keyFixture(other, { status: 'retired', retiresAt: 100 });
      for (const k of [old, grace, active, elsewhere]) await keys.insert(k);
      assert.equal(await keys.purgeRetired(t, 200), 1);
      assert.deepEqual((await keys.list(t)).map((k) => k.kid).sort(), [grace.kid, active.kid].sort());
      assert.equal((await keys.list(other)).length, 1);
    });

    test('tenant isolation: keys and rotations of tenant A are invisible from tenant B', async () => {
      const keys = h().storage.keyStore;
      const a = newTenant();
      const b = newTenant();
      const active = keyFixture(a, { status: 'active', activatedAt: 1 });
      await keys.insert(active);
      assert.deepEqual(await keys.list(b), []);
      assert.equal(await keys.rotate({ tenantId: b, alg: 'ES256', expectedActiveKid: active.kid, newNext: keyFixture(b), at: 2, retiresAt: 3 }), false);
      // B may have its own active key of the same alg.
      await keys.insert(keyFixture(b, { status: 'active', activatedAt: 1 }));
      assert.deepEqual(await keys.list(a), [active]);
    });

    test('reseal is a compare-and-set on the sealed private key: a stale expected value changes nothing', async () => {
      const keys = h().storage.keyStore;
      const peer = h().peer.keyStore;
      const t = newTenant();
      const k = keyFixture(t, { status: 'active', activatedAt: 1 });
      await keys.insert(k);
      const a = 'v2.AAAAAAAAAAA.' + k.privateJwkEncrypted.slice(3);
      const b = 'v2.BBBBBBBBBBB.' + k.privateJwkEncrypted.slice(3);
      const [x, y] = await all([keys.reseal(t, k.kid, k.privateJwkEncrypted, a), peer.reseal(t, k.kid, k.privateJwkEncrypted, b)]);
      assert.equal(Number(x) + Number(y), 1, 'exactly one of two concurrent re-seals wins');
      const [stored] = await keys.list(t);
      assert.equal(stored!.privateJwkEncrypted, x ? a : b);
      assert.deepEqual({ ...stored!, privateJwkEncrypted: k.privateJwkEncrypted }, k, 'nothing else changed');
      assert.equal(await keys.reseal(t, 'no-such-kid', a, b), false);
      assert.equal(await keys.reseal(newTenant(), k.kid, stored!.privateJwkEncrypted, b), false, 'tenant-scoped');
    });
  });
}

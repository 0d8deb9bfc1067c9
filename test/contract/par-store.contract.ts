// ParStore contract (src/core/ports/par-store.ts), run against every adapter (S14).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatehouseError } from '../../src/core/errors.ts';
import { parFixture, T0 } from './end-user-fixtures.ts';
import { all, newTenant, type GetHarness } from './harness.ts';

export function parStoreContract(h: GetHarness): void {
  describe('ParStore', () => {
    test('RFC 9126 §4 a request_uri is used once: consumed (with the pushed parameters), then already-consumed (without them)', async () => {
      const { par } = h().storage;
      const t = newTenant();
      const r = parFixture(t);
      await par.insert(r);
      assert.deepEqual(await par.take(t, r.hash, T0 + 1), { result: 'consumed', record: { ...r, consumedAt: T0 + 1 } });
      assert.deepEqual(await par.take(t, r.hash, T0 + 2), { result: 'already-consumed', record: { ...r, params: {}, consumedAt: T0 + 1 } });
      assert.deepEqual(await par.take(t, 'unknown', T0), { result: 'not-found' });
    });

    test('CWE-770 take clears the stored parameters in the same step, on every instance; only the winner gets them', async () => {
      const { storage, peer } = h();
      const t = newTenant();
      const r = parFixture(t, { params: { ...parFixture(t).params, claims: JSON.stringify({ userinfo: { email: null } }), nonce: 'x'.repeat(2000) } });
      await storage.par.insert(r);
      const results = await all(Array.from({ length: 6 }, (_, i) => (i % 2 ? peer : storage).par.take(t, r.hash, T0 + i)));
      const won = results.filter((x) => x.result === 'consumed');
      assert.equal(won.length, 1);
      assert.deepEqual(won[0]?.record.params, r.params);
      for (const x of results) if (x.result === 'already-consumed') assert.deepEqual(x.record.params, {});
      for (const store of [storage, peer]) {
        const again = await store.par.take(t, r.hash, T0 + 10);
        assert.equal(again.result, 'already-consumed');
        assert.deepEqual(again.result === 'already-consumed' ? again.record : null, { ...r, params: {}, consumedAt: won[0]?.record.consumedAt });
      }
    });

    test('a pushed request is visible on every instance sharing the store', async () => {
      const { storage, peer } = h();
      const t = newTenant();
      const r = parFixture(t);
      await storage.par.insert(r);
      assert.equal((await peer.par.take(t, r.hash, T0)).result, 'consumed');
      assert.equal((await storage.par.take(t, r.hash, T0)).result, 'already-consumed');
    });

    test('a duplicate hash fails with GH_CONFLICT and writes nothing', async () => {
      const { par } = h().storage;
      const t = newTenant();
      const r = parFixture(t);
      await par.insert(r);
      await assert.rejects(
        par.insert({ ...r, params: { redirect_uri: 'https://evil.example/' } }),
        (e: unknown) => e instanceof GatehouseError && e.code === 'GH_CONFLICT',
      );
      assert.deepEqual(await par.take(t, r.hash, T0), { result: 'consumed', record: { ...r, consumedAt: T0 } });
    });

    test('a consumed request is purged at its expiry like an unused one', async () => {
      const { par } = h().storage;
      const t = newTenant();
      const cutoff = T0 + 120;
      await par.purgeExpired(cutoff);
      const used = parFixture(t, { expiresAt: cutoff - 1 });
      await par.insert(used);
      assert.equal((await par.take(t, used.hash, T0)).result, 'consumed');
      assert.equal(await par.purgeExpired(cutoff), 1);
      assert.deepEqual(await par.take(t, used.hash, T0), { result: 'not-found' });
    });

    test('S4 ten concurrent takes on two instances: exactly one consumed', async () => {
      const { storage, peer } = h();
      const t = newTenant();
      const r = parFixture(t);
      await storage.par.insert(r);
      const results = await all(Array.from({ length: 10 }, (_, i) => (i % 2 ? peer : storage).par.take(t, r.hash, T0 + i)));
      assert.equal(results.filter((x) => x.result === 'consumed').length, 1);
      assert.equal(results.filter((x) => x.result === 'already-consumed').length, 9);
    });

    test('tenant isolation and purgeExpired', async () => {
      const { par } = h().storage;
      const t = newTenant();
      const cutoff = T0 + 60;
      await par.purgeExpired(cutoff);
      const gone = parFixture(t, { expiresAt: cutoff - 1 });
      const kept = parFixture(t, { expiresAt: cutoff });
      await par.insert(gone);
      await par.insert(kept);
      assert.deepEqual(await par.take(newTenant(), kept.hash, T0), { result: 'not-found' });
      assert.equal(await par.purgeExpired(cutoff), 1);
      assert.deepEqual(await par.take(t, gone.hash, T0), { result: 'not-found' });
      assert.equal((await par.take(t, kept.hash, T0)).result, 'consumed');
    });
  });
}

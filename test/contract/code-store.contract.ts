// CodeStore contract (src/core/ports/code-store.ts), run against every adapter (S14).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatehouseError } from '../../src/core/errors.ts';
import { codeFixture, T0 } from './end-user-fixtures.ts';
import { all, newTenant, type GetHarness } from './harness.ts';

export function codeStoreContract(h: GetHarness): void {
  describe('CodeStore', () => {
    test('insert then take: consumed, with every field intact (claims request, PKCE, nonce, cnf, auth)', async () => {
      const { codes } = h().storage;
      const t = newTenant();
      const full = codeFixture(t);
      const bare = codeFixture(t, { claims: null, nonce: null, codeChallenge: null, codeChallengeMethod: null, cnf: null, resources: [] });
      await codes.insert(full);
      await codes.insert(bare);
      assert.deepEqual(await codes.take(t, full.hash, T0 + 5), { result: 'consumed', record: { ...full, consumedAt: T0 + 5 } });
      assert.deepEqual(await codes.take(t, bare.hash, T0 + 6), { result: 'consumed', record: { ...bare, consumedAt: T0 + 6 } });
    });

    test('RFC 6749 §4.1.2 a second take is already-consumed and returns the record (to revoke its grant)', async () => {
      const { codes } = h().storage;
      const t = newTenant();
      const c = codeFixture(t);
      await codes.insert(c);
      await codes.take(t, c.hash, T0 + 5);
      assert.deepEqual(await codes.take(t, c.hash, T0 + 9), { result: 'already-consumed', record: { ...c, consumedAt: T0 + 5 } });
      assert.deepEqual(await codes.take(t, 'unknown', T0), { result: 'not-found' });
      assert.deepEqual(await codes.take(newTenant(), c.hash, T0), { result: 'not-found' });
    });

    test('find reads a code without spending it: the take after it still wins, and find then shows consumedAt', async () => {
      const { storage, peer } = h();
      const t = newTenant();
      const c = codeFixture(t);
      await storage.codes.insert(c);
      assert.deepEqual(await storage.codes.find(t, c.hash), c);
      assert.deepEqual(await peer.codes.find(t, c.hash), c, 'another instance on the same store sees it');
      assert.deepEqual(await storage.codes.take(t, c.hash, T0 + 5), { result: 'consumed', record: { ...c, consumedAt: T0 + 5 } });
      assert.deepEqual(await peer.codes.find(t, c.hash), { ...c, consumedAt: T0 + 5 });
      assert.equal(await storage.codes.find(t, 'unknown'), undefined);
      assert.equal(await storage.codes.find(newTenant(), c.hash), undefined, 'tenants are separate');
    });

    test('find returns a copy: changing it changes nothing stored', async () => {
      const { codes } = h().storage;
      const t = newTenant();
      const c = codeFixture(t);
      await codes.insert(c);
      const found = await codes.find(t, c.hash);
      (found!.resources as string[]).push('https://evil.example/');
      (found!.auth.amr as string[]).push('forged');
      assert.deepEqual(await codes.find(t, c.hash), c);
    });

    test('a duplicate hash fails with GH_CONFLICT and writes nothing', async () => {
      const { codes } = h().storage;
      const t = newTenant();
      const c = codeFixture(t);
      await codes.insert(c);
      await assert.rejects(
        codes.insert({ ...c, clientId: 'attacker', redirectUri: 'https://evil.example/' }),
        (e: unknown) => e instanceof GatehouseError && e.code === 'GH_CONFLICT',
      );
      const taken = await codes.take(t, c.hash, T0 + 1);
      assert.equal(taken.result === 'consumed' && taken.record.clientId, 'client-1');
    });

    test('S4 ten concurrent takes on two instances: exactly one consumed', async () => {
      const { storage, peer } = h();
      const t = newTenant();
      const c = codeFixture(t);
      await storage.codes.insert(c);
      const results = await all(Array.from({ length: 10 }, (_, i) => (i % 2 ? peer : storage).codes.take(t, c.hash, T0 + i)));
      const won = results.filter((r) => r.result === 'consumed');
      assert.equal(won.length, 1);
      assert.equal(results.filter((r) => r.result === 'already-consumed').length, 9);
      const winner = won[0]!;
      for (const r of results) assert.equal(r.result !== 'not-found' && r.record.consumedAt, winner.result === 'consumed' && winner.record.consumedAt);
    });

    test('a take right after the insert (same request, after a read of the same key) sees it', async () => {
      const { codes } = h().storage;
      const t = newTenant();
      const c = codeFixture(t);
      // The first read may open a shared read snapshot (SQLite); the insert must end it.
      assert.deepEqual(await codes.take(t, c.hash, T0), { result: 'not-found' });
      await codes.insert(c);
      assert.equal((await codes.take(t, c.hash, T0)).result, 'consumed');
    });

    test('purgeExpired deletes only codes that expired before the cutoff', async () => {
      const { codes } = h().storage;
      const t = newTenant();
      const cutoff = T0 + 60;
      await codes.purgeExpired(cutoff); // leftovers of earlier tests on a shared database
      const gone = [codeFixture(t, { expiresAt: cutoff - 1 }), codeFixture(t, { expiresAt: 10, consumedAt: 5 })];
      const kept = [codeFixture(t, { expiresAt: cutoff }), codeFixture(t, { expiresAt: cutoff + 60 })];
      for (const c of [...gone, ...kept]) await codes.insert(c);
      assert.equal(await codes.purgeExpired(cutoff), 2);
      for (const c of gone) assert.deepEqual(await codes.take(t, c.hash, T0), { result: 'not-found' });
      for (const c of kept) assert.equal((await codes.take(t, c.hash, T0)).result, 'consumed');
    });
  });
}

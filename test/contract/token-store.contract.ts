// TokenStore contract (src/core/ports/token-store.ts), run against every adapter (S14).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatehouseError } from '../../src/core/errors.ts';
import { all, newTenant, tokenFixture, type GetHarness } from './harness.ts';

export function tokenStoreContract(h: GetHarness): void {
  describe('TokenStore', () => {
    test('insert then find returns the record with cnf (RFC 7800), audience and claims intact', async () => {
      const { tokens } = h().storage;
      const t = newTenant();
      const plain = tokenFixture(t);
      const bound = tokenFixture(t, {
        kind: 'refresh_token',
        cnf: { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' },
        audience: [],
        claims: { username: 'alice', auth_time: 1_749_999_000, acr: 'urn:x', nested: { list: [1, 'two'] } },
        parentHash: 'parent-hash',
      });
      await tokens.insert(plain);
      await tokens.insert(bound);
      assert.deepEqual(await tokens.find(t, plain.hash), plain);
      assert.deepEqual(await tokens.find(t, bound.hash), bound);
      assert.equal(await tokens.find(t, 'unknown-hash'), undefined);
    });

    test('insert of a duplicate hash fails with GH_CONFLICT and writes nothing', async () => {
      const { tokens } = h().storage;
      const t = newTenant();
      const first = tokenFixture(t);
      await tokens.insert(first);
      await assert.rejects(
        tokens.insert({ ...first, subject: 'someone-else', scope: 'admin' }),
        (e: unknown) => e instanceof GatehouseError && e.code === 'GH_CONFLICT',
      );
      assert.deepEqual(await tokens.find(t, first.hash), first);
    });

    test('find returns revoked, expired and consumed records (callers judge validity)', async () => {
      const { tokens } = h().storage;
      const t = newTenant();
      const expired = tokenFixture(t, { expiresAt: 1_000 });
      const revoked = tokenFixture(t, { revokedAt: 1_750_000_100 });
      const consumed = tokenFixture(t, { kind: 'refresh_token', consumedAt: 1_750_000_200 });
      for (const r of [expired, revoked, consumed]) await tokens.insert(r);
      assert.deepEqual(await tokens.find(t, expired.hash), expired);
      assert.deepEqual(await tokens.find(t, revoked.hash), revoked);
      assert.deepEqual(await tokens.find(t, consumed.hash), consumed);
    });

    test('S4 consume: consumed, then already-consumed; an unknown hash is not-found', async () => {
      const { tokens } = h().storage;
      const t = newTenant();
      const rt = tokenFixture(t, { kind: 'refresh_token' });
      await tokens.insert(rt);
      assert.equal(await tokens.consume(t, rt.hash, 1_750_000_500), 'consumed');
      assert.equal((await tokens.find(t, rt.hash))?.consumedAt, 1_750_000_500);
      assert.equal(await tokens.consume(t, rt.hash, 1_750_000_600), 'already-consumed');
      assert.equal((await tokens.find(t, rt.hash))?.consumedAt, 1_750_000_500);
      assert.equal(await tokens.consume(t, 'no-such-hash', 1_750_000_600), 'not-found');
    });

    test('S4 consume: exactly one of 10 concurrent consumers wins, across instances', async () => {
      const { storage, peer } = h();
      const t = newTenant();
      const rt = tokenFixture(t, { kind: 'refresh_token' });
      await storage.tokens.insert(rt);
      const results = await all(Array.from({ length: 10 }, (_, i) => (i % 2 ? peer : storage).tokens.consume(t, rt.hash, 1_750_000_000 + i)));
      assert.equal(results.filter((r) => r === 'consumed').length, 1, `results: ${results.join(',')}`);
      assert.equal(results.filter((r) => r === 'already-consumed').length, 9);
    });

    test('RFC 7009 §2.1 revoke sets revokedAt once, returns the record as it was, unknown → undefined', async () => {
      const { tokens } = h().storage;
      const t = newTenant();
      const at = tokenFixture(t);
      await tokens.insert(at);
      assert.deepEqual(await tokens.revoke(t, at.hash, 1_750_000_300), at);
      assert.equal((await tokens.find(t, at.hash))?.revokedAt, 1_750_000_300);
      // Idempotent: a second revocation keeps the first time.
      const again = await tokens.revoke(t, at.hash, 1_750_000_400);
      assert.equal(again?.revokedAt, 1_750_000_300);
      assert.equal((await tokens.find(t, at.hash))?.revokedAt, 1_750_000_300);
      assert.equal(await tokens.revoke(t, 'unknown', 1_750_000_400), undefined);
    });

    test('RFC 6749 §4.1.2 revokeGrant revokes every token of the grant once and no other', async () => {
      const { tokens } = h().storage;
      const t = newTenant();
      const grantId = 'grant-1';
      const members = [tokenFixture(t, { grantId }), tokenFixture(t, { grantId, kind: 'refresh_token' }), tokenFixture(t, { grantId })];
      const earlier = tokenFixture(t, { grantId, revokedAt: 1_750_000_001 });
      const other = tokenFixture(t, { grantId: 'grant-2' });
      for (const r of [...members, earlier, other]) await tokens.insert(r);
      assert.equal(await tokens.revokeGrant(t, grantId, 1_750_000_900), 3);
      for (const m of members) assert.equal((await tokens.find(t, m.hash))?.revokedAt, 1_750_000_900);
      assert.equal((await tokens.find(t, earlier.hash))?.revokedAt, 1_750_000_001);
      assert.equal((await tokens.find(t, other.hash))?.revokedAt, null);
      assert.equal(await tokens.revokeGrant(t, grantId, 1_750_001_000), 0);
      assert.equal(await tokens.revokeGrant(t, 'no-such-grant', 1_750_001_000), 0);
    });

    test('countActive counts tokens neither expired nor revoked at the given time', async () => {
      const { tokens } = h().storage;
      const t = newTenant();
      const now = 1_750_000_000;
      const before = await tokens.countActive(now);
      await tokens.insert(tokenFixture(t, { expiresAt: now + 60 }));
      await tokens.insert(tokenFixture(t, { expiresAt: now + 60, kind: 'refresh_token' }));
      await tokens.insert(tokenFixture(t, { expiresAt: now }));
      await tokens.insert(tokenFixture(t, { expiresAt: now - 1 }));
      await tokens.insert(tokenFixture(t, { expiresAt: now + 60, revokedAt: now - 5 }));
      assert.equal((await tokens.countActive(now)) - before, 2);
    });

    test('purgeExpired deletes only records that expired before the cutoff', async () => {
      const { tokens } = h().storage;
      const t = newTenant();
      const cutoff = 1_750_000_000;
      await tokens.purgeExpired(cutoff); // leftovers of earlier tests on a shared database
      const gone = [tokenFixture(t, { expiresAt: cutoff - 1 }), tokenFixture(t, { expiresAt: 10, revokedAt: 5 })];
      const kept = [tokenFixture(t, { expiresAt: cutoff }), tokenFixture(t, { expiresAt: cutoff + 3600 })];
      for (const r of [...gone, ...kept]) await tokens.insert(r);
      assert.equal(await tokens.purgeExpired(cutoff), 2);
      for (const r of gone) assert.equal(await tokens.find(t, r.hash), undefined);
      for (const r of kept) assert.deepEqual(await tokens.find(t, r.hash), r);
    });

    test('tenant isolation: a token of tenant A is invisible from tenant B', async () => {
      const { tokens } = h().storage;
      const a = newTenant();
      const b = newTenant();
      const rt = tokenFixture(a, { kind: 'refresh_token', grantId: 'g' });
      await tokens.insert(rt);
      assert.equal(await tokens.find(b, rt.hash), undefined);
      assert.equal(await tokens.consume(b, rt.hash, 1), 'not-found');
      assert.equal(await tokens.revoke(b, rt.hash, 1), undefined);
      assert.equal(await tokens.revokeGrant(b, 'g', 1), 0);
      assert.deepEqual(await tokens.find(a, rt.hash), rt);
      // The same hash may exist in another tenant without conflict.
      await tokens.insert({ ...rt, tenantId: b });
      assert.equal(await tokens.consume(b, rt.hash, 2), 'consumed');
      assert.equal((await tokens.find(a, rt.hash))?.consumedAt, null);
    });
  });
}

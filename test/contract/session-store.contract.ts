// SessionStore contract (src/core/ports/session-store.ts), run against every adapter (S14).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatehouseError } from '../../src/core/errors.ts';
import { accountFixture, sessionFixture, T0 } from './end-user-fixtures.ts';
import { all, newTenant, type GetHarness } from './harness.ts';

export function sessionStoreContract(h: GetHarness): void {
  describe('SessionStore', () => {
    test('create then get returns every account (amr, acr, clients); get returns expired records too', async () => {
      const { sessions } = h().storage;
      const t = newTenant();
      const s = sessionFixture(t, { accounts: [accountFixture({ clientIds: ['a', 'b'] }), accountFixture({ acr: 'urn:x', amr: [] })] });
      const expired = sessionFixture(t, { expiresAt: 10, currentUserId: null });
      await sessions.create(s);
      await sessions.create(expired);
      assert.deepEqual(await sessions.get(t, s.hash), s);
      assert.deepEqual(await sessions.get(t, expired.hash), expired);
      assert.equal(await sessions.get(t, 'unknown'), undefined);
    });

    test('a duplicate hash fails with GH_CONFLICT and writes nothing (not even its sids)', async () => {
      const { sessions } = h().storage;
      const t = newTenant();
      const s = sessionFixture(t);
      await sessions.create(s);
      const intruder = { ...s, accounts: [accountFixture()] };
      await assert.rejects(sessions.create(intruder), (e: unknown) => e instanceof GatehouseError && e.code === 'GH_CONFLICT');
      assert.deepEqual(await sessions.get(t, s.hash), s);
      assert.equal(await sessions.findBySid(t, intruder.accounts[0]!.sid), undefined);
    });

    test('OIDC Front-/Back-Channel Logout: findBySid finds the session holding each account sid', async () => {
      const { sessions } = h().storage;
      const t = newTenant();
      const [a, b] = [accountFixture(), accountFixture()];
      const s = sessionFixture(t, { accounts: [a, b] });
      await sessions.create(s);
      await sessions.create(sessionFixture(t));
      assert.deepEqual(await sessions.findBySid(t, a.sid), s);
      assert.deepEqual(await sessions.findBySid(t, b.sid), s);
      assert.equal(await sessions.findBySid(t, 'no-such-sid'), undefined);
      assert.equal(await sessions.findBySid(newTenant(), a.sid), undefined);
    });

    test('update of accounts keeps findBySid in step: removed sids vanish, added sids are found', async () => {
      const { sessions } = h().storage;
      const t = newTenant();
      const [a, b, c] = [accountFixture(), accountFixture(), accountFixture()];
      const s = sessionFixture(t, { accounts: [a, b] });
      await sessions.create(s);
      const bWithClient = { ...b, clientIds: ['rp-1'] };
      const updated = await sessions.update(t, s.hash, { accounts: [bWithClient, c], currentUserId: c.userId });
      const expected = { ...s, accounts: [bWithClient, c], currentUserId: c.userId };
      assert.deepEqual(updated, expected);
      assert.deepEqual(await sessions.get(t, s.hash), expected);
      assert.equal(await sessions.findBySid(t, a.sid), undefined);
      assert.deepEqual(await sessions.findBySid(t, b.sid), expected);
      assert.deepEqual(await sessions.findBySid(t, c.sid), expected);
    });

    test('update changes only the given fields (touch, switch, sign-out of the current account)', async () => {
      const { sessions } = h().storage;
      const t = newTenant();
      const s = sessionFixture(t);
      await sessions.create(s);
      assert.deepEqual(await sessions.update(t, s.hash, { lastSeenAt: T0 + 60 }), { ...s, lastSeenAt: T0 + 60 });
      assert.deepEqual(await sessions.update(t, s.hash, { currentUserId: null }), { ...s, lastSeenAt: T0 + 60, currentUserId: null });
      const both = await sessions.update(t, s.hash, { currentUserId: s.currentUserId, lastSeenAt: T0 + 90, accounts: undefined });
      assert.deepEqual(both, { ...s, lastSeenAt: T0 + 90 });
      assert.deepEqual(await sessions.get(t, s.hash), both);
      assert.equal(await sessions.update(t, 'unknown', { lastSeenAt: 1 }), undefined);
      assert.equal(await sessions.update(t, 'unknown', { accounts: [] }), undefined);
    });

    test('delete returns the record as it was, is idempotent, and frees its sids', async () => {
      const { sessions } = h().storage;
      const t = newTenant();
      const s = sessionFixture(t);
      await sessions.create(s);
      assert.deepEqual(await sessions.delete(t, s.hash), s);
      assert.equal(await sessions.delete(t, s.hash), undefined);
      assert.equal(await sessions.get(t, s.hash), undefined);
      assert.equal(await sessions.findBySid(t, s.accounts[0]!.sid), undefined);
    });

    test('session fixation: a sign-in replaces the record and the kept sid finds the new one', async () => {
      const { sessions } = h().storage;
      const t = newTenant();
      const old = sessionFixture(t);
      await sessions.create(old);
      await sessions.delete(t, old.hash);
      const renewed = sessionFixture(t, { accounts: old.accounts, createdAt: T0 + 5 });
      await sessions.create(renewed);
      assert.deepEqual(await sessions.findBySid(t, old.accounts[0]!.sid), renewed);
    });

    test('a sid held by two records (a sign-in racing the record it replaces) finds the newest, then the other', async () => {
      const { sessions } = h().storage;
      const t = newTenant();
      const older = sessionFixture(t);
      const newer = sessionFixture(t, { accounts: older.accounts, createdAt: T0 + 1 });
      await sessions.create(older);
      await sessions.create(newer);
      const sid = older.accounts[0]!.sid;
      assert.deepEqual(await sessions.findBySid(t, sid), newer);
      await sessions.delete(t, newer.hash);
      assert.deepEqual(await sessions.findBySid(t, sid), older);
    });

    test('concurrent account updates on two instances leave the sid index matching the stored accounts', async () => {
      const { storage, peer } = h();
      const t = newTenant();
      const s = sessionFixture(t);
      await storage.sessions.create(s);
      const variants = Array.from({ length: 6 }, () => [s.accounts[0]!, accountFixture()]);
      await all(variants.map((accounts, i) => (i % 2 ? peer : storage).sessions.update(t, s.hash, { accounts })));
      const final = (await storage.sessions.get(t, s.hash))!;
      const kept = new Set(final.accounts.map((a) => a.sid));
      for (const v of variants) {
        const sid = v[1]!.sid;
        assert.equal((await storage.sessions.findBySid(t, sid))?.hash, kept.has(sid) ? s.hash : undefined);
      }
      assert.deepEqual(await storage.sessions.findBySid(t, s.accounts[0]!.sid), final);
    });

    test('OIDC Back-/Front-Channel Logout: concurrent addClient on two instances keeps every client', async () => {
      const { storage, peer } = h();
      const t = newTenant();
      const other = accountFixture({ clientIds: ['other-rp'] });
      const s = sessionFixture(t, { accounts: [accountFixture({ clientIds: ['client-1'] }), other] });
      await storage.sessions.create(s);
      const sid = s.accounts[0]!.sid;
      await all(['rp-a', 'rp-b', 'rp-c'].map((c, i) => (i % 2 ? peer : storage).sessions.addClient(t, sid, c)));
      const after = (await storage.sessions.get(t, s.hash))!;
      assert.deepEqual([...after.accounts[0]!.clientIds].sort(), ['client-1', 'rp-a', 'rp-b', 'rp-c']);
      assert.deepEqual(after.accounts[1], other, 'the other account is untouched');
      assert.deepEqual(await storage.sessions.findBySid(t, sid), after);
    });

    test('addClient is a no-op when the client is already there or the sid is unknown', async () => {
      const { sessions } = h().storage;
      const t = newTenant();
      const s = sessionFixture(t);
      await sessions.create(s);
      await sessions.addClient(t, s.accounts[0]!.sid, 'client-1');
      await sessions.addClient(t, 'no-such-sid', 'rp-x');
      await sessions.addClient(newTenant(), s.accounts[0]!.sid, 'rp-x');
      assert.deepEqual(await sessions.get(t, s.hash), s);
    });

    test('addClient on a sid held by two records writes the newest (the one findBySid returns)', async () => {
      const { sessions } = h().storage;
      const t = newTenant();
      const older = sessionFixture(t);
      const newer = sessionFixture(t, { accounts: older.accounts, createdAt: T0 + 1 });
      await sessions.create(older);
      await sessions.create(newer);
      await sessions.addClient(t, older.accounts[0]!.sid, 'rp-new');
      assert.deepEqual((await sessions.get(t, newer.hash))?.accounts[0]?.clientIds, ['client-1', 'rp-new']);
      assert.deepEqual(await sessions.get(t, older.hash), older);
    });

    test('purgeExpired deletes sessions past their absolute end, with their sids', async () => {
      const { sessions } = h().storage;
      const t = newTenant();
      const cutoff = T0;
      await sessions.purgeExpired(cutoff); // leftovers of earlier tests on a shared database
      const gone = sessionFixture(t, { expiresAt: cutoff - 1 });
      const kept = [sessionFixture(t, { expiresAt: cutoff }), sessionFixture(t, { expiresAt: cutoff + 3600 })];
      for (const s of [gone, ...kept]) await sessions.create(s);
      assert.equal(await sessions.purgeExpired(cutoff), 1);
      assert.equal(await sessions.get(t, gone.hash), undefined);
      assert.equal(await sessions.findBySid(t, gone.accounts[0]!.sid), undefined);
      for (const s of kept) assert.deepEqual(await sessions.findBySid(t, s.accounts[0]!.sid), s);
    });
  });
}

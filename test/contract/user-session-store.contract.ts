// UserSessionStore contract (src/core/ports/user-session-store.ts), run against every adapter (S14).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { UserSessionSummary } from '../../src/core/ports/user-session-store.ts';
import { accountFixture, sessionFixture, T0 } from './end-user-fixtures.ts';
import { all, newTenant, type GetHarness } from './harness.ts';
import { walkAll } from './paging.ts';

const key = (s: UserSessionSummary) => ({ k: s.authTime, id: s.sid });
const byAuthTime = { limit: 50, sort: 'auth_time', order: 'asc' } as const;

export function userSessionStoreContract(h: GetHarness): void {
  describe('UserSessionStore', () => {
    test('pageByUser lists one entry per account of the user across browser sessions, by (authTime, sid), with the session times', async () => {
      const { sessions, userSessions } = h().storage;
      const t = newTenant();
      const a = accountFixture({ userId: 'u1', sid: 'sid-a', authTime: T0 + 10, amr: ['pwd', 'otp'], acr: 'urn:acr:2', clientIds: ['rp-1', 'rp-2'] });
      const b = accountFixture({ userId: 'u2', sid: 'sid-b' });
      const c = accountFixture({ userId: 'u1', sid: 'sid-c', authTime: T0 + 5 });
      const d = accountFixture({ userId: 'u1', sid: 'sid-0', authTime: T0 + 10 });
      await sessions.create(sessionFixture(t, { accounts: [a, b], currentUserId: 'u1', createdAt: T0 + 1, lastSeenAt: T0 + 50, expiresAt: T0 + 999 }));
      await sessions.create(sessionFixture(t, { accounts: [c], currentUserId: 'u1' }));
      await sessions.create(sessionFixture(t, { accounts: [d], currentUserId: 'u1' }));
      await sessions.create(sessionFixture(newTenant(), { accounts: [accountFixture({ userId: 'u1' })] }));
      const page = await userSessions.pageByUser(t, 'u1', byAuthTime);
      assert.equal(page.next, null);
      assert.deepEqual(
        page.items.map((s) => s.sid),
        ['sid-c', 'sid-0', 'sid-a'],
      );
      assert.deepEqual(page.items[2], {
        sid: 'sid-a',
        userId: 'u1',
        authTime: T0 + 10,
        amr: ['pwd', 'otp'],
        acr: 'urn:acr:2',
        clientIds: ['rp-1', 'rp-2'],
        createdAt: T0 + 1,
        lastSeenAt: T0 + 50,
        expiresAt: T0 + 999,
      });
      for (const order of ['asc', 'desc'] as const) {
        const got = await walkAll((q) => userSessions.pageByUser(t, 'u1', q), { limit: 1, sort: 'auth_time', order }, key);
        assert.deepEqual(
          got.map((s) => s.sid),
          order === 'asc' ? ['sid-c', 'sid-0', 'sid-a'] : ['sid-a', 'sid-0', 'sid-c'],
        );
      }
      assert.deepEqual(
        (await userSessions.pageByUser(t, 'u1', { ...byAuthTime, q: 'sid-' })).items.map((s) => s.sid),
        ['sid-c', 'sid-0', 'sid-a'],
      );
      assert.deepEqual((await userSessions.pageByUser(t, 'u1', { ...byAuthTime, q: 'sid_' })).items, [], '_ is no wildcard');
      assert.deepEqual(
        (await userSessions.pageByUser(t, 'u2', byAuthTime)).items.map((s) => s.sid),
        ['sid-b'],
      );
      assert.deepEqual(await userSessions.pageByUser(t, 'nobody', byAuthTime), { items: [], next: null });
    });

    test('pageByUser follows account updates: a re-authentication that keeps the sid moves it in the order', async () => {
      const { sessions, userSessions } = h().storage;
      const t = newTenant();
      const a = accountFixture({ userId: 'u1', sid: 'sid-a', authTime: T0 });
      const b = accountFixture({ userId: 'u1', sid: 'sid-b', authTime: T0 + 1 });
      const s = sessionFixture(t, { accounts: [a, b], currentUserId: 'u1' });
      await sessions.create(s);
      await sessions.update(t, s.hash, { accounts: [{ ...a, authTime: T0 + 9 }, b] });
      const page = await userSessions.pageByUser(t, 'u1', byAuthTime);
      assert.deepEqual(
        page.items.map((x) => [x.sid, x.authTime]),
        [
          ['sid-b', T0 + 1],
          ['sid-a', T0 + 9],
        ],
      );
      await sessions.update(t, s.hash, { accounts: [b] });
      assert.deepEqual(
        (await userSessions.pageByUser(t, 'u1', byAuthTime)).items.map((x) => x.sid),
        ['sid-b'],
      );
    });

    test('OIDC Back-Channel Logout: endSid of a non-last account removes only it and returns the record as it was', async () => {
      const { sessions, userSessions } = h().storage;
      const t = newTenant();
      const a = accountFixture({ userId: 'u1', sid: 'sid-a' });
      const b = accountFixture({ userId: 'u2', sid: 'sid-b', clientIds: ['rp-9'] });
      const s = sessionFixture(t, { accounts: [a, b], currentUserId: 'u2' });
      await sessions.create(s);
      assert.deepEqual(await userSessions.endSid(t, 'sid-b'), s);
      const left = await sessions.get(t, s.hash);
      assert.deepEqual(left?.accounts, [a]);
      assert.equal(left?.currentUserId, null, 'no other account is silently made current');
      assert.equal(await sessions.findBySid(t, 'sid-b'), undefined);
      assert.equal((await sessions.findBySid(t, 'sid-a'))?.hash, s.hash);
      assert.deepEqual((await userSessions.pageByUser(t, 'u2', byAuthTime)).items, []);
      // Ending a non-current account keeps the current one.
      const c = accountFixture({ userId: 'u3', sid: 'sid-c' });
      await sessions.update(t, s.hash, { accounts: [a, c], currentUserId: 'u1' });
      await userSessions.endSid(t, 'sid-c');
      assert.equal((await sessions.get(t, s.hash))?.currentUserId, 'u1');
    });

    test('endSid of the last account deletes the browser session; an unknown sid is undefined', async () => {
      const { sessions, userSessions } = h().storage;
      const t = newTenant();
      const s = sessionFixture(t, { accounts: [accountFixture({ userId: 'u1', sid: 'only' })], currentUserId: 'u1' });
      await sessions.create(s);
      assert.deepEqual(await userSessions.endSid(t, 'only'), s);
      assert.equal(await sessions.get(t, s.hash), undefined);
      assert.equal(await sessions.findBySid(t, 'only'), undefined);
      assert.deepEqual((await userSessions.pageByUser(t, 'u1', byAuthTime)).items, []);
      assert.equal(await userSessions.endSid(t, 'only'), undefined);
      assert.equal(await userSessions.endSid(newTenant(), 'only'), undefined);
    });

    test('concurrent endSid of every account on two instances: each ends once and the session is gone', async () => {
      const { storage, peer } = h();
      const t = newTenant();
      const accounts = Array.from({ length: 6 }, (_, i) => accountFixture({ userId: `u${i}`, sid: `s${i}` }));
      const s = sessionFixture(t, { accounts, currentUserId: 'u0' });
      await storage.sessions.create(s);
      const ended = await all(accounts.map((a, i) => (i % 2 ? peer : storage).userSessions.endSid(t, a.sid)));
      assert.ok(
        ended.every((r) => r?.hash === s.hash),
        'every sid was found',
      );
      assert.equal(await storage.sessions.get(t, s.hash), undefined);
      const lengths = ended.map((r) => r!.accounts.length).sort();
      assert.deepEqual(lengths, [1, 2, 3, 4, 5, 6], 'each call saw the accounts the previous ones left');
    });
  });
}

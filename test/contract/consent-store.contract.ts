// ConsentStore contract (src/core/ports/consent-store.ts), run against every adapter (S14).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { consentFixture, T0 } from './end-user-fixtures.ts';
import { all, newTenant, type GetHarness } from './harness.ts';
import { walkAll } from './paging.ts';

const byClient = { limit: 50, sort: 'client_id', order: 'asc' } as const;

export function consentStoreContract(h: GetHarness): void {
  describe('ConsentStore', () => {
    test('put then get returns the consent; unknown (user, client) is undefined', async () => {
      const { consents } = h().storage;
      const t = newTenant();
      const c = consentFixture(t, 'u1', 'rp-1', { claims: ['email', 'phone_number'] });
      assert.equal(await consents.get(t, 'u1', 'rp-1'), undefined);
      await consents.put(c);
      assert.deepEqual(await consents.get(t, 'u1', 'rp-1'), c);
      assert.equal(await consents.get(t, 'u1', 'rp-2'), undefined);
      assert.equal(await consents.get(t, 'u2', 'rp-1'), undefined);
    });

    test('put again replaces scopes, claims and updatedAt and keeps the first createdAt', async () => {
      const { consents } = h().storage;
      const t = newTenant();
      await consents.put(consentFixture(t, 'u1', 'rp-1', { scopes: ['openid'], createdAt: T0, updatedAt: T0 }));
      await consents.put(consentFixture(t, 'u1', 'rp-1', { scopes: ['openid', 'email'], claims: ['email'], createdAt: T0 + 50, updatedAt: T0 + 50 }));
      assert.deepEqual(
        await consents.get(t, 'u1', 'rp-1'),
        consentFixture(t, 'u1', 'rp-1', { scopes: ['openid', 'email'], claims: ['email'], createdAt: T0, updatedAt: T0 + 50 }),
      );
    });

    test('concurrent puts on two instances are atomic upserts: one row, no error', async () => {
      const { storage, peer } = h();
      const t = newTenant();
      await all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? peer : storage).consents.put(consentFixture(t, 'u1', 'rp-1', { scopes: [`s${i}`], updatedAt: T0 + i }))),
      );
      const list = (await storage.consents.pageByUser(t, 'u1', { limit: 10, sort: 'client_id', order: 'asc' })).items;
      assert.equal(list.length, 1);
      assert.match(list[0]!.scopes[0]!, /^s\d$/);
    });

    test("pageByUser lists only that user's consents in this tenant, ordered by client", async () => {
      const { consents } = h().storage;
      const t = newTenant();
      for (const client of ['rp-b', 'rp-a', 'rp-c']) await consents.put(consentFixture(t, 'u1', client));
      await consents.put(consentFixture(t, 'u2', 'rp-a'));
      await consents.put(consentFixture(newTenant(), 'u1', 'rp-z'));
      assert.deepEqual(
        (await consents.pageByUser(t, 'u1', byClient)).items.map((c) => c.clientId),
        ['rp-a', 'rp-b', 'rp-c'],
      );
      assert.deepEqual(await consents.pageByUser(t, 'nobody', byClient), { items: [], next: null });
    });

    test('delete answers whether there was a consent and is idempotent', async () => {
      const { consents } = h().storage;
      const t = newTenant();
      const other = newTenant();
      await consents.put(consentFixture(t, 'u1', 'rp-1'));
      await consents.put(consentFixture(other, 'u1', 'rp-1'));
      assert.equal(await consents.delete(t, 'u1', 'rp-1'), true);
      assert.equal(await consents.delete(t, 'u1', 'rp-1'), false);
      assert.equal(await consents.get(t, 'u1', 'rp-1'), undefined);
      assert.ok(await consents.get(other, 'u1', 'rp-1'), 'another tenant keeps its consent');
    });

    test('pageByUser pages by client id in both orders without gaps or repeats; q is a plain client id prefix', async () => {
      const { consents } = h().storage;
      const t = newTenant();
      const clients = ['rp-a', 'rp-b', 'rp_c', 'rp%d', 'rpx', 'zz', 'zzz', '~end', 'é'];
      for (const c of clients) await consents.put(consentFixture(t, 'u1', c));
      await consents.put(consentFixture(t, 'u2', 'rp-a'));
      const key = (c: { clientId: string }) => ({ k: c.clientId, id: c.clientId });
      const sorted = [...clients].sort();
      for (const order of ['asc', 'desc'] as const) {
        const got = await walkAll((q) => consents.pageByUser(t, 'u1', q), { limit: 2, sort: 'client_id', order }, key);
        assert.deepEqual(
          got.map((c) => c.clientId),
          order === 'asc' ? sorted : [...sorted].reverse(),
        );
      }
      const search = async (q: string) =>
        (await walkAll((x) => consents.pageByUser(t, 'u1', x), { limit: 1, sort: 'client_id', order: 'asc', q }, key)).map((c) => c.clientId);
      assert.deepEqual(await search('rp_'), ['rp_c']);
      assert.deepEqual(await search('rp%'), ['rp%d']);
      assert.deepEqual(await search('rp-'), ['rp-a', 'rp-b']);
      assert.deepEqual(await search('zz'), ['zz', 'zzz']);
      assert.deepEqual(await search('~'), ['~end']);
    });

    test("deleteByUser and deleteByClient delete exactly that user's / client's consents in this tenant and count them", async () => {
      const { consents } = h().storage;
      const t = newTenant();
      const other = newTenant();
      for (const [u, c] of [
        ['u1', 'rp-1'],
        ['u1', 'rp-2'],
        ['u2', 'rp-1'],
        ['u2', 'rp-3'],
        ['u3', 'rp-3'],
      ] as const)
        await consents.put(consentFixture(t, u, c));
      await consents.put(consentFixture(other, 'u1', 'rp-1'));
      assert.equal(await consents.deleteByClient(t, 'rp-1'), 2);
      assert.equal(await consents.get(t, 'u1', 'rp-1'), undefined);
      assert.equal(await consents.get(t, 'u2', 'rp-1'), undefined);
      assert.ok(await consents.get(t, 'u1', 'rp-2'));
      assert.equal(await consents.deleteByUser(t, 'u2'), 1);
      assert.equal(await consents.get(t, 'u2', 'rp-3'), undefined);
      assert.ok(await consents.get(t, 'u3', 'rp-3'));
      assert.equal(await consents.deleteByUser(t, 'u2'), 0);
      assert.equal(await consents.deleteByClient(t, 'rp-1'), 0);
      assert.ok(await consents.get(other, 'u1', 'rp-1'), 'another tenant keeps its consent');
      // A consent given again after its user's consents were deleted is listed again.
      await consents.put(consentFixture(t, 'u2', 'rp-9'));
      assert.deepEqual(
        (await consents.pageByUser(t, 'u2', byClient)).items.map((c) => c.clientId),
        ['rp-9'],
      );
    });
  });
}

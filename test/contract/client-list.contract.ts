// ClientStore.page contract (src/core/ports/client-store.ts, list.ts), run against every adapter (S14).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Client } from '../../src/core/model/client.ts';
import type { ClientSort } from '../../src/core/ports/client-store.ts';
import type { SortOrder } from '../../src/core/ports/list.ts';
import { clientFixture, newTenant, type GetHarness } from './harness.ts';
import { expectedOrder, walkAll } from './paging.ts';

/** Ids with LIKE wildcards, a backslash, letter case, non-ASCII and the end of ASCII. */
const IDS = ['a%1', 'a_1', 'ab', 'a\\x', 'abc', 'B-upper', 'b', 'zz', 'zzz', 'z', '~tilde', 'é-client', 'm1', 'm2', 'm3', 'm4'];
/** Names with case-only differences (equal sort keys, broken by client id). */
const NAMES = [
  'Same Name',
  'same name',
  'SAME NAME',
  'Alpha',
  'alpha',
  'Zulu',
  'zulu app',
  'Écran',
  'écran',
  '100% app',
  'under_score',
  'Mid',
  'mid',
  'mid',
  'Omega',
  'omega',
];
/** created_at with repeats (ties broken by client id). */
const CREATED = [5, 3, 5, 1, 5, 2, 2, 9, 9, 1, 5, 7, 7, 7, 3, 4];

const keys: Record<ClientSort, (c: Client) => { k: string | number; id: string }> = {
  client_id: (c) => ({ k: c.clientId, id: c.clientId }),
  client_name: (c) => ({ k: c.clientName.toLowerCase(), id: c.clientId }),
  created_at: (c) => ({ k: c.createdAt, id: c.clientId }),
};

async function seed(h: GetHarness): Promise<{ t: string; rows: Client[] }> {
  const { clients } = h().storage;
  const t = newTenant();
  const rows = IDS.map((id, i) => clientFixture(t, id, { clientName: NAMES[i]!, createdAt: 1_750_000_000 + CREATED[i]! }));
  for (const c of rows) await clients.create(c);
  await clients.create(clientFixture(newTenant(), 'a%1')); // another tenant: never listed
  return { t, rows };
}

export function clientListContract(h: GetHarness): void {
  describe('ClientStore.page', () => {
    for (const sort of ['client_id', 'client_name', 'created_at'] as const) {
      for (const order of ['asc', 'desc'] as const satisfies readonly SortOrder[]) {
        test(`keyset paging by ${sort} ${order}: every client once, in (${sort}, client_id) order, for page sizes 1, 4 and 500`, async () => {
          const { t, rows } = await seed(h);
          const want = expectedOrder(rows, keys[sort], order).map((c) => c.clientId);
          for (const limit of [1, 4, 500]) {
            const got = await walkAll((q) => h().storage.clients.page(t, q), { limit, sort, order }, keys[sort]);
            assert.deepEqual(
              got.map((c) => c.clientId),
              want,
              `limit ${limit}`,
            );
          }
        });
      }
    }

    test('pages return whole records, equal to what get returns', async () => {
      const { t } = await seed(h);
      const page = await h().storage.clients.page(t, { limit: 3, sort: 'client_id', order: 'asc' });
      for (const c of page.items) assert.deepEqual(c, await h().storage.clients.get(t, c.clientId));
    });

    test('a cursor whose row was deleted still continues right after its position', async () => {
      const { t, rows } = await seed(h);
      const { clients } = h().storage;
      const first = await clients.page(t, { limit: 5, sort: 'created_at', order: 'asc' });
      assert.ok(first.next);
      assert.equal(await clients.delete(t, first.next.id), true);
      const rest = await walkAll(
        (q) => clients.page(t, { ...q, after: q.after ?? first.next! }),
        { limit: 4, sort: 'created_at', order: 'asc' },
        keys.created_at,
      );
      const want = expectedOrder(rows, keys.created_at, 'asc')
        .slice(5)
        .map((c) => c.clientId);
      assert.deepEqual(
        rest.map((c) => c.clientId),
        want,
      );
    });

    test('search: q is a plain client id prefix — % _ and \\ are not wildcards', async () => {
      const { t } = await seed(h);
      const ids = async (q: string) =>
        (await walkAll((x) => h().storage.clients.page(t, x), { limit: 2, sort: 'client_id', order: 'asc', q }, keys.client_id)).map((c) => c.clientId);
      assert.deepEqual(await ids('a%'), ['a%1']);
      assert.deepEqual(await ids('a_'), ['a_1']);
      assert.deepEqual(await ids('a\\'), ['a\\x']);
      assert.deepEqual(await ids('ab'), ['ab', 'abc']);
      assert.deepEqual(await ids('z'), ['z', 'zz', 'zzz']);
      assert.deepEqual(await ids('zz'), ['zz', 'zzz']);
      assert.deepEqual(await ids('~'), ['~tilde'], 'a prefix at the end of ASCII');
      assert.deepEqual(await ids('é'), ['é-client']);
      assert.deepEqual(await ids('B'), ['B-upper'], 'client ids are case-sensitive');
      assert.deepEqual(await ids('nope'), []);
      assert.equal((await ids('')).length, IDS.length, 'an empty q lists everything');
    });

    test('search by name is a case-insensitive prefix of the name; with created_at, q matches the client id', async () => {
      const { t, rows } = await seed(h);
      const { clients } = h().storage;
      const byName = async (q: string) =>
        (await walkAll((x) => clients.page(t, x), { limit: 2, sort: 'client_name', order: 'asc', q }, keys.client_name)).map((c) => c.clientId);
      const want = (pred: (c: Client) => boolean) => expectedOrder(rows.filter(pred), keys.client_name, 'asc').map((c) => c.clientId);
      for (const q of ['SAME', 'same n', '100%', 'under_', 'ÉCR', 'zulu', 'm']) {
        const got = await byName(q);
        assert.ok(got.length > 0, q);
        assert.deepEqual(
          got,
          want((c) => c.clientName.toLowerCase().startsWith(q.toLowerCase())),
          q,
        );
      }
      assert.deepEqual(await byName('under%'), []);
      assert.deepEqual(await byName('100_'), []);
      const byCreated = await walkAll((x) => clients.page(t, x), { limit: 1, sort: 'created_at', order: 'desc', q: 'm' }, keys.created_at);
      assert.deepEqual(
        byCreated.map((c) => c.clientId),
        expectedOrder(
          rows.filter((c) => c.clientId.startsWith('m')),
          keys.created_at,
          'desc',
        ).map((c) => c.clientId),
      );
      assert.equal(byCreated.length, 4);
    });

    test('renaming a client moves it in the name order', async () => {
      const { t } = await seed(h);
      const { clients } = h().storage;
      await clients.update(t, 'm1', { clientName: '0 first' });
      const first = await clients.page(t, { limit: 1, sort: 'client_name', order: 'asc' });
      assert.equal(first.items[0]?.clientId, 'm1');
      assert.deepEqual(
        (await clients.page(t, { limit: 5, sort: 'client_name', order: 'asc', q: 'mid' })).items.map((c) => c.clientId),
        ['m2', 'é-client'],
      );
    });

    test('an empty tenant has one empty last page', async () => {
      assert.deepEqual(await h().storage.clients.page(newTenant(), { limit: 10, sort: 'client_name', order: 'desc' }), { items: [], next: null });
    });
  });
}

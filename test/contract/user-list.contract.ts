// UserStore.page and delete contract (src/core/ports/user-store.ts, list.ts), run against every adapter (S14).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { User } from '../../src/core/model/user.ts';
import type { UserSort } from '../../src/core/ports/user-store.ts';
import { T0, userFixture } from './end-user-fixtures.ts';
import { newTenant, type GetHarness } from './harness.ts';
import { expectedOrder, walkAll } from './paging.ts';

const NAMES = ['Alice', 'alina', 'bob', 'a_b', 'a%b', 'axb', 'Zoë', 'zz', 'zzz', '~root', 'carol', 'dave', 'erin', 'frank'];
const keys: Record<UserSort, (u: User) => { k: string | number; id: string }> = {
  username: (u) => ({ k: u.username, id: u.id }),
  created_at: (u) => ({ k: u.createdAt, id: u.id }),
};

async function seed(h: GetHarness): Promise<{ t: string; rows: User[] }> {
  const { users } = h().storage;
  const t = newTenant();
  const rows = NAMES.map((n, i) => userFixture(t, n, { createdAt: T0 + (i % 4) }));
  for (const u of rows) await users.create(u);
  await users.create(userFixture(newTenant(), 'alice'));
  // Stored lower-cased, as the port says.
  return { t, rows: rows.map((u) => ({ ...u, username: u.username.toLowerCase() })) };
}

export function userListContract(h: GetHarness): void {
  describe('UserStore.page and delete', () => {
    for (const sort of ['username', 'created_at'] as const) {
      for (const order of ['asc', 'desc'] as const) {
        test(`keyset paging by ${sort} ${order}: every user once, in order, for page sizes 1, 3 and 500`, async () => {
          const { t, rows } = await seed(h);
          const want = expectedOrder(rows, keys[sort], order).map((u) => u.id);
          for (const limit of [1, 3, 500]) {
            const got = await walkAll((q) => h().storage.users.page(t, q), { limit, sort, order }, keys[sort]);
            assert.deepEqual(
              got.map((u) => u.id),
              want,
              `limit ${limit}`,
            );
          }
        });
      }
    }

    test('search: q is a case-insensitive username prefix; % and _ are not wildcards; works with either sort', async () => {
      const { t, rows } = await seed(h);
      for (const sort of ['username', 'created_at'] as const) {
        for (const q of ['AL', 'a_', 'a%', 'Z', 'zz', '~', 'ZOË']) {
          const got = await walkAll((x) => h().storage.users.page(t, x), { limit: 1, sort, order: 'desc', q }, keys[sort]);
          const want = expectedOrder(
            rows.filter((u) => u.username.startsWith(q.toLowerCase())),
            keys[sort],
            'desc',
          );
          assert.ok(want.length > 0, q);
          assert.deepEqual(
            got.map((u) => u.username),
            want.map((u) => u.username),
            `${sort} ${q}`,
          );
        }
      }
    });

    test('delete removes the user (get, findByUsername, page), frees the username, and answers whether it existed', async () => {
      const { t } = await seed(h);
      const { users } = h().storage;
      const bob = await users.findByUsername(t, 'bob');
      assert.ok(bob);
      assert.equal(await users.delete(t, bob.id), true);
      assert.equal(await users.get(t, bob.id), undefined);
      assert.equal(await users.findByUsername(t, 'BOB'), undefined);
      assert.deepEqual((await users.page(t, { limit: 10, sort: 'username', order: 'asc', q: 'bob' })).items, []);
      assert.equal(await users.delete(t, bob.id), false);
      assert.equal(await users.delete(newTenant(), 'nobody'), false);
      await users.create(userFixture(t, 'Bob'));
      assert.ok(await users.findByUsername(t, 'bob'), 'the username can be taken again');
      assert.equal((await users.page(t, { limit: 500, sort: 'created_at', order: 'asc' })).items.length, NAMES.length);
    });
  });
}

// UserStore contract (src/core/ports/user-store.ts), run against every adapter (S14).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatehouseError } from '../../src/core/errors.ts';
import type { ListQuery } from '../../src/core/ports/list.ts';
import { userFixture } from './end-user-fixtures.ts';
import { newTenant, type GetHarness } from './harness.ts';

const conflict = (e: unknown) => e instanceof GatehouseError && e.code === 'GH_CONFLICT';
/** Every user of a tenant in username order (one page: the contracts stay far below the limit). */
const BY_USERNAME: ListQuery<'username'> = { limit: 500, sort: 'username', order: 'asc' };

export function userStoreContract(h: GetHarness): void {
  describe('UserStore', () => {
    test('create then get returns every field (claims with address, null password hash, roles)', async () => {
      const { users } = h().storage;
      const t = newTenant();
      const alice = userFixture(t, 'alice', { roles: ['admin', 'user'] });
      const bare = userFixture(t, 'bare', { passwordHash: null, claims: {}, roles: [] });
      await users.create(alice);
      await users.create(bare);
      assert.deepEqual(await users.get(t, alice.id), alice);
      assert.deepEqual(await users.get(t, bare.id), bare);
      assert.equal(await users.get(t, 'nobody'), undefined);
    });

    test('attributes and groups are stored with the claims and come back apart from them', async () => {
      const { users } = h().storage;
      const t = newTenant();
      const u = userFixture(t, 'ada', { attributes: { department: 'Sales', clearance: 3, remote: true }, groups: ['/org/sales', 'staff'] });
      await users.create(u);
      assert.deepEqual(await users.get(t, u.id), u);
      const changed = { claims: { name: 'Ada' }, attributes: { department: 'R&D' }, groups: [] };
      const updated = await users.update(t, u.id, changed);
      assert.deepEqual(updated, { ...u, ...changed });
      assert.deepEqual((await users.findByUsername(t, 'ada'))?.attributes, { department: 'R&D' });
      assert.deepEqual((await users.update(t, u.id, { disabled: true }))?.groups, [], 'a patch without the profile leaves it');
    });

    test('signInEpoch (the sign-in generation users.unlock changes) is stored by update and read by get and findByUsername', async () => {
      const { users } = h().storage;
      const t = newTenant();
      const u = userFixture(t, 'epoch');
      await users.create(u);
      assert.equal((await users.get(t, u.id))?.signInEpoch ?? 0, 0, 'a new user is at generation 0');
      assert.equal((await users.update(t, u.id, { signInEpoch: 1 }))?.signInEpoch, 1);
      assert.equal((await users.findByUsername(t, 'epoch'))?.signInEpoch, 1);
      const after = await users.update(t, u.id, { disabled: true });
      assert.equal(after?.signInEpoch, 1, 'a patch without it leaves it');
      assert.deepEqual({ ...after, disabled: false, signInEpoch: undefined }, { ...u, signInEpoch: undefined });
    });

    test('sessionEpoch (the session generation a console session must match) is stored by update, read by get and findByUsername, and kept apart from signInEpoch', async () => {
      const { users } = h().storage;
      const t = newTenant();
      const u = userFixture(t, 'generation');
      await users.create(u);
      assert.equal((await users.get(t, u.id))?.sessionEpoch ?? 0, 0, 'a new user is at generation 0');
      assert.equal((await users.update(t, u.id, { sessionEpoch: 1 }))?.sessionEpoch, 1);
      assert.equal((await users.findByUsername(t, 'generation'))?.sessionEpoch, 1);
      assert.equal((await users.get(t, u.id))?.signInEpoch ?? 0, 0, 'the sign-in generation is another column');
      const unlocked = await users.update(t, u.id, { signInEpoch: 5 });
      assert.deepEqual([unlocked?.signInEpoch, unlocked?.sessionEpoch], [5, 1], 'users.unlock does not end sessions');
      const after = await users.update(t, u.id, { passwordHash: '$argon2id$other', disabled: true });
      assert.equal(after?.sessionEpoch, 1, 'a patch without it leaves it');
      assert.equal((await users.update(t, u.id, { sessionEpoch: 2 }))?.passwordHash, '$argon2id$other', 'it changes nothing else');
      const made = userFixture(t, 'made-later', { sessionEpoch: 7 });
      await users.create(made);
      assert.equal((await users.get(t, made.id))?.sessionEpoch, 7, 'create stores it');
      assert.equal((await users.page(t, BY_USERNAME)).items.find((x) => x.id === made.id)?.sessionEpoch, 7, 'lists read it');
    });

    test('usernames are stored lower-cased and found in any letter case', async () => {
      const { users } = h().storage;
      const t = newTenant();
      const u = userFixture(t, 'Alice.Smith');
      await users.create(u);
      assert.equal((await users.get(t, u.id))?.username, 'alice.smith');
      for (const name of ['alice.smith', 'ALICE.SMITH', 'aLiCe.SmItH']) assert.equal((await users.findByUsername(t, name))?.id, u.id);
      assert.equal(await users.findByUsername(t, 'alice'), undefined);
    });

    test('a duplicate id fails with GH_CONFLICT and writes nothing', async () => {
      const { users } = h().storage;
      const t = newTenant();
      const first = userFixture(t, 'first');
      await users.create(first);
      await assert.rejects(users.create({ ...first, username: 'second', roles: ['admin'] }), conflict);
      assert.deepEqual(await users.get(t, first.id), { ...first });
      assert.equal(await users.findByUsername(t, 'second'), undefined);
    });

    test('a duplicate username in another letter case fails with GH_CONFLICT and writes nothing', async () => {
      const { users } = h().storage;
      const t = newTenant();
      const first = userFixture(t, 'bob');
      const second = userFixture(t, 'BOB');
      await users.create(first);
      await assert.rejects(users.create(second), conflict);
      assert.equal(await users.get(t, second.id), undefined);
      assert.equal((await users.findByUsername(t, 'Bob'))?.id, first.id);
    });

    test('concurrent creates of one username on two instances: exactly one succeeds', async () => {
      const { storage, peer } = h();
      const t = newTenant();
      const settled = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) => (i % 2 ? peer : storage).users.create(userFixture(t, i % 2 ? 'Carol' : 'carol'))),
      );
      assert.equal(settled.filter((s) => s.status === 'fulfilled').length, 1);
      for (const s of settled) if (s.status === 'rejected') assert.ok(conflict(s.reason));
      assert.equal((await storage.users.page(t, BY_USERNAME)).items.length, 1);
    });

    test('get and findByUsername return disabled users too (callers decide)', async () => {
      const { users } = h().storage;
      const t = newTenant();
      const off = userFixture(t, 'off', { disabled: true });
      await users.create(off);
      assert.equal((await users.get(t, off.id))?.disabled, true);
      assert.equal((await users.findByUsername(t, 'OFF'))?.disabled, true);
    });

    test('page is ordered by username, pages with limit and after, and sees only its tenant', async () => {
      const { users } = h().storage;
      const t = newTenant();
      const made = new Map<string, string>();
      for (const name of ['dave', 'Alice', 'carol', 'bob', 'eve']) {
        const u = userFixture(t, name);
        await users.create(u);
        made.set(u.username, u.id);
      }
      await users.create(userFixture(newTenant(), 'aaron'));
      const at = (name: string) => ({ k: name, id: made.get(name)! });
      const names = async (q: Partial<ListQuery<'username'>> = {}) => (await users.page(t, { ...BY_USERNAME, ...q })).items.map((u) => u.username);
      assert.deepEqual(await names(), ['alice', 'bob', 'carol', 'dave', 'eve']);
      assert.deepEqual(await names({ limit: 2 }), ['alice', 'bob']);
      assert.deepEqual(await names({ limit: 2, after: at('bob') }), ['carol', 'dave']);
      assert.deepEqual(await names({ after: at('eve') }), []);
    });

    test('update changes only the given fields and returns the stored user', async () => {
      const { users } = h().storage;
      const t = newTenant();
      const u = userFixture(t, 'frank');
      await users.create(u);
      const updated = await users.update(t, u.id, { disabled: true, roles: ['admin'], updatedAt: u.updatedAt + 10, claims: undefined });
      const expected = { ...u, disabled: true, roles: ['admin' as const], updatedAt: u.updatedAt + 10 };
      assert.deepEqual(updated, expected);
      assert.deepEqual(await users.get(t, u.id), expected);
      const cleared = await users.update(t, u.id, { passwordHash: null, claims: { name: 'F' }, attributes: {}, groups: [] });
      assert.deepEqual(cleared, { ...expected, passwordHash: null, claims: { name: 'F' } });
      assert.equal(await users.update(t, 'nobody', { disabled: true }), undefined);
    });

    test('tenant isolation: a username may exist once per tenant', async () => {
      const { users } = h().storage;
      const a = newTenant();
      const b = newTenant();
      const ua = userFixture(a, 'grace');
      const ub = userFixture(b, 'grace');
      await users.create(ua);
      await users.create(ub);
      assert.equal((await users.findByUsername(a, 'grace'))?.id, ua.id);
      assert.equal((await users.findByUsername(b, 'grace'))?.id, ub.id);
      assert.equal(await users.get(b, ua.id), undefined);
      assert.equal(await users.update(b, ua.id, { disabled: true }), undefined);
    });
  });
}

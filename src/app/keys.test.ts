import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADMIN, appWorld, assertNoSecrets, OPERATOR, rejectsWith, VIEWER } from '../../test/support/app-world.ts';
import { DEFAULT_TENANT } from '../core/model/tenant.ts';

test("keys.list: every key's lifecycle for a viewer, paged like every list, never key material", async () => {
  const w = await appWorld({ algorithms: ['ES256', 'EdDSA'] });
  const all = await w.app.keys.list(VIEWER, {});
  assert.equal(all.items.length, 4);
  assert.deepEqual(new Set(all.items.map((k) => `${k.alg}:${k.status}`)), new Set(['ES256:active', 'ES256:next', 'EdDSA:active', 'EdDSA:next']));
  assert.ok(all.items.every((k) => k.published));
  const records = await w.storage.keyStore.list(DEFAULT_TENANT);
  assertNoSecrets(
    all,
    records.map((r) => r.privateJwkEncrypted),
  );
  const p1 = await w.app.keys.list(VIEWER, { sort: 'kid', limit: 3 });
  const p2 = await w.app.keys.list(VIEWER, { sort: 'kid', limit: 3, cursor: p1.next_cursor! });
  assert.deepEqual(
    [...p1.items, ...p2.items].map((k) => k.kid),
    all.items.map((k) => k.kid).sort(),
  );
  assert.equal(p2.next_cursor, null);
  const first = p1.items[0]!.kid;
  assert.deepEqual(
    (await w.app.keys.list(VIEWER, { q: first })).items.map((k) => k.kid),
    [first],
  );
  await rejectsWith(w.app.keys.list(VIEWER, { sort: 'created_at', cursor: p1.next_cursor! }), 'GH_INVALID_INPUT', /another sort/);
});

test('RFC 7517 keys.rotate (admin only) promotes next to active and retires the old key; key.rotated names the actor', async () => {
  const w = await appWorld({ algorithms: ['ES256', 'EdDSA'] });
  const before = (await w.app.keys.list(VIEWER, {})).items;
  await rejectsWith(w.app.keys.rotate(OPERATOR, {}), 'GH_FORBIDDEN', /keys\.rotate needs the admin role/);
  const r = await w.app.keys.rotate(ADMIN, { algs: ['ES256'] });
  assert.deepEqual(r.rotated, ['ES256']);
  const oldActive = before.find((k) => k.alg === 'ES256' && k.status === 'active')!;
  const oldNext = before.find((k) => k.alg === 'ES256' && k.status === 'next')!;
  assert.equal(r.keys.find((k) => k.kid === oldActive.kid)?.status, 'retired');
  assert.equal(r.keys.find((k) => k.kid === oldNext.kid)?.status, 'active');
  assert.equal(w.keys.signer('ES256').kid, oldNext.kid, 'the running KeyManager signs with the new key at once');
  const rotated = w.events.of('key.rotated');
  assert.deepEqual(
    rotated.map((e) => [e.alg, e.activeKid, e.retiredKid, e.actor]),
    [['ES256', oldNext.kid, oldActive.kid, { kind: 'admin_user', id: 'root' }]],
  );
  assert.deepEqual((await w.app.keys.rotate(ADMIN, {})).rotated, ['ES256', 'EdDSA']);
  await rejectsWith(w.app.keys.rotate(ADMIN, { algs: ['RS256'] }), 'GH_INVALID_INPUT', /algs: RS256 not in keys\.algorithms \(ES256, EdDSA\)/);
  await rejectsWith(w.app.keys.rotate(ADMIN, { algs: ['HS256'] } as never), 'GH_INVALID_INPUT', /algs\.0: /);
});

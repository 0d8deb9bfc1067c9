import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appWorld, OPERATOR, rejectsWith, VIEWER } from '../../test/support/app-world.ts';
import { DEFAULT_TENANT } from '../core/model/tenant.ts';

async function world() {
  const w = await appWorld();
  const alice = await w.app.users.create(OPERATOR, { username: 'alice', password: 'correct horse battery' });
  for (const [clientId, scopes] of [
    ['rp-b', ['openid', 'email']],
    ['rp-a', ['openid']],
    ['other', ['openid']],
  ] as const) {
    await w.storage.consents.put({
      tenantId: DEFAULT_TENANT,
      userId: alice.id,
      clientId,
      scopes: [...scopes],
      claims: ['name'],
      createdAt: w.now(),
      updatedAt: w.now(),
    });
  }
  w.events.seen.length = 0;
  return { ...w, alice };
}

test("consents.list: a user's remembered consents by client id, paged, with a client id prefix search", async () => {
  const w = await world();
  const p1 = await w.app.consents.list(VIEWER, { user: 'alice', limit: 2 });
  assert.deepEqual(
    p1.items.map((c) => [c.client_id, c.scopes]),
    [
      ['other', ['openid']],
      ['rp-a', ['openid']],
    ],
  );
  const p2 = await w.app.consents.list(VIEWER, { user: 'alice', limit: 2, cursor: p1.next_cursor! });
  assert.deepEqual([p2.items.map((c) => c.client_id), p2.next_cursor], [['rp-b'], null]);
  assert.deepEqual(
    (await w.app.consents.list(VIEWER, { user: 'alice', q: 'rp-' })).items.map((c) => c.client_id),
    ['rp-a', 'rp-b'],
  );
  await rejectsWith(w.app.consents.list(VIEWER, { user: 'nobody' }), 'GH_NOT_FOUND');
  await rejectsWith(
    w.app.consents.list(VIEWER, { user: 'alice', cursor: Buffer.from('{"k":5,"id":"x"}').toString('base64url') }),
    'GH_INVALID_INPUT',
    /another sort/,
  );
});

test('OIDC Core §3.1.2.4 consents.revoke forgets one consent, so the user is asked again; it is GH_NOT_FOUND once gone', async () => {
  const w = await world();
  assert.deepEqual(await w.app.consents.revoke(OPERATOR, { user: 'alice', client_id: 'rp-a' }), { user_id: w.alice.id, client_id: 'rp-a' });
  assert.equal(await w.storage.consents.get(DEFAULT_TENANT, w.alice.id, 'rp-a'), undefined);
  assert.ok(await w.storage.consents.get(DEFAULT_TENANT, w.alice.id, 'rp-b'));
  assert.deepEqual(w.events.of('consent.revoked'), [
    { tenantId: DEFAULT_TENANT, userId: w.alice.id, clientId: 'rp-a', actor: { kind: 'admin_client', id: 'ops-bot' } },
  ]);
  await rejectsWith(w.app.consents.revoke(OPERATOR, { user: 'alice', client_id: 'rp-a' }), 'GH_NOT_FOUND', /alice has no consent for client rp-a/);
  await rejectsWith(w.app.consents.revoke(OPERATOR, { user: 'nobody', client_id: 'rp-b' }), 'GH_NOT_FOUND');
  await rejectsWith(w.app.consents.revoke(VIEWER, { user: 'alice', client_id: 'rp-b' }), 'GH_FORBIDDEN');
  await rejectsWith(w.app.consents.revoke(OPERATOR, { user: 'alice' } as never), 'GH_INVALID_INPUT', /client_id: /);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appWorld, assertNoSecrets, OPERATOR, rejectsWith, tokenRecord, VIEWER, type AppWorld } from '../../test/support/app-world.ts';
import { DEFAULT_TENANT } from '../core/model/tenant.ts';
import { grantDenylistKey, isGrantDenylisted } from '../core/tokens/grant-revocation.ts';

async function world(): Promise<AppWorld & { userId: string; clientId: string; otherId: string }> {
  const w = await appWorld();
  const { client } = await w.app.clients.create(OPERATOR, { client_name: 'RP', redirect_uris: ['https://rp.example/cb'] });
  const other = await w.app.clients.create(OPERATOR, { client_name: 'Svc', grant_types: ['client_credentials'] });
  const u = await w.app.users.create(OPERATOR, { username: 'alice', password: 'correct horse battery' });
  // Two grants of alice at the RP (g1: a refresh and an opaque access token), one client_credentials grant.
  await w.storage.tokens.insert(tokenRecord(w, { hash: 'r1', grantId: 'g1', clientId: client.client_id, userId: u.id }));
  await w.storage.tokens.insert(tokenRecord(w, { hash: 'a1', grantId: 'g1', clientId: client.client_id, userId: u.id, kind: 'access_token' }));
  w.clock.advance(10);
  await w.storage.tokens.insert(tokenRecord(w, { hash: 'r2', grantId: 'g2', clientId: client.client_id, userId: u.id }));
  await w.storage.tokens.insert(tokenRecord(w, { hash: 'c1', grantId: 'g3', clientId: other.client.client_id, userId: null, kind: 'access_token' }));
  w.events.seen.length = 0;
  return { ...w, userId: u.id, clientId: client.client_id, otherId: other.client.client_id };
}

test("grants.list shows a user's or a client's live grants, paged, with no token values or hashes", async () => {
  const w = await world();
  const p1 = await w.app.grants.list(VIEWER, { user: 'alice', limit: 1 });
  assert.deepEqual(
    p1.items.map((g) => [g.grant_id, g.client_id, g.user_id, g.active_tokens]),
    [['g1', w.clientId, w.userId, 2]],
  );
  const p2 = await w.app.grants.list(VIEWER, { user: 'alice', limit: 1, cursor: p1.next_cursor! });
  assert.deepEqual([p2.items.map((g) => g.grant_id), p2.next_cursor], [['g2'], null]);
  assert.deepEqual(
    (await w.app.grants.list(VIEWER, { user: 'alice', order: 'desc' })).items.map((g) => g.grant_id),
    ['g2', 'g1'],
  );
  assert.deepEqual(
    (await w.app.grants.list(VIEWER, { client_id: w.otherId })).items.map((g) => [g.grant_id, g.user_id]),
    [['g3', null]],
  );
  for (const page of [p1, p2]) assert.ok(!/"(r1|a1|r2|hash|jti-)/.test(JSON.stringify(page)));
  assertNoSecrets(p1);
  await rejectsWith(w.app.grants.list(VIEWER, { user: 'alice', client_id: w.clientId }), 'GH_INVALID_INPUT', /exactly one of user and client_id/);
  await rejectsWith(w.app.grants.list(VIEWER, {}), 'GH_INVALID_INPUT');
  await rejectsWith(w.app.grants.list(VIEWER, { user: 'nobody' }), 'GH_NOT_FOUND');
  await rejectsWith(w.app.grants.list(VIEWER, { client_id: 'ghost' }), 'GH_NOT_FOUND');
  await rejectsWith(
    w.app.grants.list(VIEWER, { user: 'alice', cursor: Buffer.from('{"k":"x","id":"g1"}').toString('base64url') }),
    'GH_INVALID_INPUT',
    /another sort/,
  );
});

test("RFC 7009 §2 grants.revoke revokes the grant's stored tokens and denylists its JWT access tokens (grant_id), once", async () => {
  const w = await world();
  assert.deepEqual(await w.app.grants.revoke(OPERATOR, { grant_id: 'g1' }), { grant_id: 'g1', tokens_revoked: 2 });
  for (const h of ['r1', 'a1']) assert.notEqual((await w.storage.tokens.find(DEFAULT_TENANT, h))?.revokedAt, null, h);
  assert.equal((await w.storage.tokens.find(DEFAULT_TENANT, 'r2'))?.revokedAt, null);
  assert.equal(await isGrantDenylisted(w.storage.denylist, DEFAULT_TENANT, { grant_id: 'g1' }), true);
  assert.deepEqual(w.events.of('grant.revoked'), [
    { tenantId: DEFAULT_TENANT, clientId: null, grantId: 'g1', reason: 'admin', tokens: 2, actor: { kind: 'admin_client', id: 'ops-bot' } },
  ]);
  assert.deepEqual(await w.app.grants.revoke(OPERATOR, { grant_id: 'g1' }), { grant_id: 'g1', tokens_revoked: 0 }, 'idempotent');
  assert.deepEqual(
    (await w.app.grants.list(VIEWER, { user: 'alice' })).items.map((g) => g.grant_id),
    ['g2'],
  );
  await rejectsWith(w.app.grants.revoke(OPERATOR, { grant_id: 'g 1' }), 'GH_INVALID_INPUT', /grant_id: must be a grant id/);
  await rejectsWith(w.app.grants.revoke(VIEWER, { grant_id: 'g2' }), 'GH_FORBIDDEN');
});

test('grants.revoke_for_user and revoke_for_client revoke every grant of one owner and denylist each', async () => {
  const w = await world();
  assert.deepEqual(await w.app.grants.revokeForUser(OPERATOR, { user: 'ALICE' }), { user_id: w.userId, grants_revoked: 2 });
  for (const g of ['g1', 'g2']) assert.equal(await w.storage.denylist.has(DEFAULT_TENANT, grantDenylistKey(g)), true, g);
  assert.equal((await w.storage.tokens.find(DEFAULT_TENANT, 'c1'))?.revokedAt, null, 'the other client keeps its token');
  assert.deepEqual(w.events.of('tokens.revoked_for_user'), [
    { tenantId: DEFAULT_TENANT, userId: w.userId, grants: 2, actor: { kind: 'admin_client', id: 'ops-bot' } },
  ]);
  assert.deepEqual(await w.app.grants.revokeForClient(OPERATOR, { client_id: w.otherId }), { client_id: w.otherId, grants_revoked: 1 });
  assert.notEqual((await w.storage.tokens.find(DEFAULT_TENANT, 'c1'))?.revokedAt, null);
  assert.deepEqual(w.events.of('tokens.revoked_for_client'), [
    { tenantId: DEFAULT_TENANT, clientId: w.otherId, grants: 1, actor: { kind: 'admin_client', id: 'ops-bot' } },
  ]);
  assert.deepEqual((await w.app.grants.list(VIEWER, { user: 'alice' })).items, []);
  await rejectsWith(w.app.grants.revokeForUser(OPERATOR, { user: 'nobody' }), 'GH_NOT_FOUND');
  await rejectsWith(w.app.grants.revokeForClient(OPERATOR, { client_id: 'ghost' }), 'GH_NOT_FOUND');
  await rejectsWith(w.app.grants.revokeForUser(VIEWER, { user: 'alice' }), 'GH_FORBIDDEN');
  await rejectsWith(w.app.grants.revokeForClient(OPERATOR, { client_id: '' }), 'GH_INVALID_INPUT', /client_id: /);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { appWorld, OPERATOR, rejectsWith, signIn, VIEWER } from '../../test/support/app-world.ts';
import { ISSUER } from '../../test/support/core-fixtures.ts';
import { receiver } from '../../test/support/logout-rp.ts';
import { DEFAULT_TENANT } from '../core/model/tenant.ts';

async function world(t: { after(fn: () => unknown): void }) {
  const w = await appWorld();
  const rp = await receiver(200);
  t.after(() => rp.close());
  const { client } = await w.app.clients.create(OPERATOR, {
    client_name: 'RP',
    redirect_uris: ['https://rp.example/cb'],
    backchannel_logout_uri: rp.url,
    backchannel_logout_session_required: true,
  });
  const silent = await w.app.clients.create(OPERATOR, { client_name: 'No logout', redirect_uris: ['https://quiet.example/cb'] });
  const alice = await w.app.users.create(OPERATOR, { username: 'alice', password: 'correct horse battery' });
  const bob = await w.app.users.create(OPERATOR, { username: 'bob', password: 'correct horse battery' });
  const laptop = await signIn(w, [
    { userId: alice.id, sid: 'sid-1', clientIds: [client.client_id, silent.client.client_id], authTime: w.now() - 50 },
    { userId: bob.id, sid: 'sid-b' },
  ]);
  await signIn(w, [{ userId: alice.id, sid: 'sid-2', clientIds: [client.client_id], authTime: w.now() - 10 }]);
  w.events.seen.length = 0;
  const verify = (token: string) =>
    jwtVerify(token, createLocalJWKSet(w.keys.jwks() as never), { issuer: ISSUER, audience: client.client_id, currentDate: new Date(w.clock.now()) });
  return { ...w, rp, clientId: client.client_id, alice, bob, laptop, verify };
}

test("sessions.list: a user's signed-in accounts across browsers, by auth_time, paged, never a cookie hash", async (t) => {
  const w = await world(t);
  const p1 = await w.app.sessions.list(VIEWER, { user: 'alice', limit: 1 });
  assert.deepEqual(
    p1.items.map((s) => [s.sid, s.user_id, s.client_ids.length]),
    [['sid-1', w.alice.id, 2]],
  );
  const p2 = await w.app.sessions.list(VIEWER, { user: 'alice', limit: 1, cursor: p1.next_cursor! });
  assert.deepEqual([p2.items.map((s) => s.sid), p2.next_cursor], [['sid-2'], null]);
  assert.ok(!JSON.stringify([p1, p2]).includes('session-hash'), 'the stored session hash is not shown');
  await rejectsWith(w.app.sessions.list(VIEWER, { user: 'nobody' }), 'GH_NOT_FOUND');
  await rejectsWith(w.app.sessions.list(VIEWER, { user: 'alice', sort: 'sid' } as never), 'GH_INVALID_INPUT', /sort: /);
});

test('OIDC Back-Channel Logout §2.5 sessions.end signs one sid out and sends its RPs a Logout Token naming that sid', async (t) => {
  const w = await world(t);
  assert.deepEqual(await w.app.sessions.end(OPERATOR, { sid: 'sid-1' }), { user_id: w.alice.id, sessions_ended: 1, backchannel: 1 });
  await w.delivery.idle();
  assert.equal(w.rp.tokens.length, 1);
  const { payload } = await w.verify(w.rp.tokens[0]!);
  assert.deepEqual([payload.sub, payload['sid']], [w.alice.id, 'sid-1']);
  const laptop = await w.storage.sessions.get(DEFAULT_TENANT, w.laptop);
  assert.deepEqual(
    laptop?.accounts.map((a) => a.sid),
    ['sid-b'],
    'the other account in that browser stays',
  );
  assert.deepEqual(w.events.of('session.ended'), [
    { tenantId: DEFAULT_TENANT, userId: w.alice.id, sids: ['sid-1'], backchannel: 1, actor: { kind: 'admin_client', id: 'ops-bot' } },
  ]);
  await rejectsWith(w.app.sessions.end(OPERATOR, { sid: 'sid-1' }), 'GH_NOT_FOUND', /no signed-in session with sid sid-1/);
  assert.equal(w.rp.tokens.length, 1, 'ending it again notifies nobody');
  await rejectsWith(w.app.sessions.end(VIEWER, { sid: 'sid-2' }), 'GH_FORBIDDEN');
  await rejectsWith(w.app.sessions.end(OPERATOR, { sid: '' }), 'GH_INVALID_INPUT', /sid: /);
});

test("sessions.end with user ends that user's sid only: another user's sid is GH_NOT_FOUND and stays signed in", async (t) => {
  const w = await world(t);
  await rejectsWith(w.app.sessions.end(OPERATOR, { sid: 'sid-b', user: 'alice' }), 'GH_NOT_FOUND', /no signed-in session with sid sid-b for user alice/);
  await rejectsWith(w.app.sessions.end(OPERATOR, { sid: 'sid-', user: 'alice' }), 'GH_NOT_FOUND', /sid sid- for user alice/);
  assert.deepEqual(
    (await w.app.sessions.list(VIEWER, { user: 'bob' })).items.map((s) => s.sid),
    ['sid-b'],
    'bob stays signed in',
  );
  assert.deepEqual(w.events.of('session.ended'), [], 'nothing ended, nothing announced');
  await rejectsWith(w.app.sessions.end(OPERATOR, { sid: 'sid-1', user: 'nobody' }), 'GH_NOT_FOUND');
  assert.deepEqual(await w.app.sessions.end(OPERATOR, { sid: 'sid-1', user: 'alice' }), { user_id: w.alice.id, sessions_ended: 1, backchannel: 1 });
});

test('sessions.end_all signs a user out everywhere (a new session generation for the console, every sid with a Logout Token), other users untouched', async (t) => {
  const w = await world(t);
  assert.deepEqual(await w.app.sessions.endAll(OPERATOR, { user: 'alice' }), { user_id: w.alice.id, sessions_ended: 2, backchannel: 2, session_epoch: 1 });
  await w.delivery.idle();
  const sids = await Promise.all(w.rp.tokens.map(async (tok) => (await w.verify(tok)).payload['sid']));
  assert.deepEqual(sids.sort(), ['sid-1', 'sid-2']);
  assert.deepEqual((await w.app.sessions.list(VIEWER, { user: 'alice' })).items, []);
  assert.deepEqual(
    (await w.app.sessions.list(VIEWER, { user: 'bob' })).items.map((s) => s.sid),
    ['sid-b'],
  );
  assert.equal((await w.app.users.show(VIEWER, { user: 'alice' })).session_epoch, 1, 'the console sessions of alice end');
  assert.equal((await w.app.users.show(VIEWER, { user: 'bob' })).session_epoch, 0, "bob's do not");
  assert.deepEqual(
    w.events.of('session.ended').map((e) => [e.sids, e.backchannel, e.sessionEpoch]),
    [[['sid-1', 'sid-2'], 2, 1]],
  );
  // With no browser session left, the console sessions still end (a new generation) and it is announced.
  assert.deepEqual(await w.app.sessions.endAll(OPERATOR, { user: 'alice' }), { user_id: w.alice.id, sessions_ended: 0, backchannel: 0, session_epoch: 2 });
  assert.deepEqual(
    w.events.of('session.ended').map((e) => [e.sids, e.sessionEpoch]),
    [
      [['sid-1', 'sid-2'], 1],
      [[], 2],
    ],
  );
  await rejectsWith(w.app.sessions.endAll(OPERATOR, { user: 'nobody' }), 'GH_NOT_FOUND');
  await rejectsWith(w.app.sessions.endAll(VIEWER, { user: 'alice' }), 'GH_FORBIDDEN');
  assert.equal((await w.app.users.show(VIEWER, { user: 'alice' })).session_epoch, 2, 'a refused call changes nothing');
});

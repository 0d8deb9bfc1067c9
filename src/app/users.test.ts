import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { ADMIN, appWorld, assertNoSecrets, OPERATOR, rejectsWith, signIn, tokenRecord, VIEWER } from '../../test/support/app-world.ts';
import { receiver } from '../../test/support/logout-rp.ts';
import { ISSUER } from '../../test/support/core-fixtures.ts';
import { DEFAULT_TENANT } from '../core/model/tenant.ts';
import { userKeyPrefix } from '../core/users/password-sign-in.ts';
import { grantDenylistKey } from '../core/tokens/grant-revocation.ts';

const PW = 'correct horse battery';
const alice = { username: 'Alice', password: PW, claims: { email: 'alice@example.com', name: 'Alice' } };

test('S18 users.create: an operator adds a user; the view never holds the password or its argon2id hash', async () => {
  const w = await appWorld();
  const u = await w.app.users.create(OPERATOR, alice);
  assert.equal(u.username, 'alice');
  assert.deepEqual(u.roles, ['user']);
  assert.equal(u.has_password, true);
  const stored = await w.storage.users.get(DEFAULT_TENANT, u.id);
  assert.match(stored!.passwordHash!, /^\$argon2id\$/);
  assertNoSecrets(u, [PW, stored!.passwordHash]);
  assert.deepEqual(w.events.of('user.created'), [{ tenantId: DEFAULT_TENANT, userId: u.id, via: 'admin', actor: { kind: 'admin_client', id: 'ops-bot' } }]);
  assert.ok(!JSON.stringify(w.events.seen).includes(PW), 'no event carries the password');
});

test('users.create refuses a viewer (GH_FORBIDDEN), bad input (GH_INVALID_INPUT, dotted paths or the rule broken) and a taken name (GH_CONFLICT)', async () => {
  const w = await appWorld();
  await rejectsWith(w.app.users.create(VIEWER, alice), 'GH_FORBIDDEN');
  await rejectsWith(w.app.users.create(OPERATOR, { ...alice, password: 'short' }), 'GH_INVALID_INPUT', /8 to 128 characters/);
  await rejectsWith(w.app.users.create(OPERATOR, { ...alice, username: 7 } as never), 'GH_INVALID_INPUT', /username: /);
  await rejectsWith(w.app.users.create(OPERATOR, { ...alice, claims: { shoe_size: 44 } }), 'GH_INVALID_INPUT', /unknown claim "shoe_size"/);
  await rejectsWith(w.app.users.create(OPERATOR, { ...alice, roles: ['root admin'] }), 'GH_INVALID_INPUT', /role "root admin" is not a valid role name/);
  assert.equal((await w.app.users.list(VIEWER, {})).items.length, 0);
  await w.app.users.create(OPERATOR, alice);
  await rejectsWith(w.app.users.create(OPERATOR, { ...alice, username: 'ALICE' }), 'GH_CONFLICT', /already exists/);
});

test('users.show by id or username, users.list paged by username or creation time; unknown users are GH_NOT_FOUND', async () => {
  const w = await appWorld();
  for (const name of ['carol', 'alice', 'bob']) {
    await w.app.users.create(OPERATOR, { username: name, password: PW });
    w.clock.advance(1);
  }
  const a = await w.app.users.show(VIEWER, { user: 'ALICE' });
  assert.deepEqual(await w.app.users.show(VIEWER, { user: a.id }), a);
  const p1 = await w.app.users.list(VIEWER, { limit: 2 });
  assert.deepEqual(
    p1.items.map((u) => u.username),
    ['alice', 'bob'],
  );
  const p2 = await w.app.users.list(VIEWER, { limit: 2, cursor: p1.next_cursor! });
  assert.deepEqual([p2.items.map((u) => u.username), p2.next_cursor], [['carol'], null]);
  assert.deepEqual(
    (await w.app.users.list(VIEWER, { sort: 'created_at', order: 'desc' })).items.map((u) => u.username),
    ['bob', 'alice', 'carol'],
  );
  assert.deepEqual(
    (await w.app.users.list(VIEWER, { q: 'b' })).items.map((u) => u.username),
    ['bob'],
  );
  assertNoSecrets(p1);
  await rejectsWith(w.app.users.show(VIEWER, { user: 'nobody' }), 'GH_NOT_FOUND', /no user "nobody"/);
  await rejectsWith(w.app.users.list(VIEWER, { cursor: p1.next_cursor!, sort: 'created_at' }), 'GH_INVALID_INPUT', /cursor: /);
});

test('OIDC Core §5.1 users.update merges claims (null removes one) and replaces roles in one write and one event', async () => {
  const w = await appWorld();
  const u = await w.app.users.create(OPERATOR, alice);
  w.clock.advance(5);
  const r = await w.app.users.update(OPERATOR, { user: 'alice', claims: { name: null, given_name: 'Alice', email_verified: true }, roles: ['admin', 'user'] });
  assert.deepEqual(r.claims, { email: 'alice@example.com', given_name: 'Alice', email_verified: true, updated_at: w.now() });
  assert.deepEqual(r.roles, ['admin', 'user']);
  assert.deepEqual(w.events.of('user.updated'), [
    { tenantId: DEFAULT_TENANT, userId: u.id, via: 'admin', change: 'claims_and_roles', actor: { kind: 'admin_client', id: 'ops-bot' } },
  ]);
  await rejectsWith(w.app.users.update(OPERATOR, { user: 'alice', claims: { email: 'not-an-email' } }), 'GH_INVALID_INPUT', /email/);
  await rejectsWith(w.app.users.update(OPERATOR, { user: 'alice', roles: ['a b'] }), 'GH_INVALID_INPUT', /not a valid role name/);
  await rejectsWith(w.app.users.update(OPERATOR, { user: 'alice' }), 'GH_INVALID_INPUT', /give claims, attributes, roles and\/or groups/);
  assert.deepEqual((await w.app.users.show(VIEWER, { user: 'alice' })).claims, r.claims, 'refused changes write nothing');
  await rejectsWith(w.app.users.update(OPERATOR, { user: 'nobody', roles: ['user'] }), 'GH_NOT_FOUND');
  await rejectsWith(w.app.users.update(VIEWER, { user: 'alice', roles: ['user'] }), 'GH_FORBIDDEN');
});

test('NIST SP 800-63B users.set_password stores a new argon2id hash; disable and enable flip sign-in', async () => {
  const w = await appWorld();
  const u = await w.app.users.create(OPERATOR, alice);
  const before = (await w.storage.users.get(DEFAULT_TENANT, u.id))!.passwordHash!;
  const r = await w.app.users.setPassword(OPERATOR, { user: 'alice', password: 'a brand new passphrase' });
  const after = (await w.storage.users.get(DEFAULT_TENANT, u.id))!.passwordHash!;
  assert.notEqual(after, before);
  assertNoSecrets(r, ['a brand new passphrase', after]);
  await rejectsWith(w.app.users.setPassword(OPERATOR, { user: 'alice', password: 'tiny' }), 'GH_INVALID_INPUT', /8 to 128/);
  assert.equal((await w.storage.users.get(DEFAULT_TENANT, u.id))!.passwordHash, after);
  assert.equal((await w.app.users.disable(OPERATOR, { user: 'alice' })).disabled, true);
  assert.equal((await w.app.users.enable(OPERATOR, { user: u.id })).disabled, false);
  assert.deepEqual(
    w.events.of('user.updated').map((e) => e.change),
    ['password', 'disabled', 'enabled'],
  );
  await rejectsWith(w.app.users.disable(OPERATOR, { user: 'nobody' }), 'GH_NOT_FOUND');
  await rejectsWith(w.app.users.setPassword(VIEWER, { user: 'alice', password: PW }), 'GH_FORBIDDEN');
});

test('OIDC Back-Channel Logout §2.5 users.delete (admin only) ends sessions with Logout Tokens to RPs, revokes grants, deletes consents', async (t) => {
  const w = await appWorld();
  const rp = await receiver(200);
  t.after(() => rp.close());
  const { client } = await w.app.clients.create(OPERATOR, {
    client_name: 'RP',
    redirect_uris: ['https://rp.example/cb'],
    backchannel_logout_uri: rp.url,
    backchannel_logout_session_required: true,
  });
  const u = await w.app.users.create(OPERATOR, alice);
  const bob = await w.app.users.create(OPERATOR, { username: 'bob', password: PW });
  await signIn(w, [
    { userId: u.id, sid: 'sid-a1', clientIds: [client.client_id] },
    { userId: bob.id, sid: 'sid-b1', clientIds: [client.client_id] },
  ]);
  await signIn(w, [{ userId: u.id, sid: 'sid-a2' }]);
  await w.storage.tokens.insert(tokenRecord(w, { hash: 'ha', grantId: 'ga', clientId: client.client_id, userId: u.id }));
  await w.storage.tokens.insert(tokenRecord(w, { hash: 'hb', grantId: 'gb', clientId: client.client_id, userId: bob.id }));
  await w.storage.consents.put({
    tenantId: DEFAULT_TENANT,
    userId: u.id,
    clientId: client.client_id,
    scopes: ['openid'],
    claims: [],
    createdAt: w.now(),
    updatedAt: w.now(),
  });
  w.events.seen.length = 0;

  await rejectsWith(w.app.users.delete(OPERATOR, { user: 'alice' }), 'GH_FORBIDDEN', /users\.delete needs the admin role/);
  const r = await w.app.users.delete(ADMIN, { user: 'alice' });
  assert.deepEqual(r, { id: u.id, username: 'alice', sessions_ended: 2, grants_revoked: 1, consents_deleted: 1 });
  await w.delivery.idle();
  assert.equal(rp.tokens.length, 1, 'one Logout Token: the one RP of the ended sessions');
  const { payload } = await jwtVerify(rp.tokens[0]!, createLocalJWKSet(w.keys.jwks() as never), {
    issuer: ISSUER,
    audience: client.client_id,
    currentDate: new Date(w.clock.now()),
  });
  assert.deepEqual([payload.sub, payload['sid']], [u.id, 'sid-a1']);
  assert.equal(await w.storage.users.get(DEFAULT_TENANT, u.id), undefined);
  assert.equal(await w.storage.sessions.findBySid(DEFAULT_TENANT, 'sid-a1').then((s) => s?.accounts.some((a) => a.sid === 'sid-a1') ?? false), false);
  assert.ok(await w.storage.sessions.findBySid(DEFAULT_TENANT, 'sid-b1'), "bob's account in the same browser stays signed in");
  assert.notEqual((await w.storage.tokens.find(DEFAULT_TENANT, 'ha'))?.revokedAt, null);
  assert.equal((await w.storage.tokens.find(DEFAULT_TENANT, 'hb'))?.revokedAt, null);
  assert.equal(await w.storage.denylist.has(DEFAULT_TENANT, grantDenylistKey('ga')), true);
  assert.equal(await w.storage.consents.get(DEFAULT_TENANT, u.id, client.client_id), undefined);
  assert.deepEqual(w.events.of('user.deleted'), [
    { tenantId: DEFAULT_TENANT, userId: u.id, sessionsEnded: 2, grantsRevoked: 1, consentsDeleted: 1, actor: { kind: 'admin_user', id: 'root' } },
  ]);
  await rejectsWith(w.app.users.delete(ADMIN, { user: 'alice' }), 'GH_NOT_FOUND');
});

/** alice signed in twice (sid-a1 with an RP that takes Back-Channel Logout), bob once; one live grant each. */
async function signedInWorld(t: { after(fn: () => unknown): void }, users: { revokeOnDisable?: boolean; revokeOnPasswordChange?: boolean } = {}) {
  const w = await appWorld({ users });
  const rp = await receiver(200);
  t.after(() => rp.close());
  const { client } = await w.app.clients.create(OPERATOR, {
    client_name: 'RP',
    redirect_uris: ['https://rp.example/cb'],
    backchannel_logout_uri: rp.url,
    backchannel_logout_session_required: true,
  });
  const u = await w.app.users.create(OPERATOR, alice);
  const bob = await w.app.users.create(OPERATOR, { username: 'bob', password: PW });
  await signIn(w, [
    { userId: u.id, sid: 'sid-a1', clientIds: [client.client_id] },
    { userId: bob.id, sid: 'sid-b1', clientIds: [client.client_id] },
  ]);
  await signIn(w, [{ userId: u.id, sid: 'sid-a2' }]);
  await w.storage.tokens.insert(tokenRecord(w, { hash: 'ha', grantId: 'ga', clientId: client.client_id, userId: u.id }));
  await w.storage.tokens.insert(tokenRecord(w, { hash: 'hb', grantId: 'gb', clientId: client.client_id, userId: bob.id }));
  const signedIn = async (sid: string) => (await w.storage.sessions.findBySid(DEFAULT_TENANT, sid))?.accounts.some((a) => a.sid === sid) ?? false;
  const revoked = async (hash: string) => (await w.storage.tokens.find(DEFAULT_TENANT, hash))?.revokedAt !== null;
  return { w, rp, u, signedIn, revoked };
}

for (const [name, act] of [
  ['users.disable', (w: Awaited<ReturnType<typeof appWorld>>) => w.app.users.disable(OPERATOR, { user: 'alice' })],
  ['users.set_password', (w: Awaited<ReturnType<typeof appWorld>>) => w.app.users.setPassword(OPERATOR, { user: 'alice', password: 'a brand new passphrase' })],
] as const) {
  test(`CWE-613 ${name} ends the user's sessions (Back-Channel Logout) and revokes its grants, JWTs through the grant denylist`, async (t) => {
    const { w, rp, u, signedIn, revoked } = await signedInWorld(t);
    const r = await act(w);
    assert.equal(r.sessions_ended, 2);
    assert.equal(r.grants_revoked, 1);
    await w.delivery.idle();
    assert.equal(rp.tokens.length, 1, 'a Logout Token for the RP of sid-a1');
    assert.equal(decodeSub(rp.tokens[0]!), u.id);
    assert.deepEqual([await signedIn('sid-a1'), await signedIn('sid-a2'), await signedIn('sid-b1')], [false, false, true]);
    assert.deepEqual([await revoked('ha'), await revoked('hb')], [true, false]);
    assert.equal(await w.storage.denylist.has(DEFAULT_TENANT, grantDenylistKey('ga')), true);
    assert.equal(r.session_epoch, 1, 'a new session generation: the console sessions of the user end');
    assert.equal((await w.app.users.show(OPERATOR, { user: 'bob' })).session_epoch, 0, 'no one else is signed out');
  });

  test(`CWE-613 ${name} with its users.revokeOn… switch off ends nothing`, async (t) => {
    const { w, rp, signedIn, revoked } = await signedInWorld(t, { revokeOnDisable: false, revokeOnPasswordChange: false });
    const r = await act(w);
    assert.deepEqual([r.sessions_ended, r.grants_revoked], [0, 0]);
    await w.delivery.idle();
    assert.equal(rp.tokens.length, 0);
    assert.deepEqual([await signedIn('sid-a1'), await signedIn('sid-a2'), await revoked('ha')], [true, true, false]);
    assert.equal(await w.storage.denylist.has(DEFAULT_TENANT, grantDenylistKey('ga')), false);
    assert.equal(r.session_epoch, 1, 'the console sessions end whatever the switch says');
  });
}

test('CWE-613 users.enable revokes nothing and restores nothing: what disable revoked stays revoked', async (t) => {
  const { w, signedIn, revoked } = await signedInWorld(t);
  await w.app.users.disable(OPERATOR, { user: 'alice' });
  const r = await w.app.users.enable(OPERATOR, { user: 'alice' });
  assert.equal(r.disabled, false);
  assert.equal(r.session_epoch, 1, 'enable keeps the generation disable started: no old console session comes back');
  assert.deepEqual([await signedIn('sid-a1'), await revoked('ha')], [false, true]);
});

function decodeSub(jwt: string): unknown {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).sub;
}

test("NIST SP 800-63B §5.2.2 users.unlock: an operator clears every sign-in counter of the user (and no one else's), with user.unlocked naming the actor", async () => {
  const w = await appWorld();
  const u = await w.app.users.create(OPERATOR, alice);
  const other = await w.app.users.create(OPERATOR, { username: 'alicia', password: PW });
  const mine = userKeyPrefix('alice');
  for (const k of [`${mine}addr:4:192.0.2.1`, `${mine}device:xyz`, `${mine}all`]) for (let i = 0; i < 5; i++) await w.rateLimiter.hit(k, 3, 600);
  await w.rateLimiter.hit(`${userKeyPrefix('alicia')}addr:4:192.0.2.1`, 3, 600);
  w.events.seen.length = 0;
  await rejectsWith(w.app.users.unlock(VIEWER, { user: 'alice' }), 'GH_FORBIDDEN');
  assert.equal((await w.rateLimiter.hit(`${mine}addr:4:192.0.2.1`, 3, 600)).allowed, false, 'a refused role clears nothing');
  assert.deepEqual(await w.app.users.unlock(OPERATOR, { user: 'ALICE' }), { id: u.id, username: 'alice', counters_cleared: 3 });
  assert.equal((await w.rateLimiter.hit(`${mine}addr:4:192.0.2.1`, 3, 600)).count, 1, 'the pair counter starts again');
  assert.equal((await w.rateLimiter.hit(`${mine}all`, 3, 600)).count, 1, 'the username-wide delay starts again');
  assert.equal((await w.rateLimiter.hit(`${userKeyPrefix('alicia')}addr:4:192.0.2.1`, 3, 600)).count, 2, 'alicia is untouched');
  assert.deepEqual(w.events.of('user.unlocked'), [{ tenantId: DEFAULT_TENANT, userId: u.id, counters: 3, actor: { kind: 'admin_client', id: 'ops-bot' } }]);
  await rejectsWith(w.app.users.unlock(OPERATOR, { user: 'nobody' }), 'GH_NOT_FOUND');
  assert.equal(w.events.of('user.unlocked').length, 1, 'no event for an unknown user');
  assert.ok(other.id);
});

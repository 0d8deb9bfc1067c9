import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADMIN, appWorld, assertNoSecrets, NOBODY, OPERATOR, rejectsWith, tokenRecord, VIEWER } from '../../test/support/app-world.ts';
import { sha256 } from '../core/crypto.ts';
import { DEFAULT_TENANT } from '../core/model/tenant.ts';
import { grantDenylistKey } from '../core/tokens/grant-revocation.ts';

const cc = { client_name: 'Billing', grant_types: ['client_credentials'], scope: 'billing:read' };
const web = { client_name: 'Portal', redirect_uris: ['https://portal.example/cb'] };

test('S18 clients.create: an operator registers a client; the secret is returned once and stored only as its hash', async () => {
  const w = await appWorld();
  const r = await w.app.clients.create(OPERATOR, cc);
  assert.match(r.client.client_id, /^[A-Za-z0-9][A-Za-z0-9_-]{21}$/);
  assert.ok(r.client_secret);
  const stored = await w.storage.clients.get(DEFAULT_TENANT, r.client.client_id);
  assert.equal(stored?.secretHash, sha256(r.client_secret));
  assertNoSecrets(r.client, [stored?.secretHash]);
  assert.deepEqual(w.events.of('client.created'), [
    { tenantId: DEFAULT_TENANT, clientId: r.client.client_id, via: 'admin', actor: { kind: 'admin_client', id: 'ops-bot' } },
  ]);
});

test('S18 the role check comes before validation: a viewer is refused (GH_FORBIDDEN) even with bad input, and nothing is written', async () => {
  const w = await appWorld();
  await rejectsWith(w.app.clients.create(VIEWER, cc), 'GH_FORBIDDEN', /clients\.create needs the operator role/);
  await rejectsWith(w.app.clients.create(VIEWER, { bogus: 1 } as never), 'GH_FORBIDDEN');
  await rejectsWith(w.app.clients.show(NOBODY, { client_id: 'x' }), 'GH_FORBIDDEN');
  assert.equal((await w.app.clients.list(VIEWER, {})).items.length, 0);
  assert.deepEqual(w.events.seen, []);
});

test("RFC 7591 §2 clients.create: input errors name their dotted paths; metadata rules are the shared validator's (GH_INVALID_INPUT)", async () => {
  const w = await appWorld();
  await rejectsWith(w.app.clients.create(OPERATOR, { redirect_uris: [42] } as never), 'GH_INVALID_INPUT', /redirect_uris\.0: /);
  await rejectsWith(w.app.clients.create(OPERATOR, { redirect_uri: 'https://a.example/cb' } as never), 'GH_INVALID_INPUT', /redirect_uri/);
  await rejectsWith(w.app.clients.create(OPERATOR, { redirect_uris: ['https://a.example/cb#x'] }), 'GH_INVALID_INPUT', /^invalid_redirect_uri: .*fragment/);
  await rejectsWith(
    w.app.clients.create(OPERATOR, { ...cc, token_endpoint_auth_method: 'private_key_jwt' }),
    'GH_INVALID_INPUT',
    /private_key_jwt requires jwks/,
  );
  assert.equal((await w.app.clients.list(ADMIN, {})).items.length, 0);
});

test('clients.show and clients.list carry no secret; an unknown client is GH_NOT_FOUND', async () => {
  const w = await appWorld();
  const r = await w.app.clients.create(OPERATOR, { ...cc, token_endpoint_auth_method: 'client_secret_jwt' });
  const stored = await w.storage.clients.get(DEFAULT_TENANT, r.client.client_id);
  assert.ok(stored?.secretEncrypted);
  const shown = await w.app.clients.show(VIEWER, { client_id: r.client.client_id });
  assert.equal(shown.client_name, 'Billing');
  assertNoSecrets(shown, [r.client_secret, stored.secretHash, stored.secretEncrypted]);
  assertNoSecrets(await w.app.clients.list(VIEWER, {}), [r.client_secret, stored.secretHash, stored.secretEncrypted]);
  await rejectsWith(w.app.clients.show(VIEWER, { client_id: 'ghost' }), 'GH_NOT_FOUND', /no client ghost/);
});

test('clients.list pages with an opaque cursor; a forged, garbled or other-sort cursor is GH_INVALID_INPUT', async () => {
  const w = await appWorld();
  for (const name of ['Alpha', 'beta', 'Gamma']) await w.app.clients.create(OPERATOR, { ...cc, client_name: name });
  const first = await w.app.clients.list(VIEWER, { sort: 'client_name', limit: 2 });
  assert.deepEqual(
    first.items.map((c) => c.client_name),
    ['Alpha', 'beta'],
  );
  assert.ok(first.next_cursor);
  const second = await w.app.clients.list(VIEWER, { sort: 'client_name', limit: 2, cursor: first.next_cursor });
  assert.deepEqual(
    second.items.map((c) => c.client_name),
    ['Gamma'],
  );
  assert.equal(second.next_cursor, null);
  const desc = await w.app.clients.list(VIEWER, { sort: 'client_name', order: 'desc', q: 'g' });
  assert.deepEqual(
    desc.items.map((c) => c.client_name),
    ['Gamma'],
  );
  for (const cursor of ['%%%', 'bm90IGpzb24', Buffer.from('{"k":1}').toString('base64url'), Buffer.from('{"k":"a","id":"b","x":1}').toString('base64url')]) {
    await rejectsWith(w.app.clients.list(VIEWER, { cursor }), 'GH_INVALID_INPUT', /^cursor: /);
  }
  // A client_name cursor (k is a string) handed to the created_at sort (k is a number).
  await rejectsWith(w.app.clients.list(VIEWER, { sort: 'created_at', cursor: first.next_cursor }), 'GH_INVALID_INPUT', /another sort/);
  await rejectsWith(w.app.clients.list(VIEWER, { limit: 501 }), 'GH_INVALID_INPUT', /limit: /);
  await rejectsWith(w.app.clients.list(VIEWER, { sort: 'secret' } as never), 'GH_INVALID_INPUT', /sort: /);
});

test('RFC 7592 §2.2 clients.update changes the given members, validates the whole as at creation, keeps id and secret', async () => {
  const w = await appWorld();
  const { client } = await w.app.clients.create(OPERATOR, { ...web, client_uri: 'https://portal.example' });
  const before = await w.storage.clients.get(DEFAULT_TENANT, client.client_id);
  const r = await w.app.clients.update(OPERATOR, {
    client_id: client.client_id,
    metadata: { client_name: 'Portal 2', redirect_uris: ['https://portal.example/cb', 'https://portal.example/cb2'], client_uri: null },
  });
  assert.equal(r.client.client_name, 'Portal 2');
  assert.deepEqual(r.client.redirect_uris, ['https://portal.example/cb', 'https://portal.example/cb2']);
  assert.equal(r.client['client_uri'], undefined, 'null removes a member');
  assert.equal(r.client_secret, null, 'the secret is kept, not re-issued');
  assert.equal((await w.storage.clients.get(DEFAULT_TENANT, client.client_id))?.secretHash, before?.secretHash);
  assert.deepEqual(w.events.of('client.updated'), [
    { tenantId: DEFAULT_TENANT, clientId: client.client_id, via: 'admin', change: 'metadata', actor: { kind: 'admin_client', id: 'ops-bot' } },
  ]);
  // The same validator as creation: the change is refused and nothing is written.
  await rejectsWith(
    w.app.clients.update(OPERATOR, { client_id: client.client_id, metadata: { redirect_uris: [] } }),
    'GH_INVALID_INPUT',
    /redirect_uris is required/,
  );
  await rejectsWith(
    w.app.clients.update(OPERATOR, { client_id: client.client_id, metadata: { backchannel_logout_uri: 'http://rp.example/bc' } }),
    'GH_INVALID_INPUT',
    /must be an https URL/,
  );
  assert.equal((await w.app.clients.show(VIEWER, { client_id: client.client_id })).client_name, 'Portal 2');
  await rejectsWith(w.app.clients.update(OPERATOR, { client_id: client.client_id, metadata: {} }), 'GH_INVALID_INPUT', /metadata: name at least one member/);
  await rejectsWith(w.app.clients.update(OPERATOR, { client_id: 'ghost', metadata: { client_name: 'x' } }), 'GH_NOT_FOUND');
  await rejectsWith(w.app.clients.update(VIEWER, { client_id: client.client_id, metadata: { client_name: 'x' } }), 'GH_FORBIDDEN');
});

test('clients.update to a secret-based method issues a secret, shown once', async () => {
  const w = await appWorld();
  const { client, client_secret } = await w.app.clients.create(OPERATOR, { ...web, token_endpoint_auth_method: 'none' });
  assert.equal(client_secret, null);
  const r = await w.app.clients.update(OPERATOR, { client_id: client.client_id, metadata: { token_endpoint_auth_method: 'client_secret_basic' } });
  assert.ok(r.client_secret);
  assert.equal((await w.storage.clients.get(DEFAULT_TENANT, client.client_id))?.secretHash, sha256(r.client_secret));
});

test('clients.disable / enable / rotate_secret publish client.updated with what changed and who changed it', async () => {
  const w = await appWorld();
  const { client, client_secret } = await w.app.clients.create(OPERATOR, cc);
  assert.equal((await w.app.clients.disable(OPERATOR, { client_id: client.client_id })).disabled, true);
  assert.equal((await w.app.clients.enable(OPERATOR, { client_id: client.client_id })).disabled, false);
  const rotated = await w.app.clients.rotateSecret(OPERATOR, { client_id: client.client_id });
  assert.ok(rotated.client_secret && rotated.client_secret !== client_secret);
  assert.equal((await w.storage.clients.get(DEFAULT_TENANT, client.client_id))?.secretHash, sha256(rotated.client_secret));
  assertNoSecrets(rotated.client, [client_secret, sha256(rotated.client_secret)]);
  assert.deepEqual(
    w.events.of('client.updated').map((e) => [e.change, e.actor?.id]),
    [
      ['disabled', 'ops-bot'],
      ['enabled', 'ops-bot'],
      ['secret_rotated', 'ops-bot'],
    ],
  );
  const pk = await w.app.clients.create(OPERATOR, {
    ...cc,
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    redirect_uris: ['https://a.example/cb'],
  });
  await rejectsWith(w.app.clients.rotateSecret(OPERATOR, { client_id: pk.client.client_id }), 'GH_CONFLICT', /uses none, which has no secret/);
  await rejectsWith(w.app.clients.disable(OPERATOR, { client_id: 'ghost' }), 'GH_NOT_FOUND');
  await rejectsWith(w.app.clients.rotateSecret(VIEWER, { client_id: client.client_id }), 'GH_FORBIDDEN');
});

test("RFC 7009 §2 clients.delete (admin only) revokes the client's grants, denylists them for JWTs and deletes its consents", async () => {
  const w = await appWorld();
  const { client } = await w.app.clients.create(OPERATOR, web);
  const other = await w.app.clients.create(OPERATOR, { ...web, client_name: 'Other' });
  await w.storage.tokens.insert(tokenRecord(w, { hash: 'h1', grantId: 'g1', clientId: client.client_id, userId: 'u1' }));
  await w.storage.tokens.insert(tokenRecord(w, { hash: 'h2', grantId: 'g2', clientId: other.client.client_id, userId: 'u1' }));
  for (const c of [client.client_id, other.client.client_id]) {
    await w.storage.consents.put({
      tenantId: DEFAULT_TENANT,
      userId: 'u1',
      clientId: c,
      scopes: ['openid'],
      claims: [],
      createdAt: w.now(),
      updatedAt: w.now(),
    });
  }
  await rejectsWith(w.app.clients.delete(OPERATOR, { client_id: client.client_id }), 'GH_FORBIDDEN', /needs the admin role/);
  assert.ok(await w.storage.clients.get(DEFAULT_TENANT, client.client_id), 'a refused delete deletes nothing');
  const r = await w.app.clients.delete(ADMIN, { client_id: client.client_id });
  assert.deepEqual(r, { client_id: client.client_id, grants_revoked: 1, consents_deleted: 1 });
  assert.equal(await w.storage.clients.get(DEFAULT_TENANT, client.client_id), undefined);
  assert.notEqual((await w.storage.tokens.find(DEFAULT_TENANT, 'h1'))?.revokedAt, null);
  assert.equal((await w.storage.tokens.find(DEFAULT_TENANT, 'h2'))?.revokedAt, null, 'other clients keep their tokens');
  assert.equal(await w.storage.denylist.has(DEFAULT_TENANT, grantDenylistKey('g1')), true);
  assert.equal(await w.storage.consents.get(DEFAULT_TENANT, 'u1', client.client_id), undefined);
  assert.ok(await w.storage.consents.get(DEFAULT_TENANT, 'u1', other.client.client_id));
  assert.deepEqual(w.events.of('client.deleted'), [
    { tenantId: DEFAULT_TENANT, clientId: client.client_id, via: 'admin', grantsRevoked: 1, consentsDeleted: 1, actor: { kind: 'admin_user', id: 'root' } },
  ]);
  await rejectsWith(w.app.clients.delete(ADMIN, { client_id: client.client_id }), 'GH_NOT_FOUND');
});

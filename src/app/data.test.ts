import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADMIN, appWorld, OPERATOR, rejectsWith } from '../../test/support/app-world.ts';

type Doc = { format: string; version: number; clients: Record<string, unknown>[]; users: Record<string, unknown>[] };

async function seeded() {
  const w = await appWorld();
  const c = await w.app.clients.create(ADMIN, {
    client_name: 'billing',
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'client_secret_basic',
  });
  const pub = await w.app.clients.create(ADMIN, {
    client_name: 'spa',
    grant_types: ['authorization_code'],
    redirect_uris: ['https://spa.example/cb'],
    token_endpoint_auth_method: 'none',
  });
  await w.app.users.create(ADMIN, { username: 'alice', password: 'correct horse battery staple' });
  const doc = (await w.app.data.export(ADMIN, {})) as unknown as Doc;
  return { w, doc, clientId: c.client.client_id, publicId: pub.client.client_id };
}

test('S18 data.export and data.import need the admin role', async () => {
  const { w, doc } = await seeded();
  await rejectsWith(w.app.data.export(OPERATOR, {}), 'GH_FORBIDDEN');
  await rejectsWith(w.app.data.import(OPERATOR, { document: doc as never }), 'GH_FORBIDDEN');
});

test('S5 data.import refuses a secret that does not fit the method, and every other problem at once, writing nothing', async () => {
  const { doc, clientId, publicId } = await seeded();
  const fresh = await appWorld();
  const bad = structuredClone(doc);
  bad.clients.find((c) => c['client_id'] === clientId)!['secret_hash'] = null;
  bad.clients.find((c) => c['client_id'] === publicId)!['secret_hash'] = 'A'.repeat(43);
  bad.users.push({ ...bad.users[0], id: 'other-id' });
  bad.users.push({ id: 'u2', username: 'bob', created_at: 1, roles: ['not a role!'] });
  bad.users.push({ id: 'u3', username: 'carol', created_at: 1, password_hash: 'plaintext-password' });
  // Clients export in client_id order (random ids): each problem is matched on its own.
  const refused = await fresh.app.data.import(ADMIN, { document: bad as never }).then(
    () => assert.fail('the import was accepted'),
    (e: Error & { code?: string }) => e,
  );
  assert.equal(refused.code, 'GH_INVALID_INPUT');
  for (const why of [
    /nothing written \(5 problems\)/,
    /client_secret_basic needs secret_hash/,
    /none has no secret/,
    /username appears twice/,
    /not a valid role name/,
    /argon2 PHC/,
  ]) {
    assert.match(refused.message, why);
  }
  const after = await fresh.app.data.export(ADMIN, {});
  assert.equal(after.clients.length, 0);
  assert.equal(after.users.length, 0);
});

test('data.import: a username stored under another id, or a rename, is refused in upsert mode too', async () => {
  const { w, doc } = await seeded();
  const renamed = structuredClone(doc);
  renamed.users[0]!['username'] = 'alice2';
  await rejectsWith(w.app.data.import(ADMIN, { mode: 'upsert', document: renamed as never }), 'GH_INVALID_INPUT', /renames are not imported/);
  const taken = structuredClone(doc);
  taken.users[0]!['id'] = 'another-id';
  await rejectsWith(w.app.data.import(ADMIN, { mode: 'upsert', document: taken as never }), 'GH_INVALID_INPUT', /belongs to another user/);
});

test('data.import: when a write fails after validation, the records this import created are deleted again and no record event is sent', async () => {
  const { doc } = await seeded();
  const fresh = await appWorld();
  // A store outage on the third write (the users' create), after two clients were created.
  const users = fresh.storage.users as { create: (u: never) => Promise<void> };
  users.create = async () => {
    throw Object.assign(new Error('store unavailable'), { code: 'GH_STORE_UNAVAILABLE' });
  };
  fresh.events.seen.length = 0;
  await assert.rejects(fresh.app.data.import(ADMIN, { document: doc as never }), /store unavailable/);
  const after = await fresh.app.data.export(ADMIN, {});
  assert.deepEqual(after.clients, [], 'the clients it had created are gone again');
  assert.ok(!fresh.events.seen.some((e) => e.name === 'client.created' || e.name === 'data.imported'), 'nothing announced');
});

import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { createMemoryStorage } from '../../storage/memory/memory-storage.ts';
import { sha256 } from '../crypto.ts';
import { GatehouseError, OAuthError } from '../errors.ts';
import { EventBus, type EventName } from '../events.ts';
import { decryptWithKek } from '../keys/kek.ts';
import { DEFAULT_TENANT } from '../model/tenant.ts';
import { OPERATOR_POLICY } from '../registration/client-metadata.ts';
import { createClientService, type ClientServiceDeps } from './client-service.ts';

function world() {
  const storage = createMemoryStorage();
  const events = new EventBus();
  const seen: [EventName, unknown][] = [];
  for (const n of ['client.created', 'client.updated', 'client.deleted'] as const) events.on(n, (p) => seen.push([n, p]));
  let now = 1_700_000_000_000;
  const deps: ClientServiceDeps = {
    clients: storage.clients,
    clock: { now: () => now },
    random: { bytes: (n) => randomBytes(n) },
    events,
    kek: randomBytes(32),
    tenantId: DEFAULT_TENANT,
  };
  return {
    deps,
    clients: createClientService(deps),
    storage,
    seen,
    advance: (s: number) => {
      now += s * 1000;
    },
  };
}
const cc = (method: string) => ({ grant_types: ['client_credentials'], token_endpoint_auth_method: method, scope: 'read write' });

test('RFC 7591 §3.2.1 creation issues a random URL-safe client_id and a 256-bit secret, storing only its SHA-256 (S5)', async () => {
  const w = world();
  const { client, clientSecret } = await w.clients.create({ metadata: cc('client_secret_basic'), policy: OPERATOR_POLICY, via: 'cli' });
  assert.match(client.clientId, /^[A-Za-z0-9_-]{22}$/);
  assert.ok(clientSecret);
  assert.equal(Buffer.from(clientSecret, 'base64url').length, 32);
  const stored = await w.storage.clients.get(DEFAULT_TENANT, client.clientId);
  assert.ok(stored);
  assert.equal(stored.secretHash, sha256(clientSecret));
  assert.equal(stored.secretEncrypted, null);
  assert.ok(!JSON.stringify(stored).includes(clientSecret), 'the secret itself is not stored');
  assert.deepEqual(stored.scopes, ['read', 'write']);
  assert.deepEqual(w.seen, [['client.created', { tenantId: DEFAULT_TENANT, clientId: client.clientId, via: 'cli' }]]);
});

test('OIDC Core §9 a client_secret_jwt secret is also sealed under the KEK, bound to the client id', async () => {
  const w = world();
  const { client, clientSecret } = await w.clients.create({ metadata: cc('client_secret_jwt'), policy: OPERATOR_POLICY, via: 'cli' });
  assert.ok(client.secretEncrypted);
  assert.equal(decryptWithKek(w.deps.kek, client.secretEncrypted, client.clientId), clientSecret);
  assert.throws(() => decryptWithKek(w.deps.kek, client.secretEncrypted!, 'another-client'), GatehouseError);
});

test('RFC 7523 §2.2 private_key_jwt and none clients get no secret', async () => {
  const w = world();
  const pk = await w.clients.create({ metadata: { ...cc('private_key_jwt'), jwks_uri: 'https://app.example/jwks' }, policy: OPERATOR_POLICY, via: 'cli' });
  assert.equal(pk.clientSecret, null);
  assert.equal(pk.client.secretHash, null);
  const pub = await w.clients.create({
    metadata: { redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'none' },
    policy: OPERATOR_POLICY,
    via: 'bootstrap',
  });
  assert.equal(pub.clientSecret, null);
});

test('RFC 7591 §3.2.2 invalid metadata writes nothing and publishes nothing', async () => {
  const w = world();
  await assert.rejects(w.clients.create({ metadata: { redirect_uris: ['https://a.example/cb#x'] }, policy: OPERATOR_POLICY, via: 'cli' }), OAuthError);
  assert.deepEqual((await w.storage.clients.page(DEFAULT_TENANT, { limit: 500, sort: 'client_id', order: 'asc' })).items, []);
  assert.deepEqual(w.seen, []);
});

test('rotate-secret returns a new secret once and the old hash is replaced', async () => {
  const w = world();
  const first = await w.clients.create({ metadata: cc('client_secret_post'), policy: OPERATOR_POLICY, via: 'cli' });
  w.advance(10);
  const rotated = await w.clients.rotateSecret(first.client.clientId, 'cli');
  assert.notEqual(rotated.clientSecret, first.clientSecret);
  assert.equal(rotated.client.secretHash, sha256(rotated.clientSecret!));
  assert.equal(rotated.client.updatedAt, first.client.updatedAt + 10);
  const pk = await w.clients.create({ metadata: { ...cc('private_key_jwt'), jwks_uri: 'https://a.example/j' }, policy: OPERATOR_POLICY, via: 'cli' });
  await assert.rejects(w.clients.rotateSecret(pk.client.clientId, 'cli'), (e: unknown) => e instanceof GatehouseError && e.code === 'GH_CLIENT_NO_SECRET');
  await assert.rejects(w.clients.rotateSecret('ghost', 'cli'), (e: unknown) => e instanceof GatehouseError && e.code === 'GH_CLIENT_NOT_FOUND');
});

test('disable and enable flip only the disabled flag and publish client.updated', async () => {
  const w = world();
  const { client } = await w.clients.create({ metadata: cc('client_secret_basic'), policy: OPERATOR_POLICY, via: 'cli' });
  assert.equal((await w.clients.setDisabled(client.clientId, true, 'cli')).disabled, true);
  const back = await w.clients.setDisabled(client.clientId, false, 'admin');
  assert.equal(back.disabled, false);
  assert.equal(back.secretHash, client.secretHash);
  assert.equal(w.seen.filter(([n]) => n === 'client.updated').length, 2);
});

test('RFC 7592 §2.2 replacing metadata keeps the client_id and a usable secret, and issues one only when needed', async () => {
  const w = world();
  const { client } = await w.clients.create({ metadata: cc('client_secret_basic'), policy: OPERATOR_POLICY, via: 'registration' });
  const same = await w.clients.replaceMetadata(client, {
    metadata: { ...cc('client_secret_post'), client_name: 'Renamed' },
    policy: OPERATOR_POLICY,
    via: 'registration',
  });
  assert.equal(same.client.clientId, client.clientId);
  assert.equal(same.clientSecret, null);
  assert.equal(same.client.secretHash, client.secretHash);
  assert.equal(same.client.clientName, 'Renamed');
  // Omitted fields are cleared (§2.2): scope was not sent again.
  const cleared = await w.clients.replaceMetadata(same.client, {
    metadata: { grant_types: ['client_credentials'] },
    policy: OPERATOR_POLICY,
    via: 'registration',
  });
  assert.deepEqual(cleared.client.scopes, []);
  // Switching to client_secret_jwt needs a recoverable HMAC key: a new secret is issued.
  const jwt = await w.clients.replaceMetadata(cleared.client, { metadata: cc('client_secret_jwt'), policy: OPERATOR_POLICY, via: 'registration' });
  assert.ok(jwt.clientSecret);
  assert.equal(decryptWithKek(w.deps.kek, jwt.client.secretEncrypted!, client.clientId), jwt.clientSecret);
  // Switching to private_key_jwt drops every secret.
  const pk = await w.clients.replaceMetadata(jwt.client, {
    metadata: { ...cc('private_key_jwt'), jwks_uri: 'https://a.example/j' },
    policy: OPERATOR_POLICY,
    via: 'registration',
  });
  assert.equal(pk.client.secretHash, null);
  assert.equal(pk.client.secretEncrypted, null);
});

test('RFC 7592 §2.3 delete removes the client and publishes client.deleted once', async () => {
  const w = world();
  const { client } = await w.clients.create({ metadata: cc('client_secret_basic'), policy: OPERATOR_POLICY, via: 'registration' });
  assert.equal(await w.clients.delete(client.clientId, 'registration'), true);
  assert.equal(await w.clients.delete(client.clientId, 'registration'), false);
  assert.equal(await w.storage.clients.get(DEFAULT_TENANT, client.clientId), undefined);
  assert.equal(w.seen.filter(([n]) => n === 'client.deleted').length, 1);
});

test('a client_id never starts with - or _ (it must work as a CLI positional argument)', async () => {
  const w = world();
  const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0xfc), Buffer.alloc(16, 0x10)];
  const deps: ClientServiceDeps = { ...w.deps, random: { bytes: (n) => (n === 16 ? draws.shift()! : randomBytes(n)) } };
  assert.equal(Buffer.alloc(16, 0xf8).toString('base64url')[0], '-');
  assert.equal(Buffer.alloc(16, 0xfc).toString('base64url')[0], '_');
  const { client } = await createClientService(deps).create({ metadata: cc('client_secret_basic'), policy: OPERATOR_POLICY, via: 'cli' });
  assert.equal(client.clientId, Buffer.alloc(16, 0x10).toString('base64url'));
});

test('an operator change carries its actor on the event; a change without one carries none', async () => {
  const w = world();
  const ops = { kind: 'admin_user', id: 'root' } as const;
  const { client } = await w.clients.create({ metadata: cc('client_secret_basic'), policy: OPERATOR_POLICY, via: 'admin', actor: ops });
  await w.clients.rotateSecret(client.clientId, 'admin', ops);
  await w.clients.setDisabled(client.clientId, true, 'admin', ops);
  await w.clients.replaceMetadata(client, { metadata: cc('client_secret_basic'), policy: OPERATOR_POLICY, via: 'admin', actor: ops });
  await w.clients.setDisabled(client.clientId, false, 'cli');
  await w.clients.delete(client.clientId, 'admin', ops);
  assert.deepEqual(
    w.seen.map(([n, p]) => [n, (p as { actor?: unknown }).actor]),
    [
      ['client.created', ops],
      ['client.updated', ops],
      ['client.updated', ops],
      ['client.updated', ops],
      ['client.updated', undefined],
      ['client.deleted', ops],
    ],
  );
});

import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { exportJWK, generateKeyPair } from 'jose';
import { sha256 } from '../../core/crypto.ts';
import { DEFAULT_TENANT } from '../../core/model/tenant.ts';
import { createStorage } from '../../storage/create-storage.ts';
import { main } from '../main.ts';
import type { CliIo } from '../types.ts';

const dir = await mkdtemp(join(tmpdir(), 'gatehouse-clients-'));
after(() => rm(dir, { recursive: true, force: true }));
const dbUrl = `sqlite:${join(dir, 'g.db')}`;
const env = { GATEHOUSE_DATABASE_URL: dbUrl, GATEHOUSE_DATA_DIR: dir, GATEHOUSE_KEK: randomBytes(32).toString('base64') };

async function run(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), readStdin: async () => '', env };
  const code = await main(args, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function stored(clientId: string) {
  const storage = await createStorage(dbUrl);
  try {
    return await storage.clients.get(DEFAULT_TENANT, clientId);
  } finally {
    await storage.close();
  }
}

const createArgs = [
  'clients',
  'create',
  '--name',
  'Billing',
  '--grant-types',
  'client_credentials',
  '--scopes',
  'billing:read,billing:write',
  '--token-endpoint-auth-method',
  'client_secret_post',
  '--json',
];

test('RFC 7591 §3.2.1 clients create --json prints the client with client_id and a 256-bit client_secret, stored only hashed', async () => {
  const r = await run(...createArgs);
  assert.equal(r.code, 0, r.err);
  const c = JSON.parse(r.out) as Record<string, unknown>;
  assert.match(String(c['client_id']), /^[A-Za-z0-9_-]{22}$/);
  assert.equal(Buffer.from(String(c['client_secret']), 'base64url').length, 32);
  assert.equal(c['client_name'], 'Billing');
  assert.deepEqual(c['grant_types'], ['client_credentials']);
  assert.equal(c['scope'], 'billing:read billing:write');
  assert.equal(c['token_endpoint_auth_method'], 'client_secret_post');
  assert.equal(c['disabled'], false);
  const row = await stored(String(c['client_id']));
  assert.equal(row?.secretHash, sha256(String(c['client_secret'])));
  assert.ok(!JSON.stringify(row).includes(String(c['client_secret'])));
});

test('clients show and list never print the secret again', async () => {
  const created = JSON.parse((await run(...createArgs)).out) as Record<string, string>;
  const shown = await run('clients', 'show', created['client_id']!, '--json');
  assert.equal(shown.code, 0, shown.err);
  assert.equal((JSON.parse(shown.out) as Record<string, unknown>)['client_secret'], undefined);
  assert.ok(!shown.out.includes(created['client_secret']!));
  const listed = await run('clients', 'list', '--json');
  const ids = (JSON.parse(listed.out) as { items: { client_id: string }[] }).items.map((c) => c.client_id);
  assert.ok(ids.includes(created['client_id']!));
  assert.ok(!listed.out.includes(created['client_secret']!));
  const table = await run('clients', 'list');
  assert.match(table.out, /^CLIENT_ID\s+NAME\s+AUTH METHOD\s+GRANT TYPES\s+STATUS$/m);
  const human = await run('clients', 'show', created['client_id']!);
  assert.match(human.out, /^token_endpoint_auth_method\s+client_secret_post$/m);
});

test('RFC 6749 §3.3 any scope token may be named, including ones with commas through --scope', async () => {
  const r = await run('clients', 'create', '--name', 'X', '--grant-types', 'client_credentials', '--scope', 'urn:x:a,b read', '--json');
  assert.equal(r.code, 0, r.err);
  assert.equal((JSON.parse(r.out) as Record<string, unknown>)['scope'], 'urn:x:a,b read');
});

test('clients rotate-secret prints a new secret once; disable and enable flip the status', async () => {
  const created = JSON.parse((await run(...createArgs)).out) as Record<string, string>;
  const id = created['client_id']!;
  const rotated = await run('clients', 'rotate-secret', id, '--json');
  assert.equal(rotated.code, 0, rotated.err);
  const secret = (JSON.parse(rotated.out) as Record<string, string>)['client_secret']!;
  assert.notEqual(secret, created['client_secret']);
  assert.equal((await stored(id))?.secretHash, sha256(secret));
  assert.equal((JSON.parse((await run('clients', 'disable', id, '--json')).out) as Record<string, unknown>)['disabled'], true);
  assert.equal((await stored(id))?.disabled, true);
  assert.equal((JSON.parse((await run('clients', 'enable', id, '--json')).out) as Record<string, unknown>)['disabled'], false);
});

test('RFC 7523 §2.2 clients create with --jwks FILE registers a private_key_jwt client without a secret', async () => {
  const { publicKey } = await generateKeyPair('ES256', { extractable: true });
  const file = join(dir, 'jwks.json');
  await writeFile(file, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1' }] }));
  const r = await run(
    'clients',
    'create',
    '--name',
    'Signer',
    '--grant-types',
    'client_credentials',
    '--token-endpoint-auth-method',
    'private_key_jwt',
    '--jwks',
    file,
    '--json',
  );
  assert.equal(r.code, 0, r.err);
  const c = JSON.parse(r.out) as Record<string, unknown>;
  assert.equal(c['client_secret'], undefined);
  assert.equal((c['jwks'] as { keys: unknown[] }).keys.length, 1);
  const rot = await run('clients', 'rotate-secret', String(c['client_id']));
  assert.equal(rot.code, 1);
  assert.match(rot.err, /GH_CONFLICT/);
});

test('RFC 7591 §3.2.2 invalid metadata is refused with the spec error and writes nothing', async () => {
  const before = JSON.parse((await run('clients', 'list', '--json')).out) as { items: unknown[] };
  const r = await run('clients', 'create', '--name', 'Bad', '--redirect-uris', 'https://app.example/cb#frag');
  assert.equal(r.code, 1);
  assert.match(r.err, /invalid_redirect_uri: .*fragment.*\[GH_INVALID_INPUT\]/);
  const both = await run('clients', 'create', '--name', 'Bad', '--grant-types', 'client_credentials', '--token-endpoint-auth-method', 'private_key_jwt');
  assert.match(both.err, /invalid_client_metadata: private_key_jwt requires jwks/);
  const after = JSON.parse((await run('clients', 'list', '--json')).out) as { items: unknown[] };
  assert.equal(after.items.length, before.items.length);
});

test('clients usage errors exit 2; an unknown client exits 1 with GH_NOT_FOUND', async () => {
  assert.equal((await run('clients')).code, 2);
  assert.equal((await run('clients', 'create')).code, 2, 'create needs --name');
  assert.equal((await run('clients', 'show')).code, 2);
  assert.equal((await run('clients', 'list', '--name', 'x')).code, 2);
  assert.equal((await run('clients', 'create', '--name', 'x', '--bogus')).code, 2);
  const missing = await run('clients', 'show', 'ghost');
  assert.equal(missing.code, 1);
  assert.match(missing.err, /GH_NOT_FOUND/);
});

test('RFC 8693 clients create --token-exchange JSON stores the policy; malformed JSON is a usage error', async () => {
  const policy = { subject_clients: ['web'], audiences: ['https://api.example'], delegation: false };
  const r = await run(
    'clients',
    'create',
    '--name',
    'Exchanger',
    '--grant-types',
    'urn:ietf:params:oauth:grant-type:token-exchange',
    '--token-exchange',
    JSON.stringify(policy),
    '--json',
  );
  assert.equal(r.code, 0, r.err);
  const c = JSON.parse(r.out) as Record<string, unknown>;
  assert.deepEqual(c['token_exchange'], policy);
  assert.deepEqual((await stored(String(c['client_id'])))?.metadata['token_exchange'], policy);
  assert.equal((await run('clients', 'create', '--name', 'x', '--grant-types', 'client_credentials', '--token-exchange', '{nope')).code, 2);
});

test('RFC 7523 §2.1 clients create --grant-types jwt-bearer: refused without a trusted issuer for it, stored with one', async () => {
  const grant = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
  const refused = await run('clients', 'create', '--name', 'Bearer', '--grant-types', grant, '--json');
  assert.notEqual(refused.code, 0);
  assert.match(refused.err, /trustedIssuers/);
  const { publicKey } = await generateKeyPair('ES256');
  const file = join(dir, 'trusted.json');
  const entry = {
    issuer: 'https://idp.example',
    jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k' }] },
    uses: ['id-jag'],
    subjects: ['*'],
    clients: '*',
  };
  await writeFile(file, JSON.stringify({ trustedIssuers: [entry] }));
  const r = await run('clients', 'create', '--config', file, '--name', 'Bearer', '--grant-types', grant, '--json');
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(JSON.parse(r.out)['grant_types'], [grant]);
});

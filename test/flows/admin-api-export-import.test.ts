/**
 * Export and import (docs/admin-api.md): a document exported over the admin API from a server on
 * SQLite is imported over the admin API into a server on PostgreSQL. The imported confidential
 * client's existing secret still authenticates at /token (oauth4webapi, client_credentials), and
 * an imported relying party and user complete a real sign-in (openid-client + the login form):
 * secrets and passwords travel only as the hashes the servers check.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sha256 } from '../../src/core/crypto.ts';
import type { EventName } from '../../src/core/events.ts';
import { adminApi, auditOf, type AdminApi } from '../support/admin-api.ts';
import { createTestDatabase } from '../support/databases.ts';
import { clientCredentials, discover } from '../support/oauth-client.ts';
import { codeFlow, createRp, createTestUser, rpConfig, startOidcServer, type OidcServer, type TestRp, type TestUser } from '../support/oidc.ts';
import { UserAgent } from '../support/user-agent.ts';

let a: OidcServer;
let b: OidcServer;
let apiA: AdminApi;
let apiB: AdminApi;
let dropB: (() => Promise<void>) | null = null;
let service: { client_id: string; client_secret: string };
let rp: TestRp;
let alice: TestUser;
let doc: Record<string, unknown>;
const seenB: { name: EventName; payload: Record<string, unknown> }[] = [];

before(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gh-export-'));
  a = await startOidcServer({ database: { url: `sqlite:${join(dir, 'a.db')}` } });
  const pg = await createTestDatabase('postgres');
  if ('skip' in pg) throw new Error(pg.skip);
  dropB = pg.drop;
  b = await startOidcServer({ database: { url: pg.url } });
  apiA = await adminApi(a);
  apiB = await adminApi(b);
  for (const name of ['client.created', 'client.updated', 'user.created', 'user.updated', 'data.imported', 'data.exported'] as const) {
    b.gh.services.events.on(name, (p) => seenB.push({ name, payload: p as unknown as Record<string, unknown> }));
  }
  const created = await apiA.call('POST', '/clients', {
    body: { client_name: 'billing', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', scope: 'read' },
  });
  assert.equal(created.status, 201);
  service = { client_id: created.body['client_id'] as string, client_secret: created.body['client_secret'] as string };
  rp = await createRp(a.gh, 'confidential');
  alice = await createTestUser(a.gh);
});
after(async () => {
  await a?.close();
  await b?.close();
  await dropB?.();
});

describe('export', () => {
  test('GET /export: one versioned document; secrets and passwords only as their stored hashes; audited', async () => {
    const readOnly = await apiA.call('GET', '/export', { token: apiA.readToken });
    assert.equal(readOnly.status, 403, 'read-only cannot export password hashes');
    assert.equal(readOnly.body['code'], 'insufficient_scope');
    const r = await apiA.call('GET', '/export');
    assert.equal(r.status, 200);
    doc = r.body;
    assert.equal(doc['format'], 'gatehouse.export');
    assert.equal(doc['version'], 1);
    const text = JSON.stringify(doc);
    for (const secret of [service.client_secret, rp.client_secret, alice.password]) assert.ok(!text.includes(secret), 'no plaintext secret or password');
    const clients = doc['clients'] as Record<string, unknown>[];
    const billing = clients.find((c) => c['client_id'] === service.client_id)!;
    assert.equal(billing['secret_hash'], sha256(service.client_secret), 'the stored SHA-256 (S5)');
    assert.equal(billing['client_name'], 'billing');
    const user = (doc['users'] as Record<string, unknown>[]).find((u) => u['username'] === alice.username)!;
    assert.match(user['password_hash'] as string, /^\$argon2id\$/);
    assert.equal((doc['settings'] as Record<string, unknown>)['kek'], '[redacted]');
    assert.ok(!('keys' in doc), 'signing keys are not exported');
    assert.ok(!clients.some((c) => c['client_id'] === 'gatehouse-console'), 'the built-in console client stays with its server');
    const audit = await auditOf(a, 'data.export');
    assert.deepEqual(
      audit.map((x) => [x.outcome, x.actor.kind]),
      [['success', 'admin_client']],
    );
  });
});

describe('import', () => {
  test('RFC 9457: a document with one bad record is refused whole (400 naming it) and nothing is written', async () => {
    const before = (await apiB.call('GET', '/clients?limit=500')).body['items'] as unknown[];
    const bad = structuredClone(doc) as { users: Record<string, unknown>[] };
    bad.users.push({ id: 'u-bad', username: 'not valid!', created_at: 1 });
    const r = await apiB.call('POST', '/import', { body: bad });
    assert.equal(r.status, 400);
    assert.equal(r.body['code'], 'GH_INVALID_INPUT');
    assert.match(r.body['detail'] as string, /nothing written.*users\.\d+ \(not valid!\)/);
    assert.equal(((await apiB.call('GET', '/clients?limit=500')).body['items'] as unknown[]).length, before.length);
    assert.equal((await b.gh.services.ports.users.findByUsername(b.gh.ctx.tenantId, alice.username)) ?? null, null);
    assert.equal((await apiB.call('POST', '/import', { body: { format: 'gatehouse.export', version: 2 } })).status, 400, 'an unknown version');
    assert.equal((await apiB.call('POST', '/import', { token: apiB.readToken, body: doc })).status, 403, 'read-only cannot import');
    const builtIn = structuredClone(doc) as { clients: Record<string, unknown>[] };
    builtIn.clients.push({ ...builtIn.clients[0], client_id: 'gatehouse-console' });
    const refused = await apiB.call('POST', '/import', { body: builtIn });
    assert.equal(refused.status, 400);
    assert.match(refused.body['detail'] as string, /gatehouse-console\): a built-in client/);
  });

  test('POST /import (SQLite → PostgreSQL): the imported client secret works at /token and the imported user signs in', async () => {
    const r = await apiB.call('POST', '/import', { body: doc });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const clients = (doc['clients'] as unknown[]).length;
    const users = (doc['users'] as unknown[]).length;
    assert.deepEqual(r.body['clients'], { created: clients, updated: 0 });
    assert.deepEqual(r.body['users'], { created: users, updated: 0 });

    // oauth4webapi at B with the secret issued by A.
    const asB = await discover(b.url);
    const t = await clientCredentials(asB, service, { scope: 'read' });
    assert.equal(t.token_type.toLowerCase(), 'bearer');
    // openid-client + the login form at B: A's relying party and A's user (argon2id hash imported).
    const flow = await codeFlow(b, await rpConfig(b, rp), rp, new UserAgent(b.url), alice);
    assert.equal(flow.claims.iss, b.url);
    assert.equal(flow.claims.sub, alice.id, 'the same user id (and so the same sub)');

    // Audited, and one event per record plus data.imported.
    const audit = await auditOf(b, 'data.import');
    assert.ok(audit.some((x) => x.outcome === 'success' && x.actor.kind === 'admin_client'));
    assert.ok(
      audit.some((x) => x.outcome === 'failed'),
      'the refused import is audited too',
    );
    const summary = seenB.find((e) => e.name === 'data.imported');
    assert.ok(summary);
    assert.equal(summary.payload['clientsCreated'], clients);
    assert.equal((summary.payload['actor'] as { kind: string }).kind, 'admin_client');
    assert.ok(seenB.some((e) => e.name === 'client.created' && e.payload['clientId'] === service.client_id));
    assert.ok(seenB.some((e) => e.name === 'user.created' && e.payload['userId'] === alice.id));
  });

  test('mode create refuses ids that exist (400 naming them); mode upsert replaces them', async () => {
    const again = await apiB.call('POST', '/import', { body: doc });
    assert.equal(again.status, 400);
    assert.match(again.body['detail'] as string, /already exists/);
    const changed = structuredClone(doc) as { clients: Record<string, unknown>[] };
    changed.clients.find((c) => c['client_id'] === service.client_id)!['client_name'] = 'billing v2';
    const up = await apiB.call('POST', '/import?mode=upsert', { body: changed });
    assert.equal(up.status, 200);
    assert.equal((up.body['clients'] as { updated: number }).updated, (doc['clients'] as unknown[]).length);
    const shown = await apiB.call('GET', `/clients/${service.client_id}`);
    assert.equal(shown.body['client_name'], 'billing v2');
    assert.ok(seenB.some((e) => e.name === 'client.updated' && e.payload['change'] === 'imported'));
    assert.equal((await apiB.call('POST', '/import?mode=merge', { body: doc })).status, 400);
  });
});

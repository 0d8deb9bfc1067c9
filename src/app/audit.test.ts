import assert from 'node:assert/strict';
import { test } from 'node:test';
import { verifyAuditChain } from '../core/audit/verify-chain.ts';
import type { AuditEntry, AuditRecord } from '../core/model/audit.ts';
import { DEFAULT_TENANT } from '../core/model/tenant.ts';
import type { AuditStore } from '../core/ports/audit-store.ts';
import { ADMIN, OPERATOR, VIEWER, appWorld, rejectsWith, type AppWorld } from '../../test/support/app-world.ts';

const PW = 'correct horse battery staple 42';
const records = async (w: AppWorld): Promise<AuditRecord[]> => w.storage.audit.list(DEFAULT_TENANT, {}, { limit: 100, order: 'asc' });
const CLIENT = { client_name: 'App', redirect_uris: ['https://app.example/cb'] };

test('S18 every mutation writes one audit record: actor, use case, object, origin, outcome success', async () => {
  const w = await appWorld();
  const actor = { ...OPERATOR, origin: '203.0.113.7' };
  const { client } = await w.app.clients.create(actor, CLIENT);
  await w.app.clients.disable(actor, { client_id: client.client_id });
  const [created, disabled, ...rest] = await records(w);
  assert.equal(rest.length, 0);
  assert.deepEqual(
    {
      actor: created!.actor,
      action: created!.action,
      object: created!.object,
      origin: created!.origin,
      outcome: created!.outcome,
      errorCode: created!.errorCode,
    },
    {
      actor: { kind: 'admin_client', id: 'ops-bot' },
      action: 'clients.create',
      object: { type: 'client', id: client.client_id },
      origin: '203.0.113.7',
      outcome: 'success',
      errorCode: null,
    },
  );
  assert.deepEqual(created!.detail, { via: 'admin', input: ['client_name', 'redirect_uris'] });
  assert.equal(disabled!.action, 'clients.disable');
  assert.equal(disabled!.seq, 2);
  assert.equal((await verifyAuditChain(w.storage.audit, DEFAULT_TENANT)).ok, true);
});

test('reads (show, list) write no audit record', async () => {
  const w = await appWorld();
  await w.app.clients.list(VIEWER, {});
  await w.app.users.list(VIEWER, {});
  await w.app.keys.list(VIEWER, {});
  assert.deepEqual(await records(w), []);
});

test('refusals are audited: a missing role is `denied`, bad input and a missing object are `failed` with the code', async () => {
  const w = await appWorld();
  await rejectsWith(w.app.clients.delete(VIEWER, { client_id: 'c-9' }), 'GH_FORBIDDEN');
  await rejectsWith(w.app.users.create(OPERATOR, { username: '', password: 'x' } as never), 'GH_INVALID_INPUT');
  await rejectsWith(w.app.clients.disable(OPERATOR, { client_id: 'nope' }), 'GH_NOT_FOUND');
  const rs = await records(w);
  assert.deepEqual(
    rs.map((r) => [r.action, r.outcome, r.errorCode, r.object.id]),
    [
      ['clients.delete', 'denied', 'GH_FORBIDDEN', 'c-9'],
      ['users.create', 'failed', 'GH_INVALID_INPUT', null],
      ['clients.disable', 'failed', 'GH_NOT_FOUND', 'nope'],
    ],
  );
  assert.match(String(rs[0]!.detail['message']), /needs the admin role/);
});

test('no secret reaches the audit log: passwords are neither recorded nor named, client secrets are never there', async () => {
  const w = await appWorld();
  const u = await w.app.users.create(ADMIN, { username: 'alice', password: PW });
  await w.app.users.setPassword(ADMIN, { user: u.id, password: PW });
  const { client_secret } = await w.app.clients.create(ADMIN, CLIENT);
  const all = JSON.stringify(await records(w));
  assert.ok(!all.includes(PW));
  assert.ok(client_secret && !all.includes(client_secret));
  assert.ok(!all.includes('"password"'));
});

function failingAudit(): AuditStore & { calls: number } {
  const err = () => Promise.reject(new Error('disk full'));
  return { calls: 0, append: err, head: err, list: err, latestCheckpoint: err, purge: err };
}

test('fail closed on a store without transactions (memory): when the audit record cannot be written a change reports GH_AUDIT_FAILED (it WAS applied) and the record is handed to the log; SQL stores roll the change back (test/contract/app-unit-of-work.test.ts)', async () => {
  const lost: AuditEntry[] = [];
  const w = await appWorld({ audit: failingAudit(), onAuditFailure: (entry) => lost.push(entry) });
  await rejectsWith(w.app.users.create(ADMIN, { username: 'bob', password: PW }), 'GH_AUDIT_FAILED', /WAS applied/);
  assert.ok(await w.storage.users.findByUsername(DEFAULT_TENANT, 'bob'), 'the change itself was made');
  assert.deepEqual(
    lost.map((e) => [e.action, e.outcome]),
    [['users.create', 'success']],
  );
  // A refusal keeps its own error (nothing changed); the lost record is still reported.
  await rejectsWith(w.app.clients.delete(VIEWER, { client_id: 'x' }), 'GH_FORBIDDEN');
  assert.equal(lost.length, 2);
});

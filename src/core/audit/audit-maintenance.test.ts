import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMemoryStorage } from '../../storage/memory/memory-storage.ts';
import { EventBus } from '../events.ts';
import { publishAuditHead, purgeAuditRetention } from './audit-maintenance.ts';
import { verifyAuditChain } from './verify-chain.ts';

const DAY = 86_400_000;
const entry = (time: number) => ({
  tenantId: 't',
  time,
  actor: { kind: 'cli' as const, id: 'ops' },
  action: 'users.create',
  object: { type: 'user', id: 'u' },
  origin: 'cli:h',
  outcome: 'success' as const,
  errorCode: null,
  detail: {},
});

test('audit.retentionDays: records older than the retention go, a system checkpoint keeps the chain verifiable; 0 keeps all', async () => {
  const { audit } = createMemoryStorage();
  const now = 100 * DAY;
  for (const age of [40, 35, 31, 29, 1]) await audit.append(entry(now - age * DAY));
  assert.equal(await purgeAuditRetention({ audit, clock: { now: () => now }, tenantId: 't' }, 0), 0);
  assert.equal(await purgeAuditRetention({ audit, clock: { now: () => now }, tenantId: 't' }, 30), 3);
  const left = await audit.list('t', {}, { limit: 10, order: 'asc' });
  assert.deepEqual(
    left.map((r) => [r.seq, r.action, r.actor.kind]),
    [
      [4, 'users.create', 'cli'],
      [5, 'users.create', 'cli'],
      [6, 'audit.checkpoint', 'system'],
    ],
  );
  assert.equal((await verifyAuditChain(audit, 't')).ok, true);
});

test('publishAuditHead publishes the head as audit.head_published', async () => {
  const { audit } = createMemoryStorage();
  const events = new EventBus();
  const seen: unknown[] = [];
  events.on('audit.head_published', (e) => seen.push(e));
  const r = await audit.append(entry(1));
  assert.deepEqual(await publishAuditHead({ audit, events, tenantId: 't' }), { seq: 1, hash: r.hash });
  assert.deepEqual(seen, [{ tenantId: 't', seq: 1, hash: r.hash }]);
});

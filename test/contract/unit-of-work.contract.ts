// UnitOfWork contract (src/core/ports/unit-of-work.ts), run against every adapter (S14): the
// change, its outbox event and its audit record commit together or not at all (S18, #9).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { verifyAuditChain } from '../../src/core/audit/verify-chain.ts';
import type { OutboxEntry } from '../../src/core/ports/outbox-store.ts';
import type { Storage } from '../../src/core/ports/storage.ts';
import type { TransactionStores } from '../../src/core/ports/unit-of-work.ts';
import { uuidv7 } from '../../src/events/uuid7.ts';
import { auditEntry } from './audit-store.contract.ts';
import { clientFixture, newTenant, type GetHarness } from './harness.ts';

function outboxEntry(tenantId: string, sink: string): OutboxEntry {
  const id = uuidv7(Date.now());
  return { id, tenantId, type: 'gatehouse.client.created', envelope: JSON.stringify({ id }), createdAt: Date.now(), sinks: [sink] };
}

/** One operator change as the application layer writes it: client, outbox event, audit record. */
async function change(tx: TransactionStores, tenantId: string, clientId: string, sink: string): Promise<void> {
  await tx.clients.create(clientFixture(tenantId, clientId));
  await tx.outbox.append([outboxEntry(tenantId, sink)]);
  await tx.audit.append(auditEntry(tenantId, { object: { type: 'client', id: clientId } }));
}

/** What of the change is visible outside the unit (through the storage's own stores). */
async function kept(storage: Storage, tenantId: string, clientId: string, sink: string) {
  return {
    client: (await storage.clients.get(tenantId, clientId)) !== undefined,
    events: (await storage.outbox.claim(sink, 'contract', Date.now() + 1_000, 1_000, 10)).length,
    records: (await storage.audit.head(tenantId)).seq,
  };
}

class Injected extends Error {}

export function unitOfWorkContract(h: GetHarness): void {
  describe('UnitOfWork', () => {
    test('S18 commit keeps the change, its outbox event and its audit record together', async () => {
      const { storage } = h();
      const [t, sink] = [newTenant(), `uow-${randomUUID()}`];
      const out = await storage.unitOfWork.run(async (tx) => {
        await change(tx, t, 'c-1', sink);
        return 'done';
      });
      assert.equal(out, 'done');
      assert.deepEqual(await kept(storage, t, 'c-1', sink), { client: true, events: 1, records: 1 });
      assert.equal((await verifyAuditChain(storage.audit, t)).ok, true);
    });

    test('S18 a failure after the change and before commit keeps none of change, event and record (memory: documented, no rollback)', async () => {
      const { storage, peer } = h();
      const [t, sink] = [newTenant(), `uow-${randomUUID()}`];
      await assert.rejects(
        storage.unitOfWork.run(async (tx) => {
          await change(tx, t, 'c-1', sink);
          throw new Injected('after the writes');
        }),
        Injected,
      );
      const left = await kept(peer, t, 'c-1', sink);
      if (storage.unitOfWork.atomic) assert.deepEqual(left, { client: false, events: 0, records: 0 });
      // The memory adapter says it is not atomic: what ran before the throw stays.
      else assert.deepEqual(left, { client: true, events: 1, records: 1 });
      if (!storage.unitOfWork.atomic) return;
      // A failing store call (a duplicate client) undoes the outbox row and record written before it.
      const dup = `uow-${randomUUID()}`;
      await storage.clients.create(clientFixture(t, 'taken'));
      await assert.rejects(
        storage.unitOfWork.run(async (tx) => {
          await tx.outbox.append([outboxEntry(t, dup)]);
          await tx.audit.append(auditEntry(t));
          await tx.clients.create(clientFixture(t, 'taken'));
        }),
      );
      assert.deepEqual(await kept(peer, t, 'absent', dup), { client: false, events: 0, records: 0 });
      // The chain goes on from the head that was committed, and verifies.
      await storage.audit.append(auditEntry(t));
      assert.equal((await storage.audit.head(t)).seq, 1);
      assert.equal((await verifyAuditChain(storage.audit, t)).ok, true);
    });

    test('uncommitted writes are not seen outside the unit; the unit reads its own', async () => {
      const { storage, peer } = h();
      const t = newTenant();
      await storage.unitOfWork.run(async (tx) => {
        await tx.clients.create(clientFixture(t, 'c-1'));
        assert.ok(await tx.clients.get(t, 'c-1'), 'the unit reads its own write');
        // Memory has no isolation; SQLite's other connections (this process shares one) wait.
        if (storage.unitOfWork.atomic && storage.dialect !== 'sqlite') assert.equal(await peer.clients.get(t, 'c-1'), undefined);
      });
      assert.ok(await peer.clients.get(t, 'c-1'));
    });

    test('S18 concurrent units (two instances) and plain appends form one gap-free audit chain that verifies', async () => {
      const { storage, peer } = h();
      const t = newTenant();
      const n = 8;
      await Promise.all(
        Array.from({ length: n }, (_, i) =>
          Promise.all([
            (i % 2 ? storage : peer).unitOfWork.run((tx) => change(tx, t, `c-${i}`, `uow-${randomUUID()}`)),
            (i % 2 ? peer : storage).audit.append(auditEntry(t, { action: 'users.create' })),
          ]),
        ),
      );
      const records = await storage.audit.list(t, {}, { limit: 100, order: 'asc' });
      assert.deepEqual(
        records.map((r) => r.seq),
        Array.from({ length: 2 * n }, (_, i) => i + 1),
      );
      const v = await verifyAuditChain(storage.audit, t);
      assert.equal(v.ok, true, JSON.stringify(v));
    });

    test('a deadlock victim is rolled back and its unit runs again whole (PostgreSQL, MariaDB: a real lock cycle)', async () => {
      const { storage, peer } = h();
      const t = newTenant();
      await storage.clients.create(clientFixture(t, 'a'));
      await storage.clients.create(clientFixture(t, 'b'));
      const runs = { ab: 0, ba: 0 };
      // Each unit locks one row, waits until the other holds its row, then wants the other's.
      let arrived = 0;
      let release!: () => void;
      const bothLocked = new Promise<void>((r) => (release = r));
      const server = storage.dialect === 'postgres' || storage.dialect === 'mysql';
      const unit = (s: Storage, first: string, second: string, key: 'ab' | 'ba') =>
        s.unitOfWork.run(async (tx) => {
          runs[key]++;
          await tx.clients.update(t, first, { clientName: `${key} ${runs[key]}`, updatedAt: 1 });
          if (server && ++arrived === 2) release();
          if (server) await bothLocked;
          await tx.clients.update(t, second, { clientName: `${key} ${runs[key]}`, updatedAt: 2 });
          await tx.audit.append(auditEntry(t, { action: `clients.${key}` }));
        });
      await Promise.all([unit(storage, 'a', 'b', 'ab'), unit(peer, 'b', 'a', 'ba')]);
      if (server) assert.equal(runs.ab + runs.ba, 3, 'exactly one unit was chosen as victim and ran again');
      const records = await storage.audit.list(t, {}, { limit: 10, order: 'asc' });
      assert.deepEqual(records.map((r) => r.action).sort(), ['clients.ab', 'clients.ba'], 'one record per committed unit, none from the rolled-back run');
      assert.equal((await verifyAuditChain(storage.audit, t)).ok, true);
      if (!storage.unitOfWork.atomic) return;
      const [a, b] = [await storage.clients.get(t, 'a'), await storage.clients.get(t, 'b')];
      assert.equal(a?.clientName, b?.clientName, 'the later unit wrote both rows, whole');
    });
  });
}

// AuditStore contract (src/core/ports/audit-store.ts), run against every adapter (S14).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { verifyAuditChain } from '../../src/core/audit/verify-chain.ts';
import { AUDIT_CHECKPOINT_ACTION, AUDIT_GENESIS_HASH, auditHash, type AuditEntry } from '../../src/core/model/audit.ts';
import { newTenant, type GetHarness } from './harness.ts';

export function auditEntry(tenantId: string, over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    tenantId,
    time: 1_750_000_000_000,
    actor: { kind: 'cli', id: 'alice' },
    action: 'clients.create',
    object: { type: 'client', id: 'c-1' },
    origin: 'cli:host-1',
    outcome: 'success',
    errorCode: null,
    detail: { fields: ['client_name', 'redirect_uris'], ünï: 'cødé' },
    ...over,
  };
}

export function auditStoreContract(h: GetHarness): void {
  describe('AuditStore', () => {
    test('append chains records: seq 1, 2, 3 per tenant, prev_hash the predecessor, hash recomputes', async () => {
      const audit = h().storage.audit;
      const t = newTenant();
      const other = newTenant();
      assert.deepEqual(await audit.head(t), { seq: 0, hash: AUDIT_GENESIS_HASH });
      const a = await audit.append(auditEntry(t));
      await audit.append(auditEntry(other));
      const b = await audit.append(auditEntry(t, { outcome: 'denied', errorCode: 'GH_FORBIDDEN', object: { type: 'client', id: null } }));
      assert.equal(a.seq, 1);
      assert.equal(a.prevHash, AUDIT_GENESIS_HASH);
      assert.equal(b.seq, 2);
      assert.equal(b.prevHash, a.hash);
      const { hash, ...rest } = b;
      assert.equal(auditHash(rest), hash);
      assert.deepEqual(await audit.head(t), { seq: 2, hash: b.hash });
      assert.deepEqual(await audit.list(t, {}, { limit: 10, order: 'asc' }), [a, b]);
    });

    test('list filters in the store (time, actor, action, object) and pages by seq both ways', async () => {
      const audit = h().storage.audit;
      const t = newTenant();
      for (let i = 0; i < 12; i++) {
        await audit.append(
          auditEntry(t, {
            time: 1_750_000_000_000 + i * 1000,
            actor: { kind: i % 2 ? 'admin_client' : 'cli', id: i % 2 ? 'admin-token' : 'alice' },
            action: i % 3 ? 'clients.update' : 'users.create',
            object: { type: 'client', id: `c-${i % 4}` },
          }),
        );
      }
      const seqs = async (f: Parameters<typeof audit.list>[1], order: 'asc' | 'desc' = 'asc') =>
        (await audit.list(t, f, { limit: 100, order })).map((r) => r.seq);
      assert.deepEqual(await seqs({ actorId: 'admin-token' }), [2, 4, 6, 8, 10, 12]);
      assert.deepEqual(await seqs({ action: 'users.create' }), [1, 4, 7, 10]);
      assert.deepEqual(await seqs({ objectId: 'c-1' }), [2, 6, 10]);
      assert.deepEqual(await seqs({ since: 1_750_000_009_000 }), [10, 11, 12]);
      assert.deepEqual(await seqs({ since: 1_750_000_002_000, until: 1_750_000_004_000 }), [3, 4]);
      assert.deepEqual(await seqs({ actorId: 'alice', action: 'clients.update' }), [3, 5, 9, 11]);
      const p1 = await audit.list(t, {}, { limit: 5, order: 'desc' });
      const p2 = await audit.list(t, {}, { limit: 5, order: 'desc', afterSeq: p1.at(-1)!.seq });
      assert.deepEqual(
        [...p1, ...p2].map((r) => r.seq),
        [12, 11, 10, 9, 8, 7, 6, 5, 4, 3],
      );
      const a2 = await audit.list(t, { actorId: 'alice' }, { limit: 2, order: 'asc', afterSeq: 3 });
      assert.deepEqual(
        a2.map((r) => r.seq),
        [5, 7],
      );
    });

    test('one locked chain head: concurrent appends from two instances form one gap-free chain that verifies', async () => {
      const { storage, peer } = h();
      const t = newTenant();
      const n = 30;
      const writes = [];
      for (let i = 0; i < n; i++) {
        writes.push(storage.audit.append(auditEntry(t, { detail: { i, from: 'a' } })));
        writes.push(peer.audit.append(auditEntry(t, { detail: { i, from: 'b' } })));
      }
      const recs = await Promise.all(writes);
      assert.deepEqual(
        recs.map((r) => r.seq).sort((x, y) => x - y),
        Array.from({ length: 2 * n }, (_, i) => i + 1),
      );
      const v = await verifyAuditChain(storage.audit, t);
      assert.equal(v.ok, true, JSON.stringify(v));
      assert.equal((await peer.audit.head(t)).seq, 2 * n);
    });

    test('purge deletes the old prefix, appends a checkpoint naming the last purged seq and hash; the rest verifies', async () => {
      const audit = h().storage.audit;
      const t = newTenant();
      const recs = [];
      for (let i = 0; i < 6; i++) recs.push(await audit.append(auditEntry(t, { time: 1_750_000_000_000 + i * 1000 })));
      const nothing = await audit.purge(t, 1_000, auditEntry(t, { action: AUDIT_CHECKPOINT_ACTION }), 1000);
      assert.deepEqual(nothing, { purged: 0, checkpoint: null });
      assert.equal(await audit.latestCheckpoint(t), null);
      const r = await audit.purge(t, 1_750_000_003_000, auditEntry(t, { action: AUDIT_CHECKPOINT_ACTION, object: { type: 'audit', id: null } }), 1000);
      assert.equal(r.purged, 3);
      assert.equal(r.checkpoint?.seq, 7);
      assert.equal(r.checkpoint?.prevHash, recs[5]!.hash);
      assert.equal(r.checkpoint?.detail['through_seq'], 3);
      assert.equal(r.checkpoint?.detail['through_hash'], recs[2]!.hash);
      assert.deepEqual(await audit.latestCheckpoint(t), r.checkpoint);
      assert.deepEqual(
        (await audit.list(t, {}, { limit: 100, order: 'asc' })).map((x) => x.seq),
        [4, 5, 6, 7],
      );
      const v = await verifyAuditChain(audit, t);
      assert.equal(v.ok, true, JSON.stringify(v));
      assert.equal(v.ok && v.firstSeq, 4);
      // `max` bounds one call; the purged part is still a prefix.
      const capped = await audit.purge(t, Number.MAX_SAFE_INTEGER, auditEntry(t, { action: AUDIT_CHECKPOINT_ACTION }), 2);
      assert.equal(capped.purged, 2);
      assert.equal(capped.checkpoint?.detail['through_seq'], 5);
      assert.equal((await verifyAuditChain(audit, t)).ok, true);
      // Everything old: the checkpoint is then the only record, and still verifies.
      await audit.purge(t, Number.MAX_SAFE_INTEGER, auditEntry(t, { action: AUDIT_CHECKPOINT_ACTION }), 1000);
      const left = await audit.list(t, {}, { limit: 100, order: 'asc' });
      assert.deepEqual(
        left.map((x) => x.action),
        [AUDIT_CHECKPOINT_ACTION],
      );
      assert.equal((await verifyAuditChain(audit, t)).ok, true);
    });

    test('verify checks a published head: reached → ok; beyond the chain → fails', async () => {
      const audit = h().storage.audit;
      const t = newTenant();
      const a = await audit.append(auditEntry(t));
      await audit.append(auditEntry(t));
      assert.equal((await verifyAuditChain(audit, t, { seq: a.seq, hash: a.hash })).ok, true);
      const wrong = await verifyAuditChain(audit, t, { seq: 1, hash: 'f'.repeat(64) });
      assert.equal(wrong.ok, false);
      const ahead = await verifyAuditChain(audit, t, { seq: 5, hash: a.hash });
      assert.equal(ahead.ok === false && ahead.seq, 3);
    });
  });
}

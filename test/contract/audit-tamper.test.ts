// `gatehouse audit verify` detects tampering done directly in the database (docs/audit.md):
// an edited record, a deleted middle record, reordered records, the newest records deleted
// (through the stored head, and through a published head when the head row is rewritten too),
// and an edit after a retention purge. Runs on SQLite, PostgreSQL and MariaDB (S14).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { verifyAuditChain, type AuditVerification } from '../../src/core/audit/verify-chain.ts';
import { AUDIT_CHECKPOINT_ACTION, type AuditRecord } from '../../src/core/model/audit.ts';
import type { Storage } from '../../src/core/ports/storage.ts';
import { createStorage } from '../../src/storage/create-storage.ts';
import { openSql } from '../../src/storage/sql/sql-connect.ts';
import type { SqlKind } from '../../src/storage/sql/schema.ts';
import { createTestDatabase } from '../support/databases.ts';
import { auditEntry } from './audit-store.contract.ts';
import { newTenant } from './harness.ts';

type Target = { url: string; location: string; drop(): Promise<void> } | { skip: string };

async function target(kind: SqlKind): Promise<Target> {
  if (kind === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'gh-audit-'));
    const location = join(dir, 'g.db');
    return { url: `sqlite:${location}`, location, drop: () => rm(dir, { recursive: true, force: true }) };
  }
  const db = await createTestDatabase(kind);
  return 'skip' in db ? db : { ...db, location: db.url };
}

const failedAt = (v: AuditVerification) => (v.ok ? 'ok' : v.seq);

for (const [kind, label] of [
  ['sqlite', 'SQLite'],
  ['postgres', 'PostgreSQL'],
  ['mysql', 'MariaDB'],
] as const) {
  const found = await target(kind);
  if ('skip' in found) {
    test(`${label}: audit verify detects tampering`, (c) => c.skip(found.skip));
    continue;
  }
  const t = found;
  describe(`${label}: audit verify detects tampering`, () => {
    let storage: Storage;
    before(async () => {
      storage = await createStorage(t.url, { poolSize: 2 });
      await storage.migrate();
    });
    after(async () => {
      await storage.close();
      await t.drop();
    });

    /** Five records of a fresh tenant. */
    async function chain(): Promise<{ tenant: string; recs: AuditRecord[] }> {
      const tenant = newTenant();
      const recs = [];
      for (let i = 0; i < 5; i++) recs.push(await storage.audit.append(auditEntry(tenant, { time: 1_750_000_000_000 + i * 1000, detail: { i } })));
      assert.equal((await verifyAuditChain(storage.audit, tenant)).ok, true);
      return { tenant, recs };
    }

    /** Runs SQL on the database directly, as someone with write access would (the store is closed meanwhile: SQLite allows one writer per thread). */
    async function tamper(statements: (db: import('kysely').Kysely<import('../../src/storage/sql/schema.ts').Database>) => Promise<unknown>): Promise<void> {
      await storage.close();
      const conn = await openSql({ kind, location: t.location, poolSize: 1 });
      try {
        await statements(conn.db);
      } finally {
        await conn.close();
        storage = await createStorage(t.url, { poolSize: 2 });
      }
    }

    test('an edited record fails verify at its seq', async () => {
      const { tenant } = await chain();
      await tamper((db) => db.updateTable('audit_log').set({ actor_id: 'mallory' }).where('tenant_id', '=', tenant).where('seq', '=', 3).execute());
      const v = await verifyAuditChain(storage.audit, tenant);
      assert.equal(failedAt(v), 3);
      assert.match(!v.ok ? v.problem : '', /changed/);
    });

    test('an edited record whose hash was recomputed too fails at the next seq (prev_hash)', async () => {
      const { tenant } = await chain();
      await tamper((db) =>
        db
          .updateTable('audit_log')
          .set({ hash: 'a'.repeat(64) })
          .where('tenant_id', '=', tenant)
          .where('seq', '=', 2)
          .execute(),
      );
      assert.equal(failedAt(await verifyAuditChain(storage.audit, tenant)), 2);
    });

    test('a deleted middle record is a seq gap', async () => {
      const { tenant } = await chain();
      await tamper((db) => db.deleteFrom('audit_log').where('tenant_id', '=', tenant).where('seq', '=', 3).execute());
      const v = await verifyAuditChain(storage.audit, tenant);
      assert.equal(failedAt(v), 3);
      assert.match(!v.ok ? v.problem : '', /missing/);
    });

    test('reordered records (seq swapped) fail', async () => {
      const { tenant } = await chain();
      await tamper(async (db) => {
        const q = (from: number, to: number) => db.updateTable('audit_log').set({ seq: to }).where('tenant_id', '=', tenant).where('seq', '=', from).execute();
        await q(2, 100);
        await q(3, 2);
        await q(100, 3);
      });
      assert.equal(failedAt(await verifyAuditChain(storage.audit, tenant)), 2);
    });

    test('deleting the newest records is detected by the head row, and by a published head when the head row is rewritten too', async () => {
      const { tenant, recs } = await chain();
      const published = { seq: recs[4]!.seq, hash: recs[4]!.hash };
      await tamper((db) => db.deleteFrom('audit_log').where('tenant_id', '=', tenant).where('seq', '>=', 4).execute());
      assert.equal(failedAt(await verifyAuditChain(storage.audit, tenant)), 4);
      await tamper((db) => db.updateTable('audit_heads').set({ seq: 3, hash: recs[2]!.hash }).where('tenant_id', '=', tenant).execute());
      // The store alone now looks whole …
      assert.equal(failedAt(await verifyAuditChain(storage.audit, tenant)), 'ok');
      // … but not against the head published before the deletion.
      const v = await verifyAuditChain(storage.audit, tenant, published);
      assert.equal(failedAt(v), 4);
      assert.match(!v.ok ? v.problem : '', /published head/);
    });

    test('deleting the oldest records without a checkpoint fails', async () => {
      const { tenant } = await chain();
      await tamper((db) => db.deleteFrom('audit_log').where('tenant_id', '=', tenant).where('seq', '<=', 2).execute());
      assert.equal(failedAt(await verifyAuditChain(storage.audit, tenant)), 1);
    });

    test('after a retention purge the rest verifies; an edit after the purge still fails', async () => {
      const { tenant, recs } = await chain();
      const r = await storage.audit.purge(
        tenant,
        recs[2]!.time,
        auditEntry(tenant, { action: AUDIT_CHECKPOINT_ACTION, object: { type: 'audit', id: null } }),
        10_000,
      );
      assert.equal(r.purged, 2);
      assert.equal(failedAt(await verifyAuditChain(storage.audit, tenant)), 'ok');
      await tamper((db) => db.updateTable('audit_log').set({ origin: '203.0.113.9' }).where('tenant_id', '=', tenant).where('seq', '=', 4).execute());
      assert.equal(failedAt(await verifyAuditChain(storage.audit, tenant)), 4);
    });

    test('a purge beyond the checkpoint (records deleted after it by hand) fails', async () => {
      const { tenant, recs } = await chain();
      await storage.audit.purge(tenant, recs[1]!.time, auditEntry(tenant, { action: AUDIT_CHECKPOINT_ACTION }), 10_000);
      await tamper((db) => db.deleteFrom('audit_log').where('tenant_id', '=', tenant).where('seq', '=', 2).execute());
      assert.equal(failedAt(await verifyAuditChain(storage.audit, tenant)), 2);
    });
  });
}

// Storage lifecycle contract (src/core/ports/storage.ts): migrate, ping, close (S14).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatehouseError } from '../../src/core/errors.ts';
import { all, clientFixture, newTenant, tokenFixture, type GetHarness } from './harness.ts';

export function storageLifecycleContract(h: GetHarness): void {
  describe('Storage lifecycle', () => {
    test('migrate is idempotent: a second run applies nothing and keeps the data', async () => {
      const { storage } = h();
      const t = newTenant();
      await storage.clients.create(clientFixture(t, 'kept'));
      assert.deepEqual(await storage.migrate(), { applied: [] });
      assert.equal((await storage.clients.get(t, 'kept'))?.clientId, 'kept');
    });

    test('migrate on a fresh database applies each migration once even when two instances start at once', async () => {
      const db = await h().freshDatabase();
      const [a, b] = await all([db.open(), db.open()]);
      try {
        const [ra, rb] = await all([a.migrate(), b.migrate()]);
        const names = [...ra.applied, ...rb.applied];
        if (a.dialect !== 'memory') {
          assert.ok(names.length > 0, 'the initial migration was applied');
          assert.equal(new Set(names).size, names.length, `a migration ran twice: ${names.join(',')}`);
          assert.ok(
            names.every((n) => /^\d{4}-[a-z0-9-]+$/.test(n)),
            names.join(','),
          );
        }
        assert.deepEqual(await a.migrate(), { applied: [] });
        // Both instances see a working schema.
        const t = newTenant();
        const rec = tokenFixture(t);
        await a.tokens.insert(rec);
        assert.deepEqual(await b.tokens.find(t, rec.hash), rec);
      } finally {
        await all([a.close(), b.close()]);
        await db.drop();
      }
    });

    test('ping resolves while open and rejects with GH_STORE_UNAVAILABLE after close', async () => {
      const db = await h().freshDatabase();
      const s = await db.open();
      try {
        await s.ping();
      } finally {
        await s.close();
      }
      await assert.rejects(s.ping(), (e: unknown) => e instanceof GatehouseError && e.code === 'GH_STORE_UNAVAILABLE');
      await s.close(); // closing twice is harmless
      await db.drop();
    });
  });
}

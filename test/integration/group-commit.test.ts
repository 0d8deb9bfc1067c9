/**
 * Issue #10: group commit on PostgreSQL and MariaDB (InsertBatcher). Tokens inserted during one
 * event-loop turn go in one multi-row INSERT; a row the database refuses fails only its own
 * caller (the batch falls back to one INSERT per row), and every other row is stored.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import type { TokenRecord } from '../../src/core/model/token.ts';
import type { Storage } from '../../src/core/ports/storage.ts';
import { createStorage } from '../../src/storage/create-storage.ts';
import type { SqlTokenStore } from '../../src/storage/sql/sql-token-store.ts';
import { createTestDatabase, type TestDatabaseKind } from '../support/databases.ts';

const TENANT = 'default';

function record(hash = randomBytes(32).toString('base64url')): TokenRecord {
  return {
    tenantId: TENANT,
    hash,
    kind: 'access_token',
    jti: randomBytes(8).toString('hex'),
    clientId: 'c1',
    subject: 'c1',
    userId: null,
    scope: 'read',
    audience: [],
    grantId: randomBytes(8).toString('hex'),
    parentHash: null,
    issuedAt: 1_700_000_000,
    expiresAt: 4_000_000_000,
    cnf: null,
    claims: {},
    revokedAt: null,
    consumedAt: null,
  };
}

for (const kind of ['postgres', 'mysql'] as const satisfies readonly TestDatabaseKind[]) {
  describe(`group commit of token inserts on ${kind === 'postgres' ? 'PostgreSQL' : 'MariaDB'}`, async () => {
    const db = await createTestDatabase(kind);
    if ('skip' in db) {
      test('skipped', { skip: db.skip }, () => {});
      return;
    }
    after(() => db.drop());
    const storage: Storage = await createStorage(db.url, { poolSize: 4 });
    after(() => storage.close());
    await storage.migrate();
    const stats = () => ({ ...(storage.tokens as SqlTokenStore).batchStats! });

    test('inserts issued in one turn commit as one multi-row INSERT, each caller answered after it', async () => {
      const before = stats();
      const records = Array.from({ length: 40 }, () => record());
      await Promise.all(records.map((r) => storage.tokens.insert(r)));
      const after = stats();
      assert.equal(after.rows - before.rows, 40);
      // At most one statement per in-flight slot, never one per row.
      assert.ok(after.statements - before.statements <= 4, `40 rows took ${after.statements - before.statements} statements`);
      for (const r of records) assert.equal((await storage.tokens.find(TENANT, r.hash))?.jti, r.jti);
    });

    test('lookups issued in one turn go as one statement; each caller gets its own row, or none', async () => {
      const records = Array.from({ length: 30 }, () => record());
      await Promise.all(records.map((r) => storage.tokens.insert(r)));
      const store = storage.tokens as SqlTokenStore;
      const before = { ...store.readStats! };
      const asked = [...records.map((r) => r.hash), 'no-such-hash', records[3]!.hash];
      const found = await Promise.all(asked.map((h) => storage.tokens.find(TENANT, h)));
      assert.ok(
        store.readStats!.statements - before.statements <= 1,
        `${asked.length} lookups took ${store.readStats!.statements - before.statements} statements`,
      );
      assert.deepEqual(
        found.map((t) => t?.jti),
        [...records.map((r) => r.jti), undefined, records[3]!.jti],
      );
      // Another tenant's lookup in the same turn never sees these rows.
      const [mine, other] = await Promise.all([storage.tokens.find(TENANT, records[0]!.hash), storage.tokens.find('other-tenant', records[0]!.hash)]);
      assert.equal(mine?.jti, records[0]!.jti);
      assert.equal(other, undefined);
    });

    test('RFC 9700 §4.14.2 / S4: use-once updates of one turn, each hash presented twice, have exactly one winner per hash', async () => {
      const records = Array.from({ length: 16 }, () => record());
      await Promise.all(records.map((r) => storage.tokens.insert(r)));
      const store = storage.tokens as SqlTokenStore;
      const before = { ...(store.consumeStats ?? { statements: 0 }) };
      const at = 1_700_000_100;
      const asked = [...records, ...records].map((r) => r.hash);
      const results = await Promise.all([...asked.map((h) => storage.tokens.consume(TENANT, h, at)), storage.tokens.consume(TENANT, 'no-such-hash', at)]);
      for (const [i, r] of records.entries()) {
        assert.deepEqual([results[i], results[i + records.length]].sort(), ['already-consumed', 'consumed'], `hash ${i}`);
        assert.equal((await storage.tokens.find(TENANT, r.hash))?.consumedAt, at);
      }
      assert.equal(results.at(-1), 'not-found');
      // A later attempt loses too.
      assert.equal(await storage.tokens.consume(TENANT, records[0]!.hash, at + 1), 'already-consumed');
      if (store.consumeStats) {
        assert.ok(
          store.consumeStats.statements - before.statements <= 3,
          `${asked.length} updates took ${store.consumeStats.statements - before.statements} statements`,
        );
      }
    });

    test('one row the database refuses (a duplicate hash) fails only its own request; the rest of the batch is stored', async () => {
      const existing = record();
      await storage.tokens.insert(existing);
      const before = stats();
      const batch = Array.from({ length: 12 }, () => record());
      batch[5] = { ...record(), hash: existing.hash };
      const outcomes = await Promise.allSettled(batch.map((r) => storage.tokens.insert(r)));
      const failed = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [{ i, e: o.reason as { code?: string } }] : []));
      assert.deepEqual(
        failed.map((f) => [f.i, f.e.code]),
        [[5, 'GH_CONFLICT']],
      );
      assert.equal(stats().fallbacks - before.fallbacks, 1, 'the batch fell back to one INSERT per row');
      for (const [i, r] of batch.entries()) {
        const stored = await storage.tokens.find(TENANT, r.hash);
        // The refused row did not overwrite the stored token with the same hash.
        assert.equal(stored?.jti, i === 5 ? existing.jti : r.jti);
      }
    });
  });
}

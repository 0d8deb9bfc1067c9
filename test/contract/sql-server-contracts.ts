// Runs every storage contract suite against a database server (PostgreSQL, MariaDB) on a fresh
// gh_test_<random> database, plus one more fresh database per `freshDatabase` call (S14).
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabaseKind } from '../support/databases.ts';
import { storageContracts } from './all-contracts.ts';
import type { StorageHarness } from './harness.ts';
import { sqlHarness } from './sql-harness.ts';

/** Registers `<label> storage` (or one skipped test, named, when the server is not reachable and not required). */
export async function sqlServerContracts(kind: TestDatabaseKind, label: string): Promise<void> {
  const db = await createTestDatabase(kind);
  if ('skip' in db) {
    test(`${label} storage contract suites`, (t) => t.skip(db.skip));
    return;
  }
  describe(`${label} storage`, () => {
    let h: StorageHarness & { close(): Promise<void> };
    const fresh: { drop(): Promise<void> }[] = [];
    before(async () => {
      h = await sqlHarness({
        url: db.url,
        fresh: async () => {
          const f = await createTestDatabase(kind);
          if ('skip' in f) throw new Error(f.skip);
          fresh.push(f);
          return f;
        },
      });
    });
    after(async () => {
      await h?.close();
      await Promise.all([db, ...fresh].map((d) => d.drop()));
    });
    storageContracts(() => h);
  });
}

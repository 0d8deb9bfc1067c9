// Runs every storage contract suite against MariaDB on a fresh gh_test_<random> database (S14).
import { after, before, describe, test } from 'node:test';
import { createTestDatabase } from '../support/databases.ts';
import { storageContracts } from './all-contracts.ts';
import type { StorageHarness } from './harness.ts';
import { sqlHarness } from './sql-harness.ts';

const db = await createTestDatabase('mysql');

if ('skip' in db) {
  test('MariaDB storage contract suites', (t) => t.skip(db.skip));
} else {
  describe('MariaDB storage', () => {
    let h: StorageHarness & { close(): Promise<void> };
    const fresh: { drop(): Promise<void> }[] = [];
    before(async () => {
      h = await sqlHarness({
        url: db.url,
        fresh: async () => {
          const f = await createTestDatabase('mysql');
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

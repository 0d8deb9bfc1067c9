// Runs every storage contract suite against the SQLite adapter on a temporary file (S14).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { storageContracts } from './all-contracts.ts';
import type { StorageHarness } from './harness.ts';
import { sqlHarness } from './sql-harness.ts';

describe('SQLite storage', () => {
  let dir: string;
  let h: StorageHarness & { close(): Promise<void> };
  let n = 0;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gh-sqlite-'));
    h = await sqlHarness({
      // A nested path: the adapter creates the parent directory.
      url: `sqlite:${join(dir, 'data', 'gatehouse.db')}`,
      fresh: async () => ({ url: `sqlite:${join(dir, `fresh-${++n}`, 'gatehouse.db')}`, drop: async () => {} }),
    });
  });
  after(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });
  storageContracts(() => h);
});

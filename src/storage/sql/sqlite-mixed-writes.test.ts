// SQLite: session transactions run on the event-loop thread's connection (Kysely, BEGIN
// IMMEDIATE) while code, PAR and touch writes commit on the writer thread's connection. Both
// kinds interleave within one process without SQLITE_BUSY, and each request reads its own writes.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { codeFixture, parFixture, sessionFixture, accountFixture, T0 } from '../../../test/contract/end-user-fixtures.ts';
import { createStorage } from '../create-storage.ts';

test('SQLite: 40 concurrent sign-in-like requests mixing main-connection transactions and writer-thread writes all commit and read their writes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gh-sqlite-mixed-'));
  const storage = await createStorage(`sqlite:${join(dir, 'gatehouse.db')}`);
  try {
    await storage.migrate();
    const tenant = 'default';
    const request = async (i: number) => {
      const session = sessionFixture(tenant);
      await storage.sessions.create(session);
      const code = codeFixture(tenant);
      await storage.codes.insert(code);
      const par = parFixture(tenant);
      await storage.par.insert(par);
      await storage.sessions.update(tenant, session.hash, { lastSeenAt: T0 + i });
      const added = accountFixture();
      await storage.sessions.update(tenant, session.hash, { accounts: [...session.accounts, added] });
      const [taken, pushed, bySid] = await Promise.all([
        storage.codes.take(tenant, code.hash, T0 + i),
        storage.par.take(tenant, par.hash, T0 + i),
        storage.sessions.findBySid(tenant, added.sid),
      ]);
      return taken.result === 'consumed' && pushed.result === 'consumed' && bySid?.lastSeenAt === T0 + i;
    };
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => request(i)));
    assert.deepEqual(
      results,
      results.map(() => true),
    );
  } finally {
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  }
});

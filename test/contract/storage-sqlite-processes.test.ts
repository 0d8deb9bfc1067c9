// Two processes on one SQLite file (e.g. the server and `gatehouse keys rotate`): the guarantees
// that in-process tests cannot show, since one process shares one connection per file.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { createStorage } from '../../src/storage/create-storage.ts';
import { migrations } from '../../src/storage/migrations/migrate.ts';
import { codeFixture, sessionFixture } from './end-user-fixtures.ts';
import { keyFixture, newTenant, tokenFixture } from './harness.ts';

const run = promisify(execFile);
const worker = fileURLToPath(new URL('./sqlite-worker.ts', import.meta.url));

test('SQLite across two processes: migrate once, each consume/useOnce/code take won once, one rotation, session transactions commit (S4)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gh-sqlite-proc-'));
  try {
    const sharedFile = join(dir, 'shared.db');
    const s = await createStorage(`sqlite:${sharedFile}`);
    await s.migrate();
    const tenant = newTenant();
    const records = Array.from({ length: 20 }, () => tokenFixture(tenant, { kind: 'refresh_token' }));
    for (const r of records) await s.tokens.insert(r);
    const active = keyFixture(tenant, { status: 'active', activatedAt: 1 });
    await s.keyStore.insert(active);
    await s.keyStore.insert(keyFixture(tenant, { status: 'next' }));
    const codes = Array.from({ length: 20 }, () => codeFixture(tenant));
    for (const c of codes) await s.codes.insert(c);
    const session = sessionFixture(tenant);
    await s.sessions.create(session);
    await s.close();

    const job = {
      shared: sharedFile,
      fresh: join(dir, 'fresh', 'gatehouse.db'),
      startAt: Date.now() + 2500,
      tenant,
      hashes: records.map((r) => r.hash),
      activeKid: active.kid,
      replayKeys: Array.from({ length: 20 }, () => randomUUID()),
      codeHashes: codes.map((c) => c.hash),
      sessionHash: session.hash,
    };
    const outs = await Promise.all([0, 1].map(async (i) => {
      // Opposite orders make the two processes meet in the middle.
      const mine = i ? { ...job, hashes: [...job.hashes].reverse(), replayKeys: [...job.replayKeys].reverse(), codeHashes: [...job.codeHashes].reverse() } : job;
      const { stdout } = await run(process.execPath, ['--import', 'tsx', worker, JSON.stringify(mine)], { timeout: 60_000 });
      return JSON.parse(stdout) as { applied: string[]; consumed: string[]; rotated: boolean; replayed: string[]; taken: string[]; sessionUpdates: number };
    }));

    const applied = outs.flatMap((o) => o.applied);
    assert.deepEqual(applied.sort(), Object.keys(migrations('sqlite')), 'each migration applied by exactly one process');
    const consumed = outs.flatMap((o) => o.consumed);
    assert.equal(consumed.length, records.length);
    assert.equal(new Set(consumed).size, records.length, 'no token consumed twice');
    const replayed = outs.flatMap((o) => o.replayed);
    assert.equal(new Set(replayed).size, job.replayKeys.length);
    assert.equal(replayed.length, job.replayKeys.length, 'no replay key used twice');
    assert.equal(outs.filter((o) => o.rotated).length, 1, 'exactly one rotation');
    const taken = outs.flatMap((o) => o.taken);
    assert.equal(taken.length, codes.length);
    assert.equal(new Set(taken).size, codes.length, 'no code taken twice');
    assert.equal(outs.reduce((n, o) => n + o.sessionUpdates, 0), 20, 'every session transaction committed (no SQLITE_BUSY)');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

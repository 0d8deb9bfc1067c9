// Two processes on one SQLite file (e.g. the server and `gatehouse keys rotate`): the guarantees
// that in-process tests cannot show, since one process shares one connection per file.
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { verifyAuditChain } from '../../src/core/audit/verify-chain.ts';
import { createStorage } from '../../src/storage/create-storage.ts';
import { migrations } from '../../src/storage/migrations/migrate.ts';
import { codeFixture, sessionFixture } from './end-user-fixtures.ts';
import { keyFixture, newTenant, tokenFixture } from './harness.ts';
import type { ParentMessage, Phase, WorkerMessage, WorkerResult } from './sqlite-worker.ts';

const worker = fileURLToPath(new URL('./sqlite-worker.ts', import.meta.url));
/** A worker still running after this long is stuck: it is killed and the test fails. */
const WORKER_TIMEOUT_MS = 120_000;

/**
 * Runs one worker per job and releases each phase to all of them at once, when every worker has
 * arrived (a barrier on messages, not on the clock: however slow a process starts or migrates on
 * a loaded machine, the next phase still begins together). Resolves to their results, in order.
 */
function runWorkers(jobs: readonly unknown[]): Promise<WorkerResult[]> {
  const children: ChildProcess[] = jobs.map((job) =>
    fork(worker, [JSON.stringify(job)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] }),
  );
  const arrived = new Map<Phase, number>();
  const killAll = () => {
    for (const c of children) if (c.exitCode === null) c.kill();
  };
  const timer = setTimeout(killAll, WORKER_TIMEOUT_MS);
  return Promise.all(
    children.map(
      (child) =>
        new Promise<WorkerResult>((resolve, reject) => {
          let result: WorkerResult | undefined;
          let stderr = '';
          child.stderr!.on('data', (d: Buffer) => {
            stderr += d.toString();
          });
          child.on('message', (m: WorkerMessage) => {
            if ('result' in m) {
              result = m.result;
              return;
            }
            const n = (arrived.get(m.arrived) ?? 0) + 1;
            arrived.set(m.arrived, n);
            if (n === children.length) for (const c of children) c.send({ go: m.arrived } satisfies ParentMessage);
          });
          child.on('exit', (code, signal) => {
            if (code === 0 && result) return resolve(result);
            killAll(); // the other worker would wait at the barrier forever
            reject(new Error(`sqlite worker failed (exit ${code ?? signal}): ${stderr}`));
          });
        }),
    ),
  ).finally(() => clearTimeout(timer));
}

test('SQLite across two processes: migrate once, each consume/useOnce/code take won once, one rotation, session transactions commit (S4), audit appends form one chain', async () => {
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
      tenant,
      hashes: records.map((r) => r.hash),
      activeKid: active.kid,
      replayKeys: Array.from({ length: 20 }, () => randomUUID()),
      codeHashes: codes.map((c) => c.hash),
      sessionHash: session.hash,
    };
    // Opposite orders make the two processes meet in the middle.
    const outs = await runWorkers([
      job,
      { ...job, hashes: [...job.hashes].reverse(), replayKeys: [...job.replayKeys].reverse(), codeHashes: [...job.codeHashes].reverse() },
    ]);

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
    assert.equal(
      outs.reduce((n, o) => n + o.sessionUpdates, 0),
      20,
      'every session transaction committed (no SQLITE_BUSY)',
    );
    // One locked chain head across processes (BEGIN IMMEDIATE): 50 appends, seq 1…50, one chain.
    const seqs = outs.flatMap((o) => o.audited).sort((a, b) => a - b);
    assert.deepEqual(
      seqs,
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    const after = await createStorage(`sqlite:${sharedFile}`);
    try {
      const v = await verifyAuditChain(after.audit, tenant);
      assert.equal(v.ok, true, JSON.stringify(v));
    } finally {
      await after.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

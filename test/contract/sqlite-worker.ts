// Child process for storage-sqlite-processes.test.ts: one "instance" sharing a SQLite file with
// another process. Two phases, each started by the parent once both processes have reached it (IPC
// barrier, no clock): first both migrate a fresh file at once; then both race on the shared file
// (consume, rotate, useOnce, code takes, and session updates: main-connection transactions against
// the other process's writer thread). It reports what it won.
//
// The phases never overlap within a process. better-sqlite3 waits for another process's write
// lock synchronously (busy_timeout blocks the event loop), so a process holding a transaction on
// one file while it waits on the other file can deadlock with a process doing the opposite: each
// waits for a lock the other cannot release until its own event loop runs again, until
// busy_timeout gives SQLITE_BUSY. A Gatehouse process uses one database; only a test running two
// files' work in one event loop met that.
import { createStorage } from '../../src/storage/create-storage.ts';
import { auditEntry } from './audit-store.contract.ts';
import { accountFixture } from './end-user-fixtures.ts';
import { keyFixture } from './harness.ts';

interface Job {
  readonly shared: string;
  readonly fresh: string;
  readonly tenant: string;
  readonly hashes: string[];
  readonly activeKid: string;
  readonly replayKeys: string[];
  readonly codeHashes: string[];
  readonly sessionHash: string;
}

export type Phase = 'migrate' | 'race';
/** Worker → parent: arrived at a phase, or the result. Parent → worker: start a phase. */
export type WorkerMessage = { readonly arrived: Phase } | { readonly result: WorkerResult };
export type ParentMessage = { readonly go: Phase };

export interface WorkerResult {
  readonly applied: string[];
  readonly consumed: string[];
  readonly rotated: boolean;
  readonly replayed: string[];
  readonly taken: string[];
  readonly sessionUpdates: number;
  /** Seqs of the audit records this process appended (one chain shared with the other process). */
  readonly audited: number[];
}

/** Tells the parent this process reached `phase` and resolves when the parent says go. */
function arrive(phase: Phase): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (m: ParentMessage) => {
      if (m.go !== phase) return;
      process.off('message', onMessage);
      resolve();
    };
    process.on('message', onMessage);
    process.send!({ arrived: phase } satisfies WorkerMessage);
  });
}

const job = JSON.parse(process.argv[2]!) as Job;
const shared = await createStorage(`sqlite:${job.shared}`);
const fresh = await createStorage(`sqlite:${job.fresh}`);

await arrive('migrate');
const migrated = await fresh.migrate();
await fresh.close();

await arrive('race');
const [consumed, rotated, replayed, taken, sessionUpdates, audited] = await Promise.all([
  Promise.all(job.hashes.map(async (h) => ((await shared.tokens.consume(job.tenant, h, 1)) === 'consumed' ? h : null))),
  shared.keyStore.rotate({ tenantId: job.tenant, alg: 'ES256', expectedActiveKid: job.activeKid, newNext: keyFixture(job.tenant), at: 5, retiresAt: 6 }),
  Promise.all(job.replayKeys.map(async (k) => ((await shared.replay.useOnce(k, 4_000_000_000)) ? k : null))),
  Promise.all(job.codeHashes.map(async (h) => ((await shared.codes.take(job.tenant, h, 1)).result === 'consumed' ? h : null))),
  Promise.all(Array.from({ length: 10 }, async () => ((await shared.sessions.update(job.tenant, job.sessionHash, { accounts: [accountFixture()] })) ? 1 : 0))),
  Promise.all(Array.from({ length: 25 }, async (_, i) => (await shared.audit.append(auditEntry(job.tenant, { detail: { pid: process.pid, i } }))).seq)),
]);
await shared.close();
const result: WorkerResult = {
  applied: migrated.applied,
  consumed: consumed.filter((h) => h !== null),
  rotated,
  replayed: replayed.filter((k) => k !== null),
  taken: taken.filter((h) => h !== null),
  sessionUpdates: sessionUpdates.reduce((a: number, b) => a + b, 0),
  audited,
};
// Disconnecting closes the IPC channel, the last thing keeping this process alive.
process.send!({ result } satisfies WorkerMessage, () => process.disconnect());

// Child process for storage-sqlite-processes.test.ts: one "instance" sharing a SQLite file with
// another process. Waits for a common start time, then races on migrate, consume, rotate and
// useOnce, code takes and session updates (main-connection transactions against the other
// process's writer thread), and prints what it won as JSON.
import { createStorage } from '../../src/storage/create-storage.ts';
import { accountFixture } from './end-user-fixtures.ts';
import { keyFixture } from './harness.ts';

interface Job {
  readonly shared: string;
  readonly fresh: string;
  readonly startAt: number;
  readonly tenant: string;
  readonly hashes: string[];
  readonly activeKid: string;
  readonly replayKeys: string[];
  readonly codeHashes: string[];
  readonly sessionHash: string;
}

const job = JSON.parse(process.argv[2]!) as Job;
const shared = await createStorage(`sqlite:${job.shared}`);
const fresh = await createStorage(`sqlite:${job.fresh}`);
// Both processes are booted; start together so the work overlaps.
await new Promise((r) => setTimeout(r, Math.max(0, job.startAt - Date.now())));
const [migrated, consumed, rotated, replayed, taken, sessionUpdates] = await Promise.all([
  fresh.migrate(),
  Promise.all(job.hashes.map(async (h) => ((await shared.tokens.consume(job.tenant, h, 1)) === 'consumed' ? h : null))),
  shared.keyStore.rotate({ tenantId: job.tenant, alg: 'ES256', expectedActiveKid: job.activeKid, newNext: keyFixture(job.tenant), at: 5, retiresAt: 6 }),
  Promise.all(job.replayKeys.map(async (k) => ((await shared.replay.useOnce(k, 4_000_000_000)) ? k : null))),
  Promise.all(job.codeHashes.map(async (h) => ((await shared.codes.take(job.tenant, h, 1)).result === 'consumed' ? h : null))),
  Promise.all(Array.from({ length: 10 }, async () => (await shared.sessions.update(job.tenant, job.sessionHash, { accounts: [accountFixture()] })) ? 1 : 0)),
]);
await Promise.all([shared.close(), fresh.close()]);
process.stdout.write(JSON.stringify({
  applied: migrated.applied,
  consumed: consumed.filter(Boolean),
  rotated,
  replayed: replayed.filter(Boolean),
  taken: taken.filter(Boolean),
  sessionUpdates: sessionUpdates.reduce((a: number, b) => a + b, 0),
}));

/**
 * The `serve --workers N` primary (src/cluster/primary.ts) with stand-in worker scripts, so the
 * supervision rules are proven in seconds: a worker that exits unplanned is restarted with back-off,
 * a crash loop stops the primary with exit code 1 and says so, SIGTERM is forwarded and the primary
 * resolves 0 once every worker has drained. (The real CLI: test/flows/cli-serve-workers.test.ts.)
 */
import assert from 'node:assert/strict';
import cluster from 'node:cluster';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { superviseWorkers } from '../../src/cluster/primary.ts';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function script(body: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gh-cluster-'));
  dirs.push(dir);
  const file = join(dir, 'worker.mjs');
  await writeFile(file, body);
  return file;
}

async function until(fn: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a crash loop (more than maxRestarts unplanned exits in the window) stops the primary with 1 and a clear error', async () => {
  cluster.setupPrimary({ exec: await script('process.exit(3);\n'), execArgv: [], silent: true });
  const logs: string[] = [];
  const started = Date.now();
  const code = await superviseWorkers({ workers: 2, limits: {}, shutdownGrace: 2, log: (l, m) => logs.push(`${l} ${m}`), maxRestarts: 3, baseBackoffMs: 10 });
  assert.equal(code, 1);
  assert.ok(
    logs.some((l) => /^error .*exited \(code 3\): 4 unplanned exits within 60s, a crash loop; stopping/.test(l)),
    logs.join('\n'),
  );
  const restarts = logs.filter((l) => /starting a new one in (\d+) ms/.test(l)).map((l) => Number(/in (\d+) ms/.exec(l)![1]));
  assert.deepEqual(restarts, [10, 20, 40], 'exponential back-off between restarts');
  assert.equal(Object.keys(cluster.workers ?? {}).length, 0, 'no worker is left');
  assert.ok(Date.now() - started < 15_000);
});

test('a worker that dies is replaced; SIGTERM is forwarded, every worker drains, the primary resolves 0', async () => {
  // A stand-in server: announces itself like a worker, exits 0 on SIGTERM after a short "drain".
  const body = [
    "process.send({ gh: 'listening', address: 'stand-in' });",
    "process.on('SIGTERM', () => setTimeout(() => process.exit(0), 50));",
    'setInterval(() => {}, 1000);',
  ].join('\n');
  cluster.setupPrimary({ exec: await script(body), execArgv: [], silent: true });
  const logs: string[] = [];
  const running = superviseWorkers({ workers: 2, limits: {}, shutdownGrace: 5, log: (l, m) => logs.push(`${l} ${m}`), baseBackoffMs: 10 });
  await until(() => logs.some((l) => l.includes('gatehouse ready: 2 workers')), 'two workers');
  const [first] = Object.values(cluster.workers ?? {});
  first!.process.kill('SIGKILL');
  await until(() => logs.filter((l) => l.includes('listening on stand-in')).length === 3, 'a replacement');
  assert.ok(logs.some((l) => /^warn worker \d+ \(pid \d+\) exited \(signal SIGKILL\); starting a new one in 10 ms$/.test(l)));
  const pids = Object.values(cluster.workers ?? {}).map((w) => w!.process.pid!);
  assert.equal(pids.length, 2);
  process.emit('SIGTERM');
  assert.equal(await running, 0);
  assert.ok(logs.some((l) => l.includes('SIGTERM: stopping 2 workers')));
  for (const pid of pids) assert.throws(() => process.kill(pid, 0), 'the worker process is gone');
  assert.ok(!logs.some((l) => l.includes('crash loop')));
});

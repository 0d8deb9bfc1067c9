/**
 * `gatehouse serve --workers 2` as an operator runs it: the real CLI in child processes (a primary
 * and two node:cluster workers) on one SQLite file. Proves: requests reach both workers, the
 * per-address rate limit counts across both without Redis, `/metrics` on the main port is one
 * aggregate (a counter equals the requests sent to both), a SIGKILLed worker is replaced, and
 * SIGTERM drains and stops every process with exit code 0.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { deletePrefix, sharedRedis, testKeyPrefix, testRedisUrl } from '../support/redis.ts';
import { freePort } from '../support/free-port.ts';

const ENTRY = new URL('../support/gatehouse-cli.ts', import.meta.url).pathname;
const TSX = import.meta.resolve('tsx');

async function until<T>(fn: () => T | Promise<T>, what: string, ms = 90_000): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** `worker N (pid P) listening` lines of the primary, in order. */
const listening = (err: string) => [...err.matchAll(/worker (\d+) \(pid (\d+)\) listening/g)].map((m) => ({ id: Number(m[1]), pid: Number(m[2]) }));

test('serve --workers 2: both workers answer, limits and /metrics are shared, a killed worker is replaced, SIGTERM stops all with 0', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gh-workers-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // A small per-address budget on /authorize, so sharing is visible in a few requests. No load
  // shedding on event-loop delay: a worker compiling its modules on a busy CI machine can pass 1 s
  // and answer 503, which is not what this test is about (resilience-shedding.test.ts is).
  await writeFile(
    join(dir, 'gatehouse.json'),
    JSON.stringify({ rateLimits: { authorization: { perAddress: 6, window: 600 } }, resilience: { shed: { maxEventLoopDelayMs: 0 } } }),
  );
  const child: ChildProcess = spawn(process.execPath, ['--import', TSX, ENTRY, 'serve', '--workers', '2', '--config', 'gatehouse.json'], {
    cwd: dir,
    env: { PATH: process.env['PATH'] ?? '', GATEHOUSE_HOST: '127.0.0.1', GATEHOUSE_PORT: String(port), GATEHOUSE_ISSUER: base, GATEHOUSE_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  t.after(() => {
    for (const w of listening(out)) if (alive(w.pid)) process.kill(w.pid, 'SIGKILL');
    child.kill('SIGKILL');
  });

  await until(() => out.includes('gatehouse ready: 2 workers'), 'two workers listening');
  assert.equal(out.match(/created a demo user/g)?.length, 1, 'the development demo user is created once, by the primary');
  const workers = listening(out);
  assert.equal(workers.length, 2);

  // Each request on a new connection: the primary hands connections round-robin to the workers.
  const seen = new Map<string, number>();
  const DISCOVERY = 10;
  for (let i = 0; i < DISCOVERY; i++) {
    const res = await fetch(`${base}/.well-known/openid-configuration`, { headers: { connection: 'close' } });
    assert.equal(res.status, 200);
    const w = res.headers.get('gatehouse-worker') ?? 'none';
    seen.set(w, (seen.get(w) ?? 0) + 1);
    await res.arrayBuffer();
  }
  assert.deepEqual([...seen.keys()].sort(), ['1', '2'], `requests reached both workers (${JSON.stringify([...seen])})`);

  // The /authorize budget (6 per address) is one count for the machine, whichever worker answers.
  const statuses: number[] = [];
  const by = new Set<string>();
  for (let i = 0; i < 8; i++) {
    const res = await fetch(`${base}/authorize`, { headers: { connection: 'close' }, redirect: 'manual' });
    statuses.push(res.status);
    by.add(res.headers.get('gatehouse-worker') ?? 'none');
    await res.arrayBuffer();
  }
  assert.deepEqual(by, new Set(['1', '2']), 'the limited requests were spread over both workers');
  assert.equal(statuses.filter((s) => s !== 429).length, 6, `6 allowed in all, then 429 (${statuses})`);
  assert.deepEqual(statuses.slice(6), [429, 429]);

  // One consistent scrape on the main port: the counter is the sum over both workers.
  const discoveryCount = async () => {
    const text = await (await fetch(`${base}/metrics`, { headers: { connection: 'close' } })).text();
    const lines = text
      .split('\n')
      .filter((l) => l.startsWith('http_server_requests_duration_seconds_count{') && l.includes('route="/.well-known/openid-configuration"'));
    return lines.reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
  };
  assert.equal(await until(async () => ((await discoveryCount()) === DISCOVERY ? true : null), 'aggregated counter'), true);
  const text = await (await fetch(`${base}/metrics`)).text();
  assert.match(text, /^gatehouse_build_info\{[^}]*\} 1$/m, 'a gauge every worker sets to 1 is not summed');
  const jwks = (await (await fetch(`${base}/jwks.json`)).json()) as { keys: { alg: string }[] };
  const active = Number(/^gatehouse_keys_published\{status="active"\} (\d+)$/m.exec(text)?.[1]);
  assert.equal(active, new Set(jwks.keys.map((k) => k.alg)).size, 'one active key per algorithm, not one per worker');

  // A worker killed outright is replaced; the service keeps answering meanwhile.
  const victim = workers[0]!;
  process.kill(victim.pid, 'SIGKILL');
  const replacement = await until(() => listening(out).find((w) => w.id > 2), 'a replacement worker');
  assert.notEqual(replacement.pid, victim.pid);
  assert.match(out, new RegExp(`worker ${victim.id} \\(pid ${victim.pid}\\) exited \\(signal SIGKILL\\); starting a new one`));
  const after = await fetch(`${base}/.well-known/openid-configuration`);
  assert.equal(after.status, 200);

  // SIGTERM to the primary: every worker drains and exits, then the primary exits 0.
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  for (const w of listening(out)) assert.equal(alive(w.pid), false, `worker pid ${w.pid} is gone`);
  assert.doesNotMatch(out, /crash loop/);
  assert.match(out, /"role":"primary".*"msg":"SIGTERM: stopping 2 workers/);
});

test('serve --workers 2 with GATEHOUSE_REDIS_URL: the workers count in Redis, as separate instances do', async (t) => {
  const redis = await sharedRedis();
  if ('skip' in redis) return t.skip(redis.skip);
  const keyPrefix = testKeyPrefix();
  const dir = await mkdtemp(join(tmpdir(), 'gh-workers-redis-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  await writeFile(join(dir, 'gatehouse.json'), JSON.stringify({ redis: { keyPrefix }, rateLimits: { authorization: { perAddress: 3, window: 600 } } }));
  const child = spawn(process.execPath, ['--import', TSX, ENTRY, 'serve', '--config', 'gatehouse.json'], {
    cwd: dir,
    env: {
      PATH: process.env['PATH'] ?? '',
      GATEHOUSE_WORKERS: '2',
      GATEHOUSE_REDIS_URL: testRedisUrl(),
      GATEHOUSE_HOST: '127.0.0.1',
      GATEHOUSE_PORT: String(port),
      GATEHOUSE_ISSUER: base,
      GATEHOUSE_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  t.after(async () => {
    for (const w of listening(out)) if (alive(w.pid)) process.kill(w.pid, 'SIGKILL');
    child.kill('SIGKILL');
    await deletePrefix(redis.client, keyPrefix);
    redis.client.disconnect();
  });
  await until(() => out.includes('gatehouse ready: 2 workers'), 'two workers listening (GATEHOUSE_WORKERS)');
  const statuses: number[] = [];
  const by = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const res = await fetch(`${base}/authorize`, { headers: { connection: 'close' }, redirect: 'manual' });
    statuses.push(res.status);
    by.add(res.headers.get('gatehouse-worker') ?? 'none');
    await res.arrayBuffer();
  }
  assert.deepEqual(by, new Set(['1', '2']));
  assert.deepEqual(
    statuses.map((s) => s === 429),
    [false, false, false, true, true],
    `statuses ${statuses}`,
  );
  assert.ok((await redis.client.keys(`${keyPrefix}rl:*`)).length > 0, 'the counts are in Redis');
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});

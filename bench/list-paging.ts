// Operator list paging at scale (docs/admin-lists.md): seeds N clients, users and tokens per
// backend in bulk, then times first pages, pages deep in the keyset, prefix searches and grant
// lists, p50/p95 over repeated calls. Then the admin API cell (bench/lists/admin-http.ts): the
// list of --admin-clients clients over HTTP with an admin access token from a `gatehouse serve`
// process, p50/p95/p99 (goal: p99 ≤ 20 ms), and the console cell (bench/lists/console-http.ts):
// signed in to /admin as a user with the `admin` role through the real OIDC flow, each console
// page's render time over HTTP from the same process (goal: every page p99 ≤ 15 ms). Not a test: it prints tables and writes
// bench/results/list-paging-<date>.json.
//   node --import tsx bench/list-paging.ts [--rows 100000] [--backends memory,sqlite,postgres,mysql|none] [--reps 40]
//                                          [--admin-clients 1000 (0: skip)] [--admin-reps 300] [--console-reps 200 (0: skip)]
// Only the admin API and console cells: --backends none
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { sql, type Kysely } from 'kysely';
import type { Storage } from '../src/core/ports/storage.ts';
import { createStorage } from '../src/storage/create-storage.ts';
import { createMemoryStorage } from '../src/storage/memory/memory-storage.ts';
import { migrateToLatest } from '../src/storage/migrations/migrate.ts';
import type { SqlKind } from '../src/storage/sql/schema.ts';
import { openSql } from '../src/storage/sql/sql-connect.ts';
import { createTestDatabase } from '../test/support/databases.ts';
import { describeMachine, gitCommit, stamp } from './lib/machine.ts';
import { benchAdminApiList } from './lists/admin-http.ts';
import { CONSOLE_GOAL_P99_MS } from './lists/console-http.ts';
import { benchCases } from './lists/cases.ts';
import { makeDataset, seedMemory, seedSql, type Dataset } from './lists/seed.ts';

const BACKENDS = ['memory', 'sqlite', 'postgres', 'mysql'] as const;
type Backend = (typeof BACKENDS)[number];
const WARMUP = 5;

const { values } = parseArgs({
  options: {
    rows: { type: 'string' },
    backends: { type: 'string' },
    reps: { type: 'string' },
    'admin-clients': { type: 'string' },
    'admin-reps': { type: 'string' },
    'console-reps': { type: 'string' },
  },
});
const adminClients = Number(values['admin-clients'] ?? 1000);
const adminReps = Number(values['admin-reps'] ?? 300);
const consoleReps = Number(values['console-reps'] ?? 200);
const rows = Number(values.rows ?? 100_000);
const reps = Number(values.reps ?? 40);
const backends = (values.backends === 'none' ? [] : (values.backends?.split(',') ?? [...BACKENDS])) as Backend[];
for (const b of backends) if (!BACKENDS.includes(b)) throw new Error(`unknown backend ${b}; use ${BACKENDS.join(',')}`);
if (!Number.isInteger(rows) || rows < 1000) throw new Error('--rows must be an integer ≥ 1000');

/** Opens a seeded store; `done` drops what was created. */
async function open(backend: Backend, data: Dataset): Promise<{ storage: Storage; done(): Promise<void> }> {
  if (backend === 'memory') {
    const storage = createMemoryStorage();
    await seedMemory(storage, data);
    return { storage, done: () => storage.close() };
  }
  let url: string;
  let location: string;
  let drop: () => Promise<void>;
  if (backend === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'gh-bench-lists-'));
    location = join(dir, 'g.db');
    url = `sqlite:${location}`;
    drop = () => rm(dir, { recursive: true, force: true });
  } else {
    const db = await createTestDatabase(backend);
    if ('skip' in db) throw new Error(db.skip);
    url = location = db.url;
    drop = db.drop;
  }
  const kind: SqlKind = backend;
  const conn = await openSql({ kind, location, poolSize: 2 });
  await migrateToLatest(conn.db as Kysely<unknown>, kind);
  await seedSql(conn.db, data);
  // What autovacuum (PostgreSQL) and InnoDB's persistent statistics (MariaDB) do shortly after a
  // bulk load; without statistics PostgreSQL plans a 100k-row table as a tiny one (bitmap scan
  // + sort, 20-100 ms). SQLite gets no ANALYZE: its plans here are index-driven without one.
  if (kind === 'postgres') await sql`analyze`.execute(conn.db);
  if (kind === 'mysql') await sql`analyze table clients, users, tokens`.execute(conn.db);
  await conn.close();
  const storage = await createStorage(url, { poolSize: 4 });
  return {
    storage,
    async done() {
      await storage.close();
      await drop();
    },
  };
}

const pct = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
const round = (ms: number) => Math.round(ms * 100) / 100;

const data = makeDataset(rows);
const cases = benchCases(data);
const results: Record<string, { seedSeconds: number; cases: Record<string, { p50: number; p95: number; items: number }> } | { skipped: string }> = {};
for (const backend of backends) {
  const started = performance.now();
  let opened;
  try {
    opened = await open(backend, data);
  } catch (e) {
    results[backend] = { skipped: e instanceof Error ? e.message : String(e) };
    console.log(`${backend}: skipped (${results[backend].skipped})`);
    continue;
  }
  const seedSeconds = Math.round((performance.now() - started) / 100) / 10;
  const out: Record<string, { p50: number; p95: number; items: number }> = {};
  try {
    for (const c of cases) {
      let items = 0;
      for (let i = 0; i < WARMUP; i++) items = await c.run(opened.storage);
      const times: number[] = [];
      for (let i = 0; i < reps; i++) {
        const t = performance.now();
        await c.run(opened.storage);
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      out[c.name] = { p50: round(pct(times, 0.5)), p95: round(pct(times, 0.95)), items };
      if (items === 0) console.warn(`${backend}: "${c.name}" returned nothing — the dataset or the case is broken`);
    }
  } finally {
    await opened.done();
  }
  results[backend] = { seedSeconds, cases: out };
  console.log(`${backend}: seeded ${rows} clients, users and tokens in ${seedSeconds} s`);
}

const measured = backends.filter((b) => 'cases' in (results[b] ?? {}));
const header = ['case (p50 / p95 ms)', ...measured];
const table = cases.map((c) => [
  c.name,
  ...measured.map((b) => {
    const r = results[b] as { cases: Record<string, { p50: number; p95: number }> };
    return `${r.cases[c.name]!.p50} / ${r.cases[c.name]!.p95}`;
  }),
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
if (measured.length) for (const r of [header, widths.map((w) => '-'.repeat(w)), ...table]) console.log(r.map((v, i) => v.padEnd(widths[i]!)).join(' | '));

// The admin API over HTTP (issue #11: list of 1,000 clients, p99 ≤ 20 ms).
const ADMIN_GOAL_P99_MS = 20;
let adminApi: Awaited<ReturnType<typeof benchAdminApiList>> | { skipped: string } | null = null;
if (adminClients > 0) {
  try {
    adminApi = await benchAdminApiList(adminClients, adminReps, (l) => console.log(l), consoleReps);
    const rowsOut = Object.entries(adminApi.cases).map(([name, c]) => [name, `${c.p50} / ${c.p95} / ${c.p99}`, String(c.items)]);
    const head = [`admin API, ${adminClients} clients, SQLite (p50 / p95 / p99 ms)`, 'ms', 'items'];
    const w = head.map((h, i) => Math.max(h.length, ...rowsOut.map((r) => r[i]!.length)));
    for (const r of [head, w.map((x) => '-'.repeat(x)), ...rowsOut]) console.log(r.map((v, i) => v.padEnd(w[i]!)).join(' | '));
    const first = Object.values(adminApi.cases)[0]!;
    console.log(`goal p99 ≤ ${ADMIN_GOAL_P99_MS} ms for the first page: ${first.p99 <= ADMIN_GOAL_P99_MS ? 'met' : 'MISSED'} (${first.p99} ms)`);
    // The console pages (issue #11: server-side render ≤ 15 ms p99).
    const con = adminApi.console;
    if (con) {
      const rowsC = Object.entries(con.pages).map(([name, c]) => [
        name,
        c.path.length > 48 ? `${c.path.slice(0, 45)}…` : c.path,
        `${c.p50} / ${c.p95} / ${c.p99}`,
        String(c.bytes),
      ]);
      const headC = [`console page, signed in as admin, ${adminClients} clients (p50 / p95 / p99 ms)`, 'path', 'ms', 'bytes'];
      const wc = headC.map((h, i) => Math.max(h.length, ...rowsC.map((r) => r[i]!.length)));
      for (const r of [headC, wc.map((x) => '-'.repeat(x)), ...rowsC]) console.log(r.map((v, i) => v.padEnd(wc[i]!)).join(' | '));
      console.log(
        `goal ≤ ${CONSOLE_GOAL_P99_MS} ms p99 for every console page: ${con.worstP99 <= CONSOLE_GOAL_P99_MS ? 'met' : 'MISSED'} (worst ${con.worstP99} ms)`,
      );
    }
  } catch (e) {
    adminApi = { skipped: e instanceof Error ? e.message : String(e) };
    console.log(`admin API cell: skipped (${adminApi.skipped})`);
  }
}

const file = join('bench', 'results', `list-paging-${stamp(new Date())}.json`);
await mkdir(join('bench', 'results'), { recursive: true });
await writeFile(
  file,
  `${JSON.stringify({ date: new Date().toISOString(), commit: gitCommit(process.cwd()), machine: describeMachine(), rows, reps, limit: 50, results, adminApi }, null, 2)}\n`,
);
console.log(`wrote ${file}`);

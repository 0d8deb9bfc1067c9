/**
 * Server CPU per request, one scenario at a time, for comparing code changes on a busy machine
 * (req/s moves with other load; CPU time per request far less). Starts the compiled Gatehouse
 * (as `npm run bench` does), runs each scenario for BENCH_SECONDS (default 6) after a 2 s warm-up
 * and prints µs of server CPU per request; with BENCH_PROFILE=1 the server runs under --cpu-prof
 * and the top functions of each scenario's run are printed (one server start per scenario).
 *
 *   node --import tsx bench/cpu-cost.ts cc-jwt refresh      # BENCH_BUILD=0 skips the build
 *   BENCH_NODE_FLAGS='--perf-basic-prof' …                  # extra server flags (e.g. for `perf record`)
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeProfile, listProfiles } from './lib/profile.ts';
import { measure, measureFlow } from './lib/measure.ts';
import type { FlowLoad, Load } from './lib/types.ts';
import { scenarios } from './scenarios/index.ts';
import { createGatehouseTarget } from './servers/gatehouse.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 6);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 50);
const PROFILE = process.env['BENCH_PROFILE'] === '1';
const wanted = process.argv.slice(2);
const log = (l: string) => process.stdout.write(`${l}\n`);

const target = createGatehouseTarget({ build: process.env['BENCH_BUILD'] !== '0', log });
await target.prepare!({});
try {
  for (const id of wanted) {
    const s = scenarios.find((x) => x.id === id);
    if (!s) throw new Error(`unknown scenario ${id}`);
    const dir = PROFILE ? await mkdtemp(join(tmpdir(), 'gh-prof-')) : null;
    const extra = (process.env['BENCH_NODE_FLAGS'] ?? '').split(' ').filter(Boolean);
    const r = await target.start({ nodeFlags: [...(dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []), ...extra] });
    try {
      const p = await s.prepare(r);
      if ('na' in p) throw new Error(p.na);
      const load: Load | FlowLoad = p.load;
      const run = (durationSec: number) =>
        'kind' in load && load.kind === 'flow'
          ? measureFlow(r, load, { connections: CONNECTIONS, durationSec }, { scenario: id, target: 'gatehouse', round: 0 })
          : measure(r, load as Load, { connections: CONNECTIONS, durationSec }, { scenario: id, target: 'gatehouse', round: 0 });
      await run(2);
      const c = await run(SECONDS);
      if ('kind' in load) load.close?.();
      const us = ((c.serverCpuPct / 100) * c.durationSec * 1e6) / Math.max(1, c.total);
      log(
        `${id.padEnd(18)} ${Math.round(c.reqPerSec)} req/s  server CPU ${Math.round(us)} µs/req (${c.serverCpuPct}%)  p99 ${c.latencyP99} ms  load ${c.loadAvg1}${c.problem ? `  INVALID: ${c.problem}` : ''}`,
      );
    } finally {
      await r.stop();
    }
    if (dir) {
      for (const { file, thread } of await listProfiles(dir)) {
        const a = await analyzeProfile(file, Number(process.env['BENCH_TOP'] ?? 30));
        log(`  [${thread === 0 ? 'main' : `worker ${thread}`}] ${a.totalMs} ms sampled (${file})`);
        if (thread !== 0) continue;
        for (const f of a.packages) log(`    pkg  ${String(f.selfPct).padStart(5)} %  ${f.name}`);
        for (const f of a.functions) log(`    self ${String(f.selfPct).padStart(5)} %  ${f.name} ${f.where}`);
        for (const f of a.gatehouseInclusive) log(`    incl ${String(f.selfPct).padStart(5)} %  ${f.name} ${f.where}`);
      }
    }
  }
} finally {
  await target.cleanup?.();
}

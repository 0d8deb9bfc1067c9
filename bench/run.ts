/**
 * `npm run bench`: Gatehouse against node-oidc-provider, @node-oauth/oauth2-server and a bare
 * Fastify hello-world (the machine's ceiling). Each server runs in its own process; autocannon
 * drives it from this one. Rounds are interleaved across servers so drift hits all alike; the
 * median of the rounds is reported. Writes bench/results/<timestamp>.json, latest.md, latest.svg
 * and the README section. `--help` lists the options.
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs, USAGE, type BenchArgs } from './lib/args.ts';
import { measure, measureFlow } from './lib/measure.ts';
import { cpuProbe, describeMachine, loopbackProbeUs, gitCommit, stamp } from './lib/machine.ts';
import { analyzeProfile, listProfiles, type ProfileAnalysis } from './lib/profile.ts';
import { loadAverage, rssMiB } from './lib/process.ts';
import { buildReport, writeReport, type RunFacts } from './lib/publish.ts';
import { median, summarize, type CellSummary, type StartupSummary } from './lib/summary.ts';
import type { BenchTarget, CellRun, FlowLoad, Load, RunningTarget, Scenario } from './lib/types.ts';
import { scenarios as allScenarios } from './scenarios/index.ts';
import { accessTokenOf } from './scenarios/http.ts';
import { createGatehouseTarget, SCALE_TARGETS, type BenchScale, type GatehouseTarget } from './servers/gatehouse.ts';
import { helloTarget } from './servers/hello.ts';
import { oauth2ServerTarget } from './servers/oauth2-server.ts';
import { oidcProviderTarget } from './servers/oidc-provider.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const IDLE_SETTLE_MS = 2000;
/** The cells Gatehouse on PostgreSQL/MariaDB runs (issue #10); start-up and flows stay on SQLite. */
const BACKEND_SCENARIOS = new Set(['cc-jwt', 'cc-opaque', 'introspect-opaque', 'refresh']);
const MB = 1_000_000 / 1_048_576; // MiB → MB (10⁶ bytes)
const log = (line: string) => process.stdout.write(`${line}\n`);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const running = new Set<RunningTarget>();
/** Temporary files to remove however the run ends. */
const cleanups: (() => Promise<void>)[] = [];
async function stopAll(): Promise<void> {
  await Promise.all([...running].map((r) => r.stop().catch(() => {})));
  running.clear();
  for (const c of cleanups.splice(0)) await c().catch(() => {});
}
process.once('SIGINT', () => {
  log('\ninterrupted: stopping servers');
  void stopAll().then(() => process.exit(130));
});

/** Fresh starts of one target: start-to-ready and idle RSS (first start on a new store is "cold"). */
async function measureStartup(t: BenchTarget, a: BenchArgs, cold: boolean): Promise<StartupSummary> {
  const startMs: number[] = [];
  const rss: number[] = [];
  let coldStartMs: number | undefined;
  for (let i = cold ? -1 : 0; i < a.starts; i++) {
    const r = await t.start({ verbose: a.verbose });
    running.add(r);
    try {
      await delay(IDLE_SETTLE_MS);
      const mib = await rssMiB(r.pid);
      if (i < 0) coldStartMs = r.startupMs;
      else {
        startMs.push(r.startupMs);
        rss.push(mib);
      }
      log(`  ${t.id} start ${i < 0 ? 'cold' : i + 1}: ready in ${fmt(r.startupMs)} ms, idle RSS ${(mib / MB).toFixed(0)} MB`);
    } finally {
      await r.stop();
      running.delete(r);
    }
  }
  return {
    target: t.id,
    ...(coldStartMs !== undefined ? { coldStartMs: Math.round(coldStartMs) } : {}),
    startMs: startMs.map(Math.round),
    idleRssMiB: rss.map((x) => Math.round(x * 10) / 10),
    medianStartMs: Math.round(median(startMs)),
    medianIdleRssMB: Math.round((median(rss) / MB) * 10) / 10,
  };
}

/** `--render FILE`: rebuilds latest.md, latest.svg and the README section from a results file. */
async function render(file: string): Promise<number> {
  const j = JSON.parse(await readFile(file, 'utf8')) as RunFacts & {
    machine: { summary: string; cpuCount: number };
    options: { connections: number; durationSec: number; quick: boolean };
  };
  const facts: RunFacts = {
    ...j,
    machineSummary: j.machine.summary,
    cpuCount: j.machine.cpuCount,
    connections: j.options.connections,
    durationSec: j.options.durationSec,
    quick: j.options.quick,
  };
  const outDir = dirname(resolve(file));
  const inRepo = outDir === join(ROOT, 'bench/results');
  const { markdown } = await writeReport(buildReport(facts), {
    outDir,
    name: basename(file, '.json'),
    publish: true,
    readme: inRepo ? join(ROOT, 'README.md') : null,
  });
  log(markdown);
  return 0;
}

/** Waits (bounded) until the one-minute load average is below 1, so other work does not skew cells. */
async function waitQuiet(minutes: number): Promise<void> {
  const until = Date.now() + minutes * 60_000;
  let load = await loadAverage();
  while (load >= 1 && Date.now() < until) {
    log(`waiting for a quiet machine: load average ${load.toFixed(2)}`);
    await delay(15_000);
    load = await loadAverage();
  }
  log(load < 1 ? `machine quiet (load average ${load.toFixed(2)})` : `! still busy after ${minutes} min (load ${load.toFixed(2)}); measuring anyway`);
}

async function main(): Promise<number> {
  const parsed = parseBenchArgs(process.argv.slice(2));
  if (parsed === 'help') {
    log(USAGE);
    return 0;
  }
  if (parsed.render) return render(parsed.render);
  const a = parsed;
  const began = Date.now();
  const deadline = began + a.maxMinutes * 60_000;
  const gatehouse: GatehouseTarget = createGatehouseTarget({ build: a.build, log: (l) => log(`  ${l}`) });
  // Issue #10: the same build on PostgreSQL and MariaDB (no second build), in the server cells only.
  const wanted = (id: string) => !a.targets || a.targets.includes(id);
  const backendDbs = (['postgres', 'mariadb'] as const).filter((d) => wanted(d === 'postgres' ? 'gatehouse-pg' : 'gatehouse-mariadb'));
  // Only one target builds dist/: the SQLite one when selected, else the first server database.
  const backends = backendDbs.map((database, i) =>
    createGatehouseTarget({ build: a.build && i === 0 && !wanted('gatehouse'), database, log: (l) => log(`  ${l}`) }),
  );
  // Issue #10, several processes: one process, --workers 2 and two instances behind a round-robin
  // proxy, all on PostgreSQL + Redis (bench/lib/scale.ts), in the same server cells.
  const scales = (Object.keys(SCALE_TARGETS) as BenchScale[]).filter((k) => wanted(SCALE_TARGETS[k].id));
  const scaled = scales.map((scale, i) =>
    createGatehouseTarget({
      build: a.build && i === 0 && !wanted('gatehouse') && backends.length === 0,
      database: 'postgres',
      scale,
      log: (l) => log(`  ${l}`),
    }),
  );
  // Targets measured in the server cells only (no start-up or flow cells).
  const serverCellTargets = [...backends, ...scaled];
  const targets = [gatehouse, ...serverCellTargets, oidcProviderTarget, oauth2ServerTarget, helloTarget].filter((t) => !a.targets || a.targets.includes(t.id));
  for (const g of [gatehouse, ...serverCellTargets].filter((t) => targets.includes(t))) {
    cleanups.push(async () => {
      await g.cleanup?.();
    });
  }
  const scenarioList = allScenarios.filter((s) => !a.scenarios || a.scenarios.includes(s.id) || (s.id === 'hello' && targets.some((t) => t.id === 'hello')));
  if (!targets.length || !scenarioList.length) throw new Error('no targets or scenarios selected');
  const machine = describeMachine();
  log(`Gatehouse benchmark — ${machine.summary}, Node ${process.version}`);
  log(`targets: ${targets.map((t) => t.id).join(', ')}; scenarios: ${scenarioList.map((s) => s.id).join(', ')}`);
  log(`${a.connections} connections, ${a.durationSec} s per cell, ${a.warmupSec} s warm-up, ${a.rounds} round(s), ${a.starts} start(s)`);
  const estimate = scenarioList.length * targets.length * 0.5 * (a.warmupSec + a.rounds * (a.durationSec + 0.5)) + targets.length * (a.starts + 1) * 3 + 15;
  log(`estimated time: about ${Math.ceil(estimate / 60)} min (bounded by --max-minutes ${a.maxMinutes})\n`);

  if (a.waitQuiet > 0) await waitQuiet(a.waitQuiet);

  // 1. Preparation (build, database, clients).
  const failed = new Map<string, string>();
  for (const t of targets) {
    try {
      await t.prepare?.({ verbose: a.verbose });
    } catch (e) {
      failed.set(t.id, (e as Error).message.split('\n')[0]!.slice(0, 300));
      log(`! ${t.id}: preparation failed: ${(e as Error).message}`);
    }
  }
  const live = targets.filter((t) => !failed.has(t.id));

  const probeBefore = cpuProbe();
  const loopbackUs = await loopbackProbeUs();
  log(`\n[cpu probe] ${probeBefore} ms for a fixed 10⁸-step loop (lower is faster); loopback TCP round trip ${loopbackUs} µs`);

  // 2. Start-to-ready and idle RSS, each from a fresh process.
  log('\n[startup] start to ready, idle RSS');
  const startup: StartupSummary[] = [];
  for (const t of live.filter((x) => !serverCellTargets.some((b) => b.id === x.id))) {
    if (a.starts === 0) break;
    try {
      startup.push(await measureStartup(t, a, t.id === 'gatehouse'));
    } catch (e) {
      startup.push({
        target: t.id,
        startMs: [],
        idleRssMiB: [],
        medianStartMs: Number.NaN,
        medianIdleRssMB: Number.NaN,
        error: (e as Error).message.slice(0, 300),
      });
      log(`! ${t.id}: start failed: ${(e as Error).message}`);
      failed.set(t.id, `start failed: ${(e as Error).message.split('\n')[0]}`);
    }
  }

  // 3. Load: every live target runs for the whole phase.
  // bench/results/tmp/ is git-ignored.
  if (a.profile) await mkdir(join(ROOT, 'bench/results/tmp'), { recursive: true });
  const profileDir = a.profile ? await mkdtemp(join(ROOT, 'bench/results/tmp/prof-')) : null;
  const up = new Map<string, RunningTarget>();
  for (const t of live.filter((x) => !failed.has(x.id))) {
    try {
      const nodeFlags = t.id === 'gatehouse' && profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
      const r = await t.start({ verbose: a.verbose, nodeFlags });
      running.add(r);
      up.set(t.id, r);
    } catch (e) {
      failed.set(t.id, `start failed: ${(e as Error).message.split('\n')[0]}`);
      log(`! ${t.id}: start failed: ${(e as Error).message}`);
    }
  }
  const na = new Map<string, string>();
  const cellFailures = new Map<string, string>();
  const key = (s: Scenario, t: BenchTarget) => `${s.id}|${t.id}`;
  const run1 = (
    r: RunningTarget,
    load: Load | FlowLoad,
    o: { connections: number; durationSec: number },
    l: { scenario: string; target: string; round: number },
  ) =>
    ('kind' in load && load.kind === 'flow' ? measureFlow(r, load, o, l) : measure(r, load as Load, o, l)).finally(() => {
      if ('kind' in load) load.close?.();
    });
  const prepareCell = async (s: Scenario, t: BenchTarget): Promise<Load | FlowLoad | null> => {
    const r = up.get(t.id);
    if (!r) return null;
    if (serverCellTargets.some((b) => b.id === t.id) && !BACKEND_SCENARIOS.has(s.id)) {
      na.set(key(s, t), 'measured on SQLite only');
      return null;
    }
    if (s.only && !s.only.includes(t.id)) {
      na.set(key(s, t), 'not measured on this server');
      return null;
    }
    const failure = r.capabilities.failures?.[s.id];
    if (failure) {
      cellFailures.set(key(s, t), failure);
      return null;
    }
    try {
      const p = await s.prepare(r);
      if ('na' in p) {
        na.set(key(s, t), p.na);
        return null;
      }
      return p.load;
    } catch (e) {
      cellFailures.set(key(s, t), (e as Error).message.slice(0, 300));
      log(`! ${s.id} on ${t.id}: ${(e as Error).message}`);
      return null;
    }
  };

  log(`\n[warm-up] ${a.warmupSec} s per cell`);
  for (const s of scenarioList) {
    for (const t of targets) {
      const load = await prepareCell(s, t);
      if (!load || a.warmupSec === 0) continue;
      const w = await run1(up.get(t.id)!, load, { connections: a.connections, durationSec: a.warmupSec }, { scenario: s.id, target: t.id, round: 0 });
      log(`  ${s.id.padEnd(18)} ${t.id.padEnd(14)} ${fmt(w.reqPerSec).padStart(7)} req/s${w.problem ? `  ! ${w.problem}` : ''}`);
    }
  }

  const runs: CellRun[] = [];
  let completedRounds = 0;
  for (let round = 1; round <= a.rounds; round++) {
    if (Date.now() > deadline) {
      log(`! --max-minutes reached: stopping after ${completedRounds} round(s)`);
      break;
    }
    log(`\n[round ${round}/${a.rounds}]`);
    // Rotate the server order each round so no server always runs first after a pause.
    const order = targets.map((_, i) => targets[(i + round - 1) % targets.length]!);
    for (const s of scenarioList) {
      for (const t of order) {
        if (na.has(key(s, t)) || cellFailures.has(key(s, t))) continue;
        const load = await prepareCell(s, t);
        if (!load) continue;
        const r = up.get(t.id)!;
        // Multi-process targets: every opaque token the client received must be in the store afterwards.
        const issued: string[] = [];
        const audited =
          r.storedTokens && s.id === 'cc-opaque' && !('kind' in load)
            ? {
                ...load,
                verifyBody: (b: string) => {
                  const ok = load.verifyBody(b);
                  const tok = ok ? accessTokenOf(b) : null;
                  if (tok) issued.push(tok);
                  return ok;
                },
              }
            : load;
        let run = await run1(r, audited, { connections: a.connections, durationSec: a.durationSec }, { scenario: s.id, target: t.id, round });
        if (audited !== load) {
          const found = await r.storedTokens!(issued).catch(() => -1);
          const missing =
            found < 0
              ? 'could not look the issued tokens up'
              : found < issued.length
                ? `${issued.length - found} of ${issued.length} issued tokens not in the store`
                : null;
          run = { ...run, tokensIssued: issued.length, tokensFound: Math.max(found, 0), problem: [run.problem, missing].filter(Boolean).join('; ') || null };
        }
        runs.push(run);
        const by = run.cpuUsPerRequestByProcess
          ? ` (${Object.entries(run.cpuUsPerRequestByProcess)
              .map(([k, v]) => `${k} ${Math.round(v)}`)
              .join(', ')})`
          : '';
        log(
          `  ${s.id.padEnd(18)} ${t.id.padEnd(14)} ${fmt(run.reqPerSec).padStart(7)} req/s  p50 ${run.latencyP50} ms  p99 ${run.latencyP99} ms  cpu srv ${run.serverCpuPct}% gen ${run.loaderCpuPct}%  ${fmt(run.serverCpuUsPerRequest ?? Number.NaN)} µs/req${by}  load ${run.loadAvg1}${run.tokensIssued !== undefined ? `  tokens found ${run.tokensFound}/${run.tokensIssued}` : ''}${run.problem ? `  INVALID: ${run.problem}` : ''}`,
        );
      }
    }
    completedRounds = round;
  }

  for (const s of startup) {
    const r = up.get(s.target);
    if (r) (s as { rssAfterLoadMB?: number }).rssAfterLoadMB = Math.round((await rssMiB(r.pid).catch(() => Number.NaN)) / MB);
  }
  await stopAll();

  const profile: (ProfileAnalysis & { file: string; thread: number })[] = [];
  if (profileDir) {
    for (const { file, thread } of await listProfiles(profileDir)) profile.push({ file, thread, ...(await analyzeProfile(file)) });
    if (!profile.length) log('! no CPU profile was written (the server did not exit cleanly?)');
    for (const p of profile) {
      const busy = 100 - (p.packages.find((x) => x.name === '(idle)')?.selfPct ?? 0);
      log(
        `\n[profile] Gatehouse ${p.thread === 0 ? 'main thread' : `worker thread ${p.thread}`}: ${fmt(p.totalMs)} ms sampled, ${busy.toFixed(0)} % busy (${p.file})`,
      );
      const n = p.thread === 0 ? 25 : 6;
      log('  self time by package:');
      for (const x of p.packages.slice(0, Math.min(n, 12))) log(`    ${x.selfPct.toFixed(1).padStart(5)} %  ${x.name}`);
      log('  top functions by self time:');
      for (const f of p.functions.slice(0, n)) log(`    ${f.selfPct.toFixed(1).padStart(5)} %  ${f.name}  ${f.where}`);
      if (p.thread === 0) {
        log('  Gatehouse functions by inclusive time (self + callees):');
        for (const f of p.gatehouseInclusive) log(`    ${f.selfPct.toFixed(1).padStart(5)} %  ${f.name}  ${f.where}`);
      }
    }
  }

  // 4. Summary and outputs.
  const probeAfter = cpuProbe();
  log(`\n[cpu probe] ${probeAfter} ms after the cells (${probeBefore} ms before)`);
  const cells: CellSummary[] = [];
  for (const s of scenarioList) {
    for (const t of targets) {
      const k = key(s, t);
      cells.push(
        summarize(
          s.id,
          t.id,
          runs.filter((r) => r.scenario === s.id && r.target === t.id),
          na.get(k),
          cellFailures.get(k) ?? failed.get(t.id),
        ),
      );
    }
  }
  const date = new Date(began);
  const outDir = a.out ?? (a.quick ? join(tmpdir(), 'gatehouse-bench-results') : join(ROOT, 'bench/results'));
  await mkdir(outDir, { recursive: true });
  const facts: RunFacts = {
    startedAt: date.toISOString(),
    machineSummary: machine.summary,
    cpuCount: machine.cpuCount,
    node: process.version,
    connections: a.connections,
    durationSec: a.durationSec,
    rounds: completedRounds,
    quick: a.quick,
    scenarios: scenarioList.map((s) => ({ id: s.id, title: s.title })),
    targets: targets.map((t) => ({ id: t.id, label: t.label })),
    cells,
    runs,
    startup,
    cpuProbeMs: { before: probeBefore, after: probeAfter },
    loopbackUs,
  };
  const report = buildReport(facts);
  const jsonFile = join(outDir, `${stamp(date)}.json`);
  await writeFile(
    jsonFile,
    JSON.stringify(
      {
        ...facts,
        finishedAt: new Date().toISOString(),
        complete: completedRounds === a.rounds,
        options: a,
        machine,
        gatehouse: { version: gatehouse.version, commit: gitCommit(ROOT), ...gatehouse.info() },
        versions: Object.fromEntries(targets.map((t) => [t.id, t.version])),
        failed: Object.fromEntries(failed),
        ratios: report.ratios,
        goals: report.goals,
        profile,
      },
      null,
      2,
    ) + '\n',
  );
  log(`\nresults: ${jsonFile}`);
  const { markdown: md, readmeUpdated } = await writeReport(report, {
    outDir,
    name: stamp(date),
    publish: a.publish,
    readme: a.publish && !a.out ? join(ROOT, 'README.md') : null,
  });
  if (a.publish) log(`published: ${join(outDir, 'latest.md')}, latest.svg${readmeUpdated ? ', README.md bench section' : ''}`);
  log(`\n${md}`);
  await stopAll();
  if (profileDir) log(`CPU profiles kept in ${profileDir} (open in Chrome DevTools › Performance)`);
  log(`done in ${Math.round((Date.now() - began) / 1000)} s`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  async (e: unknown) => {
    await stopAll();
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);

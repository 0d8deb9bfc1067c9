/**
 * Issue #10's "same server CPU per request" for several processes, judged at a fixed request
 * rate instead of at saturation (`npm run bench` measures it at saturation, where two processes
 * on two shared cores each batch half the requests per event-loop turn and fight the load
 * generator, PostgreSQL and Redis for the same cores).
 *
 * For each scenario and round, on PostgreSQL + Redis: one process at R req/s; `--workers 2` and
 * two instances behind the round-robin proxy at R (the same total: each process sees R/2) and at
 * 2R (the same load per process as the single process: what a machine with a core per process
 * would see). The CPU time of every Gatehouse process over the completed requests is compared
 * with the single process's. The proxy's CPU is shown but not counted, as in `npm run bench`.
 *
 *   npm run bench:scale -- [--rate 1000] [--flow-rate 250] [--duration 8] [--rounds 2]
 *        [--scenarios cc-jwt,cc-opaque,introspect-opaque,refresh] [--no-build]
 *
 * Refresh chains are flows (each waits for the previous answer): they start on a shared schedule
 * at --flow-rate (measureFlow's overallRate).
 *
 * Writes bench/results/scale-equal-load-<timestamp>.json.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeMachine, stamp } from './lib/machine.ts';
import { measure, measureFlow } from './lib/measure.ts';
import type { BenchScale } from './servers/gatehouse.ts';
import type { CellRun, FlowLoad, Load } from './lib/types.ts';
import { scenarios as allScenarios } from './scenarios/index.ts';
import { createGatehouseTarget } from './servers/gatehouse.ts';

const ROOT = new URL('../', import.meta.url).pathname;
const log = (l: string) => process.stdout.write(`${l}\n`);
const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '1000' },
    'flow-rate': { type: 'string', default: '250' },
    duration: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    scenarios: { type: 'string', default: 'cc-jwt,cc-opaque,introspect-opaque,refresh' },
    'no-build': { type: 'boolean', default: false },
  },
});
const R = Number(values.rate);
/** Flows (refresh chains) are far costlier per unit than a single request: their own R. */
const FLOW_R = Number(values['flow-rate']);
const durationSec = Number(values.duration);
const rounds = Number(values.rounds);
const connections = Number(values.connections);
const wanted = values.scenarios.split(',').map((s) => s.trim());
const scenarios = allScenarios.filter((s) => wanted.includes(s.id));
if (scenarios.length !== wanted.length) throw new Error(`unknown scenario in ${values.scenarios}`);

interface Cell {
  readonly scenario: string;
  readonly target: string;
  readonly round: number;
  /** The rate as a multiple of R (or of the flow rate). */
  readonly factor: number;
  readonly rate: number;
  readonly run: CellRun;
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  const began = new Date();
  const shapes: { scale: BenchScale; rates: number[] }[] = [
    // Rates as multiples of R (FLOW_R for flow scenarios).
    { scale: 'single', rates: [1] },
    { scale: 'workers', rates: [1, 2] },
    { scale: 'instances', rates: [1, 2] },
  ];
  const targets = shapes.map((s, i) => ({
    ...s,
    target: createGatehouseTarget({ build: !values['no-build'] && i === 0, database: 'postgres', scale: s.scale, log: (l) => log(`  ${l}`) }),
  }));
  const cells: Cell[] = [];
  try {
    for (const t of targets) await t.target.prepare!({});
    log(`[equal load] R = ${R} req/s (${FLOW_R} flows/s for refresh chains) and 2R, ${durationSec} s per cell, ${rounds} rounds, ${connections} connections`);
    for (let round = 1; round <= rounds; round++) {
      for (const t of targets) {
        const running = await t.target.start({});
        try {
          for (const s of scenarios) {
            const p = await s.prepare(running);
            if ('na' in p) throw new Error(`${s.id}: ${p.na}`);
            const isFlow = 'kind' in p.load && p.load.kind === 'flow';
            const base = isFlow ? FLOW_R : R;
            const cell = (durationSec: number, overallRate: number) =>
              isFlow
                ? measureFlow(running, p.load as FlowLoad, { connections, durationSec, overallRate }, { scenario: s.id, target: t.target.id, round })
                : measure(running, p.load as Load, { connections, durationSec, overallRate }, { scenario: s.id, target: t.target.id, round });
            // Warm-up at the highest rate of the target (JIT, pools, caches), not measured.
            await cell(2, Math.max(...t.rates) * base);
            for (const factor of t.rates) {
              const rate = factor * base;
              const run = await cell(durationSec, rate);
              cells.push({ scenario: s.id, target: t.target.id, round, factor, rate, run });
              const byProcess = run.cpuUsPerRequestByProcess
                ? ` (${Object.entries(run.cpuUsPerRequestByProcess)
                    .map(([k, v]) => `${k} ${Math.round(v)}`)
                    .join(', ')})`
                : '';
              const short = run.reqPerSec < rate * 0.95 ? `  ⚠️ only ${Math.round(run.reqPerSec)} of ${rate} req/s` : '';
              log(
                `  ${s.id.padEnd(18)} ${t.target.id.padEnd(22)} @ ${String(rate).padStart(5)}/s: ${Math.round(run.serverCpuUsPerRequest ?? Number.NaN)} µs CPU/request${byProcess}, p99 ${run.latencyP99} ms${short}${run.problem ? `  INVALID: ${run.problem}` : ''}`,
              );
            }
          }
        } finally {
          await running.stop();
        }
      }
    }
    log('\n| Scenario | Target | req/s (total) | load per process | Gatehouse CPU / request | ÷ one process at R |');
    log('| --- | --- | ---: | ---: | ---: | ---: |');
    const summary = [];
    for (const s of scenarios) {
      const cpu = (target: string, factor: number) =>
        median(cells.filter((c) => c.scenario === s.id && c.target === target && c.factor === factor).map((c) => c.run.serverCpuUsPerRequest ?? Number.NaN));
      const base = cpu(targets[0]!.target.id, 1);
      for (const t of targets) {
        for (const factor of t.rates) {
          const us = cpu(t.target.id, factor);
          const rate = factor * cells.find((c) => c.scenario === s.id && c.factor === 1)!.rate;
          const perProcess = t.scale === 'single' ? rate : rate / 2;
          summary.push({ scenario: s.id, target: t.target.id, rate, perProcess, cpuUsPerRequest: us, ratio: us / base });
          log(
            `| ${s.id} | ${t.target.id} | ${rate} | ${perProcess} | ${Math.round(us)} µs | ${t.scale === 'single' ? '(baseline)' : `${(us / base).toFixed(2)}×`} |`,
          );
        }
      }
    }
    const file = join(ROOT, 'bench/results', `scale-equal-load-${stamp(began)}.json`);
    await writeFile(
      file,
      `${JSON.stringify({ startedAt: began.toISOString(), machine: describeMachine(), options: { R, flowR: FLOW_R, durationSec, rounds, connections }, summary, cells }, null, 2)}\n`,
    );
    log(`results: ${file}`);
  } finally {
    for (const t of targets) await t.target.cleanup?.();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`scale-equal-load: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});

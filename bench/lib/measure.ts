import autocannon from 'autocannon';
import { cpuSecondsOf, loadAverage } from './process.ts';
import type { CellRun, FlowLoad, Load, RunningTarget } from './types.ts';

export interface MeasureOptions {
  readonly connections: number;
  readonly durationSec: number;
  /** Requests per second over all connections (autocannon `overallRate`); unset = as fast as the server answers. */
  readonly overallRate?: number;
}

/** One request made outside the load, checked thoroughly; returns the problem or null. */
export async function probe(target: RunningTarget, load: Load): Promise<string | null> {
  try {
    const res = await fetch(target.origin + load.path, {
      method: load.method,
      headers: load.headers,
      ...(load.body !== undefined ? { body: load.body } : {}),
      signal: AbortSignal.timeout(5000),
    });
    const body = await res.text();
    const problem = load.verifyResponse(res.status, body);
    if (problem) return problem;
    return load.verifyBody(body) ? null : `response body fails the per-response check: ${body.slice(0, 200)}`;
  } catch (e) {
    return `request failed: ${(e as Error).message}`;
  }
}

/**
 * Starts counting the server's CPU: every process of the target (`RunningTarget.processes`, e.g.
 * a cluster's primary and workers, or two instances and their proxy), else `pid` alone. The
 * returned function gives the CPU seconds of the Gatehouse processes, per process by role (only
 * for multi-process targets), and a problem when a process went away or was replaced meanwhile.
 */
async function startServerCpu(target: RunningTarget) {
  const procs = target.processes ? await target.processes() : [{ role: 'server', pid: target.pid, gatehouse: true }];
  const before = await cpuSecondsOf(procs);
  return async () => {
    const after = await cpuSecondsOf(procs);
    const byRole: Record<string, number> = {};
    let seconds = 0;
    procs.forEach((p, i) => {
      const d = after[i]! - before[i]!;
      byRole[p.role] = d;
      if (p.gatehouse) seconds += d;
    });
    let problem: string | null = null;
    const gone = procs.filter((_, i) => !Number.isFinite(after[i]!));
    if (target.processes && gone.length) problem = `server process gone during the cell: ${gone.map((p) => p.role).join(', ')}`;
    else if (target.processes) {
      const now = (await target.processes()).map((p) => p.pid).join(',');
      if (now !== procs.map((p) => p.pid).join(',')) problem = 'the server processes changed during the cell (a worker was replaced?)';
    }
    return { seconds, byRole: target.processes ? byRole : null, problem };
  };
}

/** CPU per completed request (µs), overall and per process. */
function cpuPerRequest(cpu: { seconds: number; byRole: Record<string, number> | null }, total: number) {
  const us = (s: number) => (total > 0 && Number.isFinite(s) ? round1((s * 1e6) / total) : Number.NaN);
  return {
    serverCpuUsPerRequest: us(cpu.seconds),
    ...(cpu.byRole ? { cpuUsPerRequestByProcess: Object.fromEntries(Object.entries(cpu.byRole).map(([k, v]) => [k, us(v)])) } : {}),
  };
}

function runAutocannon(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

/**
 * Drives `load` against `target` with autocannon (in this process; the server runs in its own
 * process). Every response is checked: non-2xx, connection errors, timeouts and bodies failing
 * `verifyBody` are counted; one thorough probe before and after must pass.
 */
export async function measure(
  target: RunningTarget,
  load: Load,
  opts: MeasureOptions,
  labels: { scenario: string; target: string; round: number },
): Promise<CellRun> {
  const before = await probe(target, load);
  const cpuEnd = await startServerCpu(target);
  const self0 = process.cpuUsage();
  let firstMismatch: string | null = null;
  const r = await runAutocannon({
    url: target.origin + load.path,
    method: load.method,
    headers: { ...load.headers },
    ...(load.body !== undefined ? { body: load.body } : {}),
    connections: opts.connections,
    pipelining: 1,
    duration: opts.durationSec,
    ...(opts.overallRate ? { overallRate: opts.overallRate } : {}),
    timeout: 10,
    verifyBody: (b) => {
      const ok = typeof b === 'string' && load.verifyBody(b);
      if (!ok && firstMismatch === null) firstMismatch = String(b).slice(0, 160);
      return ok;
    },
  });
  const self = process.cpuUsage(self0);
  const cpu = await cpuEnd();
  const serverCpu = cpu.seconds;
  const load1 = await loadAverage().catch(() => Number.NaN);
  const after = await probe(target, load);
  const invalid = [
    before && `before: ${before}`,
    after && `after: ${after}`,
    r.non2xx && `${r.non2xx} non-2xx responses`,
    r.errors && `${r.errors} connection errors`,
    r.timeouts && `${r.timeouts} timeouts`,
    r.mismatches && `${r.mismatches} bodies failed the check (first: ${JSON.stringify(firstMismatch)})`,
    r.requests.total === 0 && 'no responses',
    cpu.problem,
  ].filter(Boolean);
  return {
    ...labels,
    // Completed responses over the measured wall time (autocannon's per-second mean drops partial seconds).
    reqPerSec: round1(r.requests.total / Math.max(r.duration, 0.001)),
    latencyP50: r.latency.p50,
    latencyP99: r.latency.p99,
    latencyAvg: round1(r.latency.average),
    latencyMax: r.latency.max,
    total: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    mismatches: r.mismatches,
    durationSec: round1(r.duration),
    // Share of one core used by the server and by the load generator: which one was the bottleneck.
    serverCpuPct: Math.round((serverCpu / r.duration) * 100),
    ...cpuPerRequest(cpu, r.requests.total),
    loaderCpuPct: Math.round(((self.user + self.system) / 1e6 / r.duration) * 100),
    loadAvg1: load1,
    problem: invalid.length ? invalid.join('; ') : null,
  };
}

export const round1 = (n: number) => Math.round(n * 10) / 10;

/** Latency percentile (ms) of a sorted sample. */
function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Runs a multi-step flow with `load.concurrency` workers for the duration. Every flow's outcome is
 * checked (a problem counts as a mismatch and invalidates the cell); latency is per whole flow.
 */
export async function measureFlow(
  target: RunningTarget,
  load: FlowLoad,
  opts: MeasureOptions,
  labels: { scenario: string; target: string; round: number },
): Promise<CellRun> {
  const before = await load.once(0).catch((e: unknown) => `flow threw: ${(e as Error).message}`);
  const cpuEnd = await startServerCpu(target);
  const self0 = process.cpuUsage();
  const latencies: number[] = [];
  let mismatches = 0;
  let errors = 0;
  let firstProblem = null as string | null;
  const start = performance.now();
  const end = start + opts.durationSec * 1000;
  const bg = load.background;
  let firstBgMismatch = null as string | null;
  const background = bg
    ? runAutocannon({
        url: target.origin + bg.load.path,
        method: bg.load.method,
        headers: { ...bg.load.headers },
        ...(bg.load.body !== undefined ? { body: bg.load.body } : {}),
        connections: bg.connections,
        pipelining: 1,
        duration: opts.durationSec,
        timeout: 10,
        verifyBody: (b) => {
          const ok = typeof b === 'string' && bg.load.verifyBody(b);
          if (!ok) firstBgMismatch ??= String(b).slice(0, 160);
          return ok;
        },
      })
    : null;
  // opts.overallRate: flows start on a shared schedule, one every 1/rate s (a worker waits for
  // the next free slot), so the cell runs at that rate as long as the workers keep up.
  let nextSlot = start;
  const slotMs = opts.overallRate ? 1000 / opts.overallRate : 0;
  const waitForSlot = async (): Promise<void> => {
    if (!slotMs) return;
    const at = nextSlot;
    nextSlot = Math.max(nextSlot + slotMs, performance.now());
    const wait = at - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  };
  await Promise.all(
    Array.from({ length: load.concurrency }, async (_, worker) => {
      while (performance.now() < end) {
        await waitForSlot();
        if (performance.now() >= end) break;
        const t0 = performance.now();
        try {
          const problem = await load.once(worker);
          if (problem) {
            mismatches++;
            firstProblem ??= problem;
          } else latencies.push(performance.now() - t0);
        } catch (e) {
          errors++;
          firstProblem ??= (e as Error).message;
        }
      }
    }),
  );
  const duration = (performance.now() - start) / 1000;
  const bgResult = background ? await background : null;
  const self = process.cpuUsage(self0);
  const cpu = await cpuEnd();
  const serverCpu = cpu.seconds;
  const load1 = await loadAverage().catch(() => Number.NaN);
  latencies.sort((a, b) => a - b);
  const invalid = [
    before && `before: ${before}`,
    mismatches && `${mismatches} flows failed (first: ${JSON.stringify(firstProblem?.slice(0, 200))})`,
    errors && `${errors} flow errors (first: ${JSON.stringify(firstProblem?.slice(0, 200))})`,
    latencies.length === 0 && 'no completed flows',
    bgResult &&
      (bgResult.non2xx || bgResult.errors || bgResult.mismatches) &&
      `background load: ${bgResult.non2xx} non-2xx, ${bgResult.errors} errors, ${bgResult.mismatches} bad bodies (first: ${JSON.stringify(firstBgMismatch)})`,
    cpu.problem,
  ].filter(Boolean);
  return {
    ...labels,
    reqPerSec: round1(latencies.length / Math.max(duration, 0.001)),
    latencyP50: round1(percentile(latencies, 50)),
    latencyP99: round1(percentile(latencies, 99)),
    latencyAvg: round1(latencies.reduce((a, b) => a + b, 0) / Math.max(latencies.length, 1)),
    latencyMax: round1(latencies.at(-1) ?? Number.NaN),
    total: latencies.length,
    non2xx: 0,
    errors,
    timeouts: 0,
    mismatches,
    durationSec: round1(duration),
    serverCpuPct: Math.round((serverCpu / duration) * 100),
    // Background requests (sign-in under load) count too: the server did that work as well.
    ...cpuPerRequest(cpu, latencies.length + (bgResult?.requests.total ?? 0)),
    loaderCpuPct: Math.round(((self.user + self.system) / 1e6 / duration) * 100),
    loadAvg1: load1,
    ...(bgResult ? { backgroundP99: bgResult.latency.p99 } : {}),
    problem: invalid.length ? invalid.join('; ') : null,
  };
}

import type { CellRun } from './types.ts';

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The median of every round of one scenario × target. */
export interface CellSummary {
  readonly scenario: string;
  readonly target: string;
  readonly status: 'ok' | 'invalid' | 'n/a' | 'failed';
  /** Why a cell is n/a, invalid or failed. */
  readonly note?: string;
  readonly reqPerSec?: number;
  readonly latencyP99?: number;
  readonly latencyP50?: number;
  /** Median CPU of the server process, % of one core. */
  readonly serverCpuPct?: number;
  /** Median p99 of the concurrent background load (sign-in under load). */
  readonly backgroundP99?: number;
  /** Median server CPU per request, µs (every Gatehouse process of the target). */
  readonly serverCpuUsPerRequest?: number;
  /** Multi-process targets: median CPU per request of each process (role → µs), the proxy included. */
  readonly cpuUsPerRequestByProcess?: Readonly<Record<string, number>>;
  /** Multi-process targets, cc-opaque: tokens issued over every round, and how many the store held afterwards. */
  readonly tokensIssued?: number;
  readonly tokensFound?: number;
  readonly rounds: number;
}

export function summarize(scenario: string, target: string, runs: readonly CellRun[], na?: string, failure?: string): CellSummary {
  if (na) return { scenario, target, status: 'n/a', note: na, rounds: 0 };
  if (failure && runs.length === 0) return { scenario, target, status: 'failed', note: failure, rounds: 0 };
  const problems = runs.filter((r) => r.problem).map((r) => `round ${r.round}: ${r.problem}`);
  if (failure) problems.push(failure);
  return {
    scenario,
    target,
    status: problems.length || runs.length === 0 ? 'invalid' : 'ok',
    ...(problems.length ? { note: problems.join('; ') } : {}),
    reqPerSec: Math.round(median(runs.map((r) => r.reqPerSec))),
    latencyP99: median(runs.map((r) => r.latencyP99)),
    latencyP50: median(runs.map((r) => r.latencyP50)),
    serverCpuPct: median(runs.map((r) => r.serverCpuPct)),
    ...(runs.some((r) => r.backgroundP99 !== undefined) ? { backgroundP99: median(runs.map((r) => r.backgroundP99 ?? Number.NaN)) } : {}),
    ...(runs.some((r) => r.serverCpuUsPerRequest !== undefined)
      ? { serverCpuUsPerRequest: median(runs.map((r) => r.serverCpuUsPerRequest ?? Number.NaN)) }
      : {}),
    ...(runs.some((r) => r.cpuUsPerRequestByProcess)
      ? {
          cpuUsPerRequestByProcess: Object.fromEntries(
            Object.keys(runs.find((r) => r.cpuUsPerRequestByProcess)!.cpuUsPerRequestByProcess!).map((role) => [
              role,
              median(runs.map((r) => r.cpuUsPerRequestByProcess?.[role] ?? Number.NaN)),
            ]),
          ),
        }
      : {}),
    ...(runs.some((r) => r.tokensIssued !== undefined)
      ? { tokensIssued: runs.reduce((n, r) => n + (r.tokensIssued ?? 0), 0), tokensFound: runs.reduce((n, r) => n + (r.tokensFound ?? 0), 0) }
      : {}),
    rounds: runs.length,
  };
}

/** Startup and memory of one target: median over several fresh starts. */
export interface StartupSummary {
  readonly target: string;
  readonly coldStartMs?: number;
  readonly startMs: readonly number[];
  readonly idleRssMiB: readonly number[];
  readonly medianStartMs: number;
  readonly medianIdleRssMB: number;
  readonly rssAfterLoadMB?: number;
  readonly error?: string;
}

/** A goal from the issue, checked against this run. */
export interface Goal {
  readonly name: string;
  readonly measured: number | null;
  readonly unit: '×' | '%' | 'ms' | 'MB' | 's' | '/s' | 'responses';
  readonly op: '≥' | '≤';
  readonly threshold: number;
  /** null when it could not be measured (a cell is missing or invalid). */
  readonly met: boolean | null;
  readonly note?: string;
}

export function goal(name: string, measured: number | null, op: Goal['op'], threshold: number, unit: Goal['unit'], note?: string): Goal {
  const ok = measured === null || !Number.isFinite(measured) ? null : op === '≥' ? measured >= threshold : measured <= threshold;
  return { name, measured: ok === null ? null : measured, unit, op, threshold, met: ok, ...(note ? { note } : {}) };
}

/** Ratio of two valid cells, or null. */
export function ratio(a: CellSummary | undefined, b: CellSummary | undefined): number | null {
  if (a?.status !== 'ok' || b?.status !== 'ok' || !a.reqPerSec || !b.reqPerSec) return null;
  return a.reqPerSec / b.reqPerSec;
}

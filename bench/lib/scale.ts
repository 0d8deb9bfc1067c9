/**
 * Issue #10, "several processes": `serve --workers 2` and two instances behind a round-robin L4
 * proxy, each against one process with the same configuration (PostgreSQL + Redis) in the same
 * run. On the 2-core bench machine the load generator takes one core, so the goal is no loss and
 * the same server CPU per request, not a speed-up; CPU per request × cores is what extrapolates
 * to a bigger machine (docs/scaling.md).
 */
import { goal, median, type CellSummary, type Goal } from './summary.ts';
import type { CellRun } from './types.ts';

/** The one-process baseline and the scaled targets (ids as in bench/servers/gatehouse.ts). */
export const SCALE_BASELINE = 'gatehouse-pg-redis';
export const SCALED = ['gatehouse-pg-workers', 'gatehouse-pg-2x'] as const;
export const SCALE_TARGET_IDS: ReadonlySet<string> = new Set([SCALE_BASELINE, ...SCALED]);
/** The cells of the comparison: the single-process PostgreSQL cells. */
export const SCALE_SCENARIOS = ['cc-jwt', 'cc-opaque', 'introspect-opaque', 'refresh'] as const;
/**
 * The rule: Gatehouse CPU per request (every worker, or both instances, summed; the primary
 * included, the proxy not) at most 15 % above the one-process cell of the same run, in every
 * scenario. 15 % because two identical one-process cells of one run differ by up to ~10 % on the
 * shared 2-core machine, and the extra processes add real work (a cluster primary's accept and
 * IPC, a second pool, key manager and Redis connection) that should stay small.
 */
export const SCALE_CPU_LIMIT = 1.15;

/** Responses that failed or were lost in one run: errors, non-2xx, bad bodies, timeouts, tokens not stored. */
export function lostInRun(r: CellRun): number {
  const counted = r.non2xx + r.errors + r.timeouts + r.mismatches + Math.max(0, (r.tokensIssued ?? 0) - (r.tokensFound ?? 0));
  // A failed before/after probe or a replaced process counts once.
  return counted === 0 && r.problem ? 1 : counted;
}

/**
 * Scaled ÷ baseline CPU per request in one scenario: the median of per-round ratios (the cells of
 * a round ran minutes apart at most, so drift in the machine's load cancels within each pair, as
 * the report's req/s ratios do), else the ratio of the cell medians; null when either cell is
 * missing or invalid.
 */
export function cpuRatio(cells: readonly CellSummary[], scenario: string, target: string, runs: readonly CellRun[] = []): number | null {
  const c = (t: string) => cells.find((x) => x.scenario === scenario && x.target === t);
  const a = c(target);
  const b = c(SCALE_BASELINE);
  if (a?.status !== 'ok' || b?.status !== 'ok' || !a.serverCpuUsPerRequest || !b.serverCpuUsPerRequest) return null;
  const perRound: number[] = [];
  for (const r of runs.filter((x) => x.scenario === scenario && x.target === target && x.serverCpuUsPerRequest)) {
    const base = runs.find((x) => x.scenario === scenario && x.target === SCALE_BASELINE && x.round === r.round);
    if (base?.serverCpuUsPerRequest) perRound.push(r.serverCpuUsPerRequest! / base.serverCpuUsPerRequest);
  }
  return perRound.length ? median(perRound) : a.serverCpuUsPerRequest / b.serverCpuUsPerRequest;
}

export function scaleGoals(cells: readonly CellSummary[], runs: readonly CellRun[]): Goal[] {
  if (!cells.some((c) => c.target === SCALE_BASELINE)) return [];
  return SCALED.filter((t) => cells.some((c) => c.target === t)).flatMap((t) => {
    const name = t === 'gatehouse-pg-workers' ? '--workers 2' : '2 instances behind a round-robin proxy';
    const ratios = SCALE_SCENARIOS.map((s) => ({ s, v: cpuRatio(cells, s, t, runs) }));
    const worst = ratios.some((x) => x.v === null) ? null : ratios.reduce((w, x) => (x.v! > w.v! ? x : w));
    const mine = cells.filter((c) => c.target === t && (SCALE_SCENARIOS as readonly string[]).includes(c.scenario));
    const measured = mine.length === SCALE_SCENARIOS.length && mine.every((c) => c.status !== 'failed' && c.status !== 'n/a');
    const lost = runs.filter((r) => r.target === t && (SCALE_SCENARIOS as readonly string[]).includes(r.scenario)).reduce((n, r) => n + lostInRun(r), 0);
    const issued = mine.reduce((n, c) => n + (c.tokensIssued ?? 0), 0);
    return [
      goal(
        `${name}: responses failed or lost (4 PostgreSQL cells; every opaque token found in the store)`,
        measured ? lost : null,
        '≤',
        0,
        'responses',
        `${issued.toLocaleString('en-US')} opaque tokens checked`,
      ),
      goal(
        `${name}: Gatehouse CPU per request ÷ one process (PostgreSQL + Redis), worst scenario`,
        worst ? worst.v : null,
        '≤',
        SCALE_CPU_LIMIT,
        '×',
        worst ? worst.s : undefined,
      ),
    ];
  });
}

const us = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '–' : `${Math.round(n)} µs`);
const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** The report section: req/s beside CPU per request, per process, and against the one-process cell. */
export function renderScaleSection(
  cells: readonly CellSummary[],
  runs: readonly CellRun[],
  scenarios: readonly { id: string; title: string }[],
  targets: readonly { id: string; label: string }[],
): string[] {
  const present = targets.filter((t) => SCALE_TARGET_IDS.has(t.id));
  if (!present.length) return [];
  const lines = [
    '',
    '#### Several processes (PostgreSQL + Redis): `--workers 2` and two instances behind a round-robin L4 proxy',
    '',
    'CPU per request is the CPU time of every Gatehouse process of the target (cluster primary and workers, or both instances) over the completed requests; the proxy is shown on its own. ' +
      'The ÷ 1 process column is the median of per-round ratios. 10⁶ ÷ CPU µs is the requests per second one core sustains: × the cores given to Gatehouse sizes a bigger machine (docs/scaling.md). ' +
      'On this 2-core machine the load generator takes one core, so the goal is no loss and the same CPU per request, not more req/s.',
    '',
    '| Scenario | Target | req/s · p99 | Gatehouse CPU / request | per process (µs / request) | req/s per core | CPU / request ÷ 1 process | req/s ÷ 1 process |',
    '| --- | --- | ---: | ---: | --- | ---: | ---: | ---: |',
  ];
  for (const s of scenarios.filter((x) => (SCALE_SCENARIOS as readonly string[]).includes(x.id))) {
    const base = cells.find((c) => c.scenario === s.id && c.target === SCALE_BASELINE);
    for (const t of present) {
      const c = cells.find((x) => x.scenario === s.id && x.target === t.id);
      if (!c || c.status === 'n/a') continue;
      const ok = c.status === 'ok';
      const text = c.status === 'failed' ? 'failed¹' : `${int(c.reqPerSec ?? 0)} · ${c.latencyP99 ?? '–'} ms${ok ? '' : ' invalid¹'}`;
      const by = c.cpuUsPerRequestByProcess
        ? Object.entries(c.cpuUsPerRequestByProcess)
            .map(([role, v]) => `${role} ${Number.isFinite(v) ? Math.round(v) : '–'}`)
            .join(', ')
        : '';
      const perCore = c.serverCpuUsPerRequest ? int(1e6 / c.serverCpuUsPerRequest) : '–';
      const r = t.id === SCALE_BASELINE ? null : cpuRatio(cells, s.id, t.id, runs);
      const tput = t.id !== SCALE_BASELINE && ok && base?.status === 'ok' && base.reqPerSec ? `${((c.reqPerSec ?? 0) / base.reqPerSec).toFixed(2)}×` : '';
      const tokens = c.tokensIssued !== undefined ? ` (${int(c.tokensFound ?? 0)} of ${int(c.tokensIssued)} tokens found)` : '';
      lines.push(
        `| ${s.title} | ${t.label}${tokens} | ${text} | ${us(c.serverCpuUsPerRequest)} | ${by} | ${perCore} | ${r === null ? (t.id === SCALE_BASELINE ? '(baseline)' : 'n/a') : `${r.toFixed(2)}×`} | ${tput} |`,
      );
    }
  }
  return lines;
}

import { renderScaleSection, SCALE_TARGET_IDS } from './scale.ts';
import type { CellSummary, Goal, StartupSummary } from './summary.ts';
import { median, ratio } from './summary.ts';
import type { CellRun } from './types.ts';

export interface ReportInput {
  readonly date: string;
  readonly machine: string;
  readonly node: string;
  readonly connections: number;
  readonly durationSec: number;
  readonly rounds: number;
  readonly quick: boolean;
  readonly scenarios: readonly { id: string; title: string }[];
  readonly targets: readonly { id: string; label: string }[];
  readonly cells: readonly CellSummary[];
  readonly ratios: readonly Ratio[];
  readonly goals: readonly Goal[];
  readonly startup: readonly StartupSummary[];
  /** One-minute load average over the measured cells, and the core count. */
  readonly load: { readonly min: number; readonly max: number; readonly cores: number };
  /** Relative path of the chart image from where the markdown will live. */
  readonly chartPath?: string;
  /** Milliseconds of a fixed CPU loop before and after the cells (lower is faster). */
  readonly cpuProbeMs?: { readonly before: number; readonly after: number };
  /** Microseconds per loopback TCP round trip (64 bytes, one process). */
  readonly loopbackUs?: number;
  /** The measured rounds (per-round ratios of the several-process cells). */
  readonly runs?: readonly CellRun[];
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '–' : `${n < 10 ? n.toFixed(1) : Math.round(n)} ms`);

function cellText(c: CellSummary | undefined): string {
  if (!c) return '–';
  if (c.status === 'n/a') return 'n/a';
  if (c.status === 'failed') return 'failed¹';
  const text = `${int(c.reqPerSec ?? 0)} req/s · p99 ${ms(c.latencyP99)}`;
  return c.status === 'invalid' ? `~~${text}~~ invalid¹` : text;
}

const ratioText = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : `${v.toFixed(2)}×`);

export function formatGoalValue(g: Pick<Goal, 'measured' | 'unit'>): string {
  if (g.measured === null) return 'not measured';
  switch (g.unit) {
    case '×':
      return `${g.measured.toFixed(2)}×`;
    case '%':
      return `${g.measured.toFixed(0)} %`;
    case 'ms':
      return ms(g.measured);
    case 'MB':
      return `${g.measured.toFixed(0)} MB`;
    case 's':
      return `${g.measured.toFixed(2)} s`;
    case '/s':
      return `${g.measured.toFixed(1)}/s`;
    case 'responses':
      return `${int(g.measured)}`;
  }
}

/** The results as markdown: req/s and p99 per cell, ratios, goals, startup and memory. */
export function renderMarkdown(r: ReportInput): string {
  const find = (s: string, t: string) => r.cells.find((c) => c.scenario === s && c.target === t);
  // The several-process targets have their own table (CPU per request beside req/s).
  const main = r.targets.filter((t) => t.id !== 'hello' && !SCALE_TARGET_IDS.has(t.id));
  const hello = r.targets.find((t) => t.id === 'hello');
  const vsIds = main.filter((t) => !isGatehouse(t.id));
  const lines: string[] = [];
  lines.push(`### Benchmark — ${r.date}${r.quick ? ' (quick smoke run, not representative)' : ''}`);
  lines.push('');
  lines.push(
    `${r.machine}, Node ${r.node}. autocannon in the parent process, each server in its own process, all on 127.0.0.1; ` +
      `${r.connections} connections, ${r.durationSec} s per cell after a warm-up, ${r.rounds} round${r.rounds > 1 ? 's' : ''} interleaved across servers, median shown. ` +
      'Every response is checked (status and body); a cell with any failure is marked invalid. ' +
      'Ratios are the median of per-round ratios (the two cells of a round run back to back).',
  );
  // The server, its thread pool and the load generator alone keep 2–3.3 runnable on 2 cores.
  const busy = r.load.max > r.load.cores + 1.5;
  lines.push(
    '',
    `Load average during the cells: ${r.load.min.toFixed(1)}–${r.load.max.toFixed(1)} on ${r.load.cores} cores (the server under test and the load generator account for about ${r.load.cores}–${r.load.cores + 1})` +
      (busy ? ' — ⚠️ other work was running on the machine; absolute numbers are depressed and noisy (ratios within the run less so).' : '.'),
  );
  if (r.cpuProbeMs) {
    lines.push(
      '',
      `CPU probe (a fixed 10⁸-step loop, median of 5, lower is faster): ${r.cpuProbeMs.before} ms before the cells, ${r.cpuProbeMs.after} ms after;` +
        ' compare it between runs: on a shared VM the host can slow every server at once.' +
        (r.loopbackUs
          ? ` A loopback TCP round trip (64 bytes) took ${r.loopbackUs} µs (part of every request is the kernel's socket path; compare the hello-world and peer cells between runs as well).`
          : ''),
    );
  }
  lines.push('');
  if (r.chartPath) lines.push(`![Requests per second by scenario](${r.chartPath})`, '');
  // Only the several-process targets selected: their own table below, no empty main table.
  if (main.length) {
    const head = ['Scenario', ...main.map((t) => t.label), ...vsIds.map((t) => `Gatehouse ÷ ${t.label.split(' ')[0]}`)];
    if (hello) head.push('Gatehouse ÷ hello-world');
    lines.push(`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`);
    for (const s of r.scenarios.filter((x) => x.id !== 'hello')) {
      const row = [s.title, ...main.map((t) => cellText(find(s.id, t.id)))];
      for (const t of vsIds) row.push(ratioText(r.ratios.find((x) => !x.of && x.scenario === s.id && x.vs === t.id)?.value));
      if (hello) row.push(ratioText(r.ratios.find((x) => !x.of && x.scenario === s.id && x.vs === 'hello')?.value));
      lines.push(`| ${row.join(' | ')} |`);
    }
    if (hello) {
      const h = find('hello', 'hello');
      lines.push(`| ${[`ceiling: ${hello.label}`, cellText(h), ...main.slice(1).map(() => ''), ...vsIds.map(() => ''), ''].join(' | ')} |`);
    }
  }
  const backends = main.filter((t) => t.id !== 'gatehouse' && isGatehouse(t.id));
  if (backends.length) {
    lines.push(
      '',
      `| Scenario | ${backends.map((t) => `${t.label} ÷ node-oidc-provider (memory)`).join(' | ')} |`,
      `| --- |${backends.map(() => ' ---: ').join('|')}|`,
    );
    for (const s of r.scenarios.filter((x) => x.id !== 'hello')) {
      const vals = backends.map((t) => r.ratios.find((x) => x.of === t.id && x.scenario === s.id && x.vs === 'oidc-provider')?.value);
      if (vals.some((v) => v !== null && v !== undefined)) lines.push(`| ${s.title} | ${vals.map(ratioText).join(' | ')} |`);
    }
  }
  lines.push(...renderScaleSection(r.cells, r.runs ?? [], r.scenarios, r.targets));
  lines.push('');
  lines.push('| Goal (same run) | Measured | Target | Result |', '| --- | ---: | ---: | --- |');
  for (const g of r.goals) {
    const result = g.met === null ? '⚠️ not measured' : g.met ? '✅ met' : '❌ missed';
    lines.push(
      `| ${g.name} | ${formatGoalValue(g)} | ${g.op} ${g.threshold}${g.unit === '×' ? '×' : ` ${g.unit}`} | ${result}${g.note ? ` (${g.note})` : ''} |`,
    );
  }
  lines.push('');
  if (r.startup.length) {
    lines.push('| Server | Start to ready (median) | Idle RSS (median) | RSS after load |', '| --- | ---: | ---: | ---: |');
    for (const s of r.startup) {
      const label = r.targets.find((t) => t.id === s.target)?.label ?? s.target;
      if (s.error) {
        lines.push(`| ${label} | failed | failed | |`);
        continue;
      }
      lines.push(
        `| ${label} | ${int(s.medianStartMs)} ms | ${s.medianIdleRssMB.toFixed(0)} MB | ${s.rssAfterLoadMB === undefined ? '–' : `${s.rssAfterLoadMB.toFixed(0)} MB`} |`,
      );
    }
    lines.push(
      '',
      'Start to ready: process spawn until the first 200 from the readiness URL (existing database; median of fresh starts). RSS from /proc (VmRSS), MB = 10⁶ bytes, idle = 2 s after ready.',
    );
    lines.push('');
  }
  const notes = r.cells.filter((c) => c.status === 'invalid' || c.status === 'failed');
  if (notes.length) {
    // One line per distinct reason, naming the cells it affects.
    const byNote = new Map<string, string[]>();
    for (const c of notes) byNote.set(c.note ?? '', [...(byNote.get(c.note ?? '') ?? []), `${c.target} ${c.scenario}`]);
    for (const [note, where] of byNote) lines.push(`¹ ${where.join(', ')}: ${note}`, '');
  }
  const na = r.cells.filter((c) => c.status === 'n/a' && c.target !== 'hello' && c.scenario !== 'hello' && !SCALE_TARGET_IDS.has(c.target));
  if (na.length) lines.push(`n/a: ${na.map((c) => `${c.target} ${c.scenario} (${c.note})`).join('; ')}.`, '');
  return lines.join('\n');
}

/**
 * Gatehouse ÷ every other target, per scenario (the ceiling is compared with every scenario).
 * The ratio is the median of per-round ratios: the two cells of a round ran moments apart, so
 * drift in the machine's speed cancels within each pair. Null unless both cells are valid.
 */
/** Scenarios measured as whole flows (flows/s), not single requests. */
const FLOW_SCENARIOS = new Set(['auth-code', 'auth-code-session', 'refresh', 'signin-under-load']);

export function computeRatios(cells: readonly CellSummary[], runs: readonly CellRun[], scenarioIds: readonly string[], targetIds: readonly string[]): Ratio[] {
  const find = (s: string, t: string) => cells.find((c) => c.scenario === s && c.target === t);
  const out: Ratio[] = [];
  for (const of of targetIds.filter(isGatehouse)) {
    // Gatehouse on SQLite against every peer; on a server database against node-oidc-provider.
    const vsIds = of === 'gatehouse' ? targetIds.filter((x) => !isGatehouse(x)) : targetIds.filter((x) => x === 'oidc-provider');
    for (const s of scenarioIds.filter((x) => x !== 'hello')) {
      for (const t of vsIds) {
        const tag = of === 'gatehouse' ? {} : { of };
        const [vsScenario, vsTarget] = t === 'hello' ? ['hello', 'hello'] : [s, t];
        // A multi-step flow (several requests, a password hash) has no meaning against one hello request.
        if ((t === 'hello' && FLOW_SCENARIOS.has(s)) || ratio(find(s, of), find(vsScenario, vsTarget)) === null) {
          out.push({ scenario: s, vs: t, value: null, ...tag });
          continue;
        }
        const perRound: number[] = [];
        for (const gh of runs.filter((r) => r.scenario === s && r.target === of)) {
          const other = runs.find((r) => r.scenario === vsScenario && r.target === vsTarget && r.round === gh.round);
          if (other && other.reqPerSec > 0) perRound.push(gh.reqPerSec / other.reqPerSec);
        }
        out.push({ scenario: s, vs: t, value: perRound.length ? median(perRound) : ratio(find(s, of), find(vsScenario, vsTarget)), ...tag });
      }
    }
  }
  return out;
}

/** Gatehouse ÷ a peer in one scenario; `of` names a Gatehouse target other than the SQLite one. */
export interface Ratio {
  readonly scenario: string;
  readonly vs: string;
  readonly value: number | null;
  readonly of?: string;
}

/** Gatehouse targets: `gatehouse` (SQLite) and `gatehouse-<database>` (BACKEND_TARGETS). */
export const isGatehouse = (id: string) => id === 'gatehouse' || id.startsWith('gatehouse-');

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { updateReadme } from '../update-readme.ts';
import { renderChart } from './chart.ts';
import { evaluateGoals } from './goals.ts';
import { computeRatios, renderMarkdown, type ReportInput } from './report.ts';
import { SCALE_TARGET_IDS } from './scale.ts';
import type { CellSummary, StartupSummary } from './summary.ts';
import type { CellRun } from './types.ts';

/** What a results file holds that the report is made from. */
export interface RunFacts {
  readonly startedAt: string;
  readonly machineSummary: string;
  readonly cpuCount: number;
  readonly node: string;
  readonly connections: number;
  readonly durationSec: number;
  readonly rounds: number;
  readonly quick: boolean;
  readonly scenarios: readonly { id: string; title: string }[];
  readonly targets: readonly { id: string; label: string }[];
  readonly cells: readonly CellSummary[];
  readonly runs: readonly CellRun[];
  readonly startup: readonly StartupSummary[];
  /** `cpuProbe()` before and after the cells (older results files have none). */
  readonly cpuProbeMs?: { readonly before: number; readonly after: number };
  /** `loopbackProbeUs()` before the cells. */
  readonly loopbackUs?: number;
}

/** Ratios, goals and load range derived from the measured cells. */
export function buildReport(f: RunFacts): ReportInput {
  const ratios = computeRatios(
    f.cells,
    f.runs,
    f.scenarios.map((s) => s.id),
    f.targets.map((t) => t.id),
  );
  return {
    date: f.startedAt.slice(0, 16).replace('T', ' ') + ' UTC',
    machine: f.machineSummary,
    node: f.node,
    connections: f.connections,
    durationSec: f.durationSec,
    rounds: f.rounds,
    quick: f.quick,
    scenarios: f.scenarios,
    targets: f.targets,
    cells: f.cells,
    ratios,
    goals: evaluateGoals(f.cells, ratios, f.startup, f.cpuCount, f.runs),
    startup: f.startup,
    load: {
      min: f.runs.length ? Math.min(...f.runs.map((r) => r.loadAvg1)) : Number.NaN,
      max: f.runs.length ? Math.max(...f.runs.map((r) => r.loadAvg1)) : Number.NaN,
      cores: f.cpuCount,
    },
    ...(f.cpuProbeMs ? { cpuProbeMs: f.cpuProbeMs } : {}),
    ...(f.loopbackUs ? { loopbackUs: f.loopbackUs } : {}),
    runs: f.runs,
  };
}

export interface PublishOptions {
  readonly outDir: string;
  /** File name of the results JSON, without extension. */
  readonly name: string;
  /** Write latest.md / latest.svg / readme.md (otherwise <name>.md / <name>.svg). */
  readonly publish: boolean;
  /** README.md whose bench section to replace, or null. */
  readonly readme: string | null;
}

/** Writes the markdown table and the chart (and the README section); returns the markdown. */
export async function writeReport(r: ReportInput, o: PublishOptions): Promise<{ markdown: string; readmeUpdated: boolean }> {
  const hello = r.cells.find((c) => c.scenario === 'hello' && c.target === 'hello');
  const svg = renderChart({
    title: 'Gatehouse benchmark: requests per second',
    subtitle: `${r.machine}, Node ${r.node}, ${r.connections} connections, median of ${r.rounds} × ${r.durationSec} s — ${r.date}`,
    scenarios: r.scenarios.filter((s) => s.id !== 'hello'),
    targets: r.targets.filter((t) => t.id !== 'hello' && !SCALE_TARGET_IDS.has(t.id)),
    cells: r.cells,
    ...(hello?.status === 'ok' && hello.reqPerSec ? { ceiling: { label: 'Fastify hello-world', value: hello.reqPerSec } } : {}),
  });
  if (!o.publish) {
    const markdown = renderMarkdown({ ...r, chartPath: `${o.name}.svg` });
    await writeFile(join(o.outDir, `${o.name}.md`), markdown);
    await writeFile(join(o.outDir, `${o.name}.svg`), svg);
    return { markdown, readmeUpdated: false };
  }
  const markdown = renderMarkdown({ ...r, chartPath: 'latest.svg' });
  await writeFile(join(o.outDir, 'latest.md'), markdown);
  await writeFile(join(o.outDir, 'latest.svg'), svg);
  const block =
    renderMarkdown({ ...r, chartPath: 'bench/results/latest.svg' }) +
    `\nRaw numbers: [bench/results/${o.name}.json](bench/results/${o.name}.json). Reproduce with \`npm run bench\` (options: \`npm run bench -- --help\`).\n`;
  await writeFile(join(o.outDir, 'readme.md'), block);
  const readmeUpdated = o.readme ? await updateReadme(o.readme, block) : false;
  return { markdown, readmeUpdated };
}

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

export interface HotSpot {
  readonly name: string;
  readonly where: string;
  readonly selfMs: number;
  readonly selfPct: number;
}

/** Shortens a script URL to `pkg/file` (node_modules), `dist/…`, or `node:…`. */
function where(url: string, line: number): string {
  if (!url) return '(native)';
  const nm = url.lastIndexOf('node_modules/');
  const short = nm >= 0 ? url.slice(nm + 13) : url.includes('/dist/') ? url.slice(url.indexOf('/dist/') + 1) : url.replace(/^file:\/\//, '');
  return `${short}:${line + 1}`;
}

export interface ProfileAnalysis {
  readonly totalMs: number;
  /** Self time per function. */
  readonly functions: HotSpot[];
  /** Self time per package (node_modules name, `gatehouse <dir>`, node internals, native). */
  readonly packages: HotSpot[];
  /** Inclusive time (self + callees) of Gatehouse's own functions: which step of a request costs what. */
  readonly gatehouseInclusive: HotSpot[];
}

/** Self and inclusive time per function (and self time per package) of a V8 .cpuprofile. */
export async function analyzeProfile(file: string, top = 25): Promise<ProfileAnalysis> {
  const p = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n] as const));
  const self = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (deltas[i] ?? 0) / 1000));
  const total = [...self.values()].reduce((a, b) => a + b, 0) || 1;
  const fn = new Map<string, { name: string; where: string; ms: number }>();
  const pkg = new Map<string, number>();
  for (const [id, msSelf] of self) {
    const n = byId.get(id);
    if (!n) continue;
    const w = where(n.callFrame.url, n.callFrame.lineNumber);
    const name = n.callFrame.functionName || '(anonymous)';
    const key = `${name}@${w}`;
    const e = fn.get(key) ?? { name, where: w, ms: 0 };
    e.ms += msSelf;
    fn.set(key, e);
    const url = n.callFrame.url;
    const group = !url
      ? name.startsWith('(')
        ? name
        : '(native)'
      : url.includes('node_modules/')
        ? url
            .slice(url.lastIndexOf('node_modules/') + 13)
            .split('/')
            .slice(0, url.includes('node_modules/@') ? 2 : 1)
            .join('/')
        : url.startsWith('node:')
          ? 'node: internals'
          : url.includes('/dist/')
            ? `gatehouse ${url
                .slice(url.indexOf('/dist/') + 6)
                .split('/')
                .slice(0, 2)
                .join('/')}`
            : 'other';
    pkg.set(group, (pkg.get(group) ?? 0) + msSelf);
  }
  const toSpot = (name: string, w: string, v: number): HotSpot => ({ name, where: w, selfMs: Math.round(v), selfPct: Math.round((v / total) * 1000) / 10 });
  // Inclusive: walk each sampled node's ancestors once, crediting every distinct Gatehouse function.
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const incl = new Map<string, { name: string; where: string; ms: number }>();
  for (const [id, msSelf] of self) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      if (!n || !n.callFrame.url.includes('/dist/') || n.callFrame.url.includes('node_modules/')) continue;
      const w = where(n.callFrame.url, n.callFrame.lineNumber);
      const k = `${n.callFrame.functionName || '(anonymous)'}@${w}`;
      if (seen.has(k)) continue;
      seen.add(k);
      const e = incl.get(k) ?? { name: n.callFrame.functionName || '(anonymous)', where: w, ms: 0 };
      e.ms += msSelf;
      incl.set(k, e);
    }
  }
  return {
    totalMs: Math.round(total),
    gatehouseInclusive: [...incl.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map((e) => toSpot(e.name, e.where, e.ms)),
    functions: [...fn.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map((e) => toSpot(e.name, e.where, e.ms)),
    packages: [...pkg.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => toSpot(k, '', v)),
  };
}

/**
 * The .cpuprofile files in `dir`, main thread first. Node names them
 * `CPU.<date>.<time>.<pid>.<threadId>.<seq>.cpuprofile`; thread 0 is the main thread and
 * worker threads (e.g. a storage writer) get their own file.
 */
export async function listProfiles(dir: string): Promise<{ file: string; thread: number }[]> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.cpuprofile'));
  return files.map((f) => ({ file: join(dir, f), thread: Number(f.split('.').at(-3)) })).sort((a, b) => a.thread - b.thread);
}

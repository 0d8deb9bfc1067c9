import type { CellSummary } from './summary.ts';

export interface ChartInput {
  readonly title: string;
  readonly subtitle: string;
  /** Groups along the x axis. */
  readonly scenarios: readonly { id: string; title: string }[];
  /** Bars within each group, in legend order. */
  readonly targets: readonly { id: string; label: string }[];
  readonly cells: readonly CellSummary[];
  /** Drawn as a dashed horizontal line across the plot. */
  readonly ceiling?: { label: string; value: number };
}

const COLORS = ['#2563eb', '#f59e0b', '#10b981', '#8b5cf6', '#ef4444', '#64748b'];
/** Stable colours so charts from different runs read alike. */
const BY_ID: Readonly<Record<string, string>> = {
  gatehouse: '#2563eb',
  'gatehouse-pg': '#1e40af',
  'gatehouse-mariadb': '#60a5fa',
  'oidc-provider': '#f59e0b',
  'oauth2-server': '#10b981',
};
const color = (id: string, i: number) => BY_ID[id] ?? COLORS[(i + 3) % COLORS.length]!;
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const short = (n: number) => (n >= 10_000 ? `${(n / 1000).toFixed(0)}k` : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : `${Math.round(n)}`);

/** A round axis maximum and step for `max` (1, 2, 2.5 or 5 × 10^k steps, about 5 ticks). */
export function niceScale(max: number): { top: number; step: number } {
  if (!(max > 0)) return { top: 1, step: 1 };
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  return { top: Math.ceil(max / step) * step, step };
}

/**
 * A grouped bar chart of req/s (scenarios × targets) as a standalone SVG: title, y axis with
 * grid lines, value labels on bars, "n/a" or "invalid" where a cell has no valid number, a legend
 * and the hello-world ceiling as a dashed line.
 */
export function renderChart(c: ChartInput): string {
  const W = 960,
    H = 520;
  const m = { top: 92, right: 24, bottom: 64, left: 76 };
  const pw = W - m.left - m.right,
    ph = H - m.top - m.bottom;
  const values = c.cells.filter((x) => x.status === 'ok' || x.status === 'invalid').map((x) => x.reqPerSec ?? 0);
  const { top, step } = niceScale(Math.max(...values, c.ceiling?.value ?? 0, 1) * 1.08);
  const y = (v: number) => m.top + ph - (v / top) * ph;
  const groupW = pw / Math.max(c.scenarios.length, 1);
  const barW = Math.min(56, (groupW * 0.78) / Math.max(c.targets.length, 1));
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" role="img" aria-label="${esc(c.title)}">`,
  );
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${m.left}" y="30" font-size="20" font-weight="600" fill="#0f172a">${esc(c.title)}</text>`);
  out.push(`<text x="${m.left}" y="52" font-size="12.5" fill="#475569">${esc(c.subtitle)}</text>`);
  // Legend.
  let lx = m.left;
  c.targets.forEach((t, i) => {
    out.push(`<rect x="${lx}" y="66" width="12" height="12" rx="2" fill="${color(t.id, i)}"/>`);
    out.push(`<text x="${lx + 17}" y="76.5" font-size="12.5" fill="#0f172a">${esc(t.label)}</text>`);
    lx += 30 + t.label.length * 7;
  });
  // Axis and grid.
  for (let v = 0; v <= top + step / 2; v += step) {
    out.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="${v === 0 ? '#334155' : '#e2e8f0'}"/>`);
    out.push(`<text x="${m.left - 8}" y="${(y(v) + 4).toFixed(1)}" font-size="12" fill="#475569" text-anchor="end">${short(v)}</text>`);
  }
  out.push(
    `<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" font-size="13" fill="#334155" text-anchor="middle">requests per second (median)</text>`,
  );
  // Bars.
  c.scenarios.forEach((s, gi) => {
    const gx = m.left + gi * groupW + (groupW - barW * c.targets.length) / 2;
    c.targets.forEach((t, ti) => {
      const cell = c.cells.find((x) => x.scenario === s.id && x.target === t.id);
      const x = gx + ti * barW;
      const cx = (x + barW / 2).toFixed(1);
      if (!cell || cell.status === 'n/a' || cell.status === 'failed' || cell.reqPerSec === undefined) {
        out.push(`<text x="${cx}" y="${y(0) - 8}" font-size="11" fill="#94a3b8" text-anchor="middle">${cell?.status === 'failed' ? 'failed' : 'n/a'}</text>`);
        return;
      }
      const v = cell.reqPerSec;
      const invalid = cell.status === 'invalid';
      out.push(
        `<rect x="${(x + 2).toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 4).toFixed(1)}" height="${(y(0) - y(v)).toFixed(1)}" fill="${color(t.id, ti)}"${invalid ? ' fill-opacity="0.3" stroke="#ef4444" stroke-dasharray="3 2"' : ''}><title>${esc(`${t.label} — ${s.title}: ${Math.round(v)} req/s, p99 ${cell.latencyP99} ms${invalid ? ' (invalid)' : ''}`)}</title></rect>`,
      );
      out.push(
        `<text x="${cx}" y="${(y(v) - 5).toFixed(1)}" font-size="11.5" font-weight="600" fill="#0f172a" text-anchor="middle">${short(v)}${invalid ? '!' : ''}</text>`,
      );
    });
    // Titles wrap at ", " so long ones stay inside their group.
    const gxMid = (m.left + gi * groupW + groupW / 2).toFixed(1);
    const spans = s.title
      .split(', ')
      .map((part, i) => `<tspan x="${gxMid}" dy="${i === 0 ? 0 : 15}">${esc(part)}</tspan>`)
      .join('');
    out.push(`<text x="${gxMid}" y="${H - m.bottom + 20}" font-size="12.5" fill="#0f172a" text-anchor="middle">${spans}</text>`);
  });
  if (c.ceiling) {
    const cy = y(c.ceiling.value).toFixed(1);
    out.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${cy}" y2="${cy}" stroke="#dc2626" stroke-width="1.5" stroke-dasharray="6 4"/>`);
    out.push(
      `<text x="${W - m.right - 4}" y="${(Number(cy) - 6).toFixed(1)}" font-size="12" fill="#dc2626" text-anchor="end">${esc(`ceiling: ${c.ceiling.label} ${short(c.ceiling.value)} req/s`)}</text>`,
    );
  }
  out.push(
    `<text x="${m.left}" y="${H - 14}" font-size="11" fill="#64748b">Higher is better. n/a: the server has no such feature. A faded dashed bar marked ! is invalid (errors or failed checks).</text>`,
  );
  out.push('</svg>');
  return out.join('\n') + '\n';
}

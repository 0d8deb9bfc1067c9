import type { Registry } from 'prom-client';

/** The dashboard's numbers, read from the same prom-client registry that /metrics exposes. */
export interface DashboardTiles {
  readonly requests: number;
  readonly server_errors: number;
  readonly tokens_issued: number;
  readonly tokens_revoked: number;
  readonly failed_client_auth: number;
  /** Latency quantiles in milliseconds (null before any request). */
  readonly p50_ms: number | null;
  readonly p95_ms: number | null;
  readonly p99_ms: number | null;
}

interface Sample {
  readonly value: number;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly metricName?: string;
}

/**
 * The `q` quantile from cumulative histogram buckets, as Prometheus' histogram_quantile does it:
 * find the bucket where the rank falls and interpolate linearly inside it; a rank in the +Inf
 * bucket answers the largest finite bound.
 */
export function quantileFromBuckets(buckets: readonly { readonly le: number; readonly count: number }[], q: number): number | null {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted[sorted.length - 1]?.count ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of sorted) {
    if (b.count >= rank) {
      if (!Number.isFinite(b.le)) return prevLe;
      const inBucket = b.count - prevCount;
      return inBucket === 0 ? b.le : prevLe + (b.le - prevLe) * ((rank - prevCount) / inBucket);
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

const ms = (s: number | null) => (s === null ? null : Math.round(s * 10000) / 10);

/** One sample of the exposition: the full series name (`…_bucket`, `…_count`), its labels, its value. */
export interface MetricSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The tiles from samples, wherever they came from (this process's registry or the workers' aggregate). */
export function tilesFromSamples(samples: readonly MetricSample[]): DashboardTiles {
  const of = (name: string) => samples.filter((v) => v.name === name);
  const total = (name: string) => of(name).reduce((s, v) => s + v.value, 0);
  const counts = of('http_server_requests_duration_seconds_count');
  // Buckets of every route and status added up per bound.
  const byLe = new Map<number, number>();
  for (const v of of('http_server_requests_duration_seconds_bucket')) {
    const le = v.labels['le'] === '+Inf' ? Number.POSITIVE_INFINITY : Number(v.labels['le']);
    byLe.set(le, (byLe.get(le) ?? 0) + v.value);
  }
  const buckets = [...byLe].map(([le, count]) => ({ le, count }));
  return {
    requests: counts.reduce((s, v) => s + v.value, 0),
    server_errors: counts.filter((v) => Number(v.labels['status']) >= 500).reduce((s, v) => s + v.value, 0),
    tokens_issued: total('oauth2_tokens_issued_total'),
    tokens_revoked: total('oauth2_tokens_revoked_total'),
    failed_client_auth: total('oauth2_failed_auth_total'),
    p50_ms: ms(quantileFromBuckets(buckets, 0.5)),
    p95_ms: ms(quantileFromBuckets(buckets, 0.95)),
    p99_ms: ms(quantileFromBuckets(buckets, 0.99)),
  };
}

/** This process's registry, the one its /metrics exposes. */
export async function dashboardTiles(registry: Registry): Promise<DashboardTiles> {
  const metrics = (await registry.getMetricsAsJSON()) as unknown as { name: string; values: Sample[] }[];
  return tilesFromSamples(
    metrics.flatMap((m) =>
      m.values.map((v) => ({
        name: v.metricName ?? m.name,
        labels: Object.fromEntries(Object.entries(v.labels).map(([k, x]) => [k, String(x)])),
        value: v.value,
      })),
    ),
  );
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * Samples of a Prometheus text exposition (format 0.0.4): what `serve --workers N` answers at
 * /metrics, aggregated over every worker by the primary. Comments and unparsable lines are skipped.
 */
export function parseExposition(text: string): MetricSample[] {
  const out: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const value = Number(m[3] === '+Inf' ? Number.POSITIVE_INFINITY : m[3]);
    if (Number.isNaN(value)) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1]!, labels, value });
  }
  return out;
}

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

const sum = (values: readonly Sample[]) => values.reduce((s, v) => s + v.value, 0);

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

export async function dashboardTiles(registry: Registry): Promise<DashboardTiles> {
  const metrics = (await registry.getMetricsAsJSON()) as unknown as { name: string; values: Sample[] }[];
  const values = (name: string) => metrics.find((m) => m.name === name)?.values ?? [];
  const duration = values('http_server_requests_duration_seconds');
  const counts = duration.filter((v) => v.metricName === 'http_server_requests_duration_seconds_count');
  // Buckets of every route and status added up per bound.
  const byLe = new Map<number, number>();
  for (const v of duration) {
    if (v.metricName !== 'http_server_requests_duration_seconds_bucket') continue;
    const le = v.labels['le'] === '+Inf' ? Number.POSITIVE_INFINITY : Number(v.labels['le']);
    byLe.set(le, (byLe.get(le) ?? 0) + v.value);
  }
  const buckets = [...byLe].map(([le, count]) => ({ le, count }));
  return {
    requests: sum(counts),
    server_errors: sum(counts.filter((v) => Number(v.labels['status']) >= 500)),
    tokens_issued: sum(values('oauth2_tokens_issued_total')),
    tokens_revoked: sum(values('oauth2_tokens_revoked_total')),
    failed_client_auth: sum(values('oauth2_failed_auth_total')),
    p50_ms: ms(quantileFromBuckets(buckets, 0.5)),
    p95_ms: ms(quantileFromBuckets(buckets, 0.95)),
    p99_ms: ms(quantileFromBuckets(buckets, 0.99)),
  };
}

import type { Registry } from 'prom-client';

/** One metric, its series folded: counters and gauges summed, histograms and summaries counted. */
export interface MetricSummary {
  readonly name: string;
  readonly type: string;
  readonly help: string;
  /** Counter / gauge: the sum over every label set. */
  readonly value?: number;
  /** Histogram / summary: observations and their sum over every label set. */
  readonly count?: number;
  readonly sum?: number;
  /** Label sets with a value (how many series the metric has). */
  readonly series: number;
}

export interface MetricsSummary {
  readonly generated_at: string;
  readonly metrics: readonly MetricSummary[];
}

/**
 * A compact reading of the same prom-client registry `GET /metrics` exposes (docs/metrics.md),
 * for operators and MCP clients that do not speak PromQL: one line per metric, label sets folded.
 */
export async function summarizeMetrics(registry: Registry, now: number = Date.now()): Promise<MetricsSummary> {
  const metrics: MetricSummary[] = [];
  for (const m of await registry.getMetricsAsJSON()) {
    const values = m.values as readonly { value: number; labels: Record<string, unknown>; metricName?: string }[];
    const type = String(m.type);
    const base = { name: m.name, type, help: m.help };
    if (type === 'histogram' || type === 'summary') {
      const count = values.filter((v) => v.metricName === `${m.name}_count`);
      const sum = values.filter((v) => v.metricName === `${m.name}_sum`);
      metrics.push({ ...base, count: total(count), sum: total(sum), series: count.length });
    } else {
      metrics.push({ ...base, value: total(values), series: values.length });
    }
  }
  return { generated_at: new Date(now).toISOString(), metrics };
}

const total = (vs: readonly { value: number }[]): number => vs.reduce((a, v) => a + (Number.isFinite(v.value) ? v.value : 0), 0);

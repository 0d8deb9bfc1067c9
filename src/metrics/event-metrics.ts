import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Clock } from '../core/ports/clock.ts';
import type { OutboxStore } from '../core/ports/outbox-store.ts';
import { withTimeout } from './with-timeout.ts';

export interface EventMetricsDeps {
  readonly outbox: Pick<OutboxStore, 'stats'>;
  /** The configured sinks (their outbox names): each always has a series, 0 when idle. */
  readonly sinks: readonly string[];
  readonly clock: Clock;
  /** The bus → outbox buffer: events waiting in memory and dropped since start. */
  readonly writer: { buffered(): number; dropped(): number };
}

/** What the relay reports (src/events/relay.ts RelayObserver, structurally). */
export interface EventDeliveryObserver {
  delivered(sink: string, lagsMs: readonly number[]): void;
  failed(sink: string, n: number): void;
  deadLettered(sink: string, n: number): void;
}

/** Lag buckets in seconds: from an in-process hand-off to an outage of hours. */
const LAG_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14_400];
/** How long one outbox count is reused between scrapes, and the longest wait for it. */
const STATS_CACHE_MS = 5_000;
const STATS_TIMEOUT_MS = 2_000;

/**
 * Event streaming metrics (docs/metrics.md "Events"): outbox depth and the age of the oldest
 * pending delivery per sink (counted in the store at scrape time, cached 5 s), delivery lag from
 * publication to acknowledgement, delivered / failed / dead-lettered counters, and the in-memory
 * buffer in front of the outbox.
 */
export function eventMetrics(registry: Registry, deps: EventMetricsDeps): EventDeliveryObserver {
  const registers = [registry];
  let stats = new Map<string, { pending: number; oldestCreatedAt: number | null }>();
  let countedAt = Number.NEGATIVE_INFINITY;
  let inflight: Promise<void> | null = null;
  const refresh = async () => {
    if (deps.clock.now() - countedAt < STATS_CACHE_MS) return;
    inflight ??= withTimeout(deps.outbox.stats(), STATS_TIMEOUT_MS, 'outbox stats')
      .then((rows) => {
        stats = new Map(rows.map((r) => [r.sink, r]));
        countedAt = deps.clock.now();
      })
      .catch(() => {
        /* the previous values stay */
      })
      .finally(() => {
        inflight = null;
      });
    await inflight;
  };
  new Gauge({
    name: 'gatehouse_outbox_pending',
    help: 'Outbox deliveries neither delivered nor dead-lettered, per sink (all instances).',
    labelNames: ['sink'] as const,
    registers,
    async collect() {
      await refresh();
      for (const sink of deps.sinks) this.set({ sink }, stats.get(sink)?.pending ?? 0);
    },
  });
  new Gauge({
    name: 'gatehouse_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest pending outbox delivery per sink (0 when none): how far behind delivery is.',
    labelNames: ['sink'] as const,
    registers,
    async collect() {
      await refresh();
      const now = deps.clock.now();
      for (const sink of deps.sinks) {
        const oldest = stats.get(sink)?.oldestCreatedAt;
        this.set({ sink }, oldest == null ? 0 : Math.max(0, (now - oldest) / 1000));
      }
    },
  });
  new Gauge({
    name: 'gatehouse_outbox_buffered',
    help: 'Published events waiting in this instance’s memory to be written to the outbox.',
    registers,
    collect() {
      this.set(deps.writer.buffered());
    },
  });
  let droppedSeen = 0;
  new Counter({
    name: 'gatehouse_events_dropped_total',
    help: 'Published events dropped because the in-memory outbox buffer was full (store unreachable).',
    registers,
    collect() {
      const d = deps.writer.dropped();
      if (d > droppedSeen) this.inc(d - droppedSeen);
      droppedSeen = d;
    },
  });
  const lag = new Histogram({
    name: 'gatehouse_event_delivery_lag_seconds',
    help: 'Time from publication to acknowledgement by the sink, per sink.',
    labelNames: ['sink'] as const,
    buckets: LAG_BUCKETS,
    registers,
  });
  const delivered = new Counter({ name: 'gatehouse_events_delivered_total', help: 'Events acknowledged by a sink.', labelNames: ['sink'] as const, registers });
  const failed = new Counter({
    name: 'gatehouse_events_delivery_failures_total',
    help: 'Failed deliveries that will be retried.',
    labelNames: ['sink'] as const,
    registers,
  });
  const dead = new Counter({
    name: 'gatehouse_events_dead_lettered_total',
    help: 'Events dead-lettered for a sink (failed permanently or out of retries).',
    labelNames: ['sink'] as const,
    registers,
  });
  for (const sink of deps.sinks) {
    delivered.inc({ sink }, 0);
    failed.inc({ sink }, 0);
    dead.inc({ sink }, 0);
  }
  return {
    delivered(sink, lagsMs) {
      delivered.inc({ sink }, lagsMs.length);
      for (const ms of lagsMs) lag.observe({ sink }, Math.max(0, ms) / 1000);
    },
    failed: (sink, n) => failed.inc({ sink }, n),
    deadLettered: (sink, n) => dead.inc({ sink }, n),
  };
}

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EventBus } from '../core/events.ts';
import type { KeyStatus } from '../core/model/key.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { TokenStore } from '../core/ports/token-store.ts';
import { GATEHOUSE_VERSION } from './build-info.ts';
import { authFailureReason, authMethodLabel, grantTypeLabel, httpMethodLabel } from './labels.ts';
import { logoutMetrics } from './logout-metrics.ts';
import { operationsMetrics } from './operations-metrics.ts';
import type { StoreTiming } from './store-timing.ts';
import { withTimeout } from './with-timeout.ts';

/** What the metrics read: the event bus (S15), the token count and the key list. */
export interface MetricsDeps {
  readonly events: Pick<EventBus, 'on'>;
  readonly tokens: Pick<TokenStore, 'countActive'>;
  readonly clock: Clock;
  readonly keys: { list(): readonly KeyView[] };
  /** Which backend counts rate limits now (`memory` while a configured Redis is unreachable). */
  readonly rateLimitBackend?: () => 'redis' | 'memory';
}

/** What the key gauges read of a signing key record. */
export interface KeyView {
  readonly status: KeyStatus;
  readonly alg: string;
  readonly createdAt: number;
  readonly activatedAt: number | null;
}

export interface MetricsOptions {
  /** How long a counted `oauth2_active_tokens` value is reused between scrapes (default 5 s). */
  readonly activeTokensCacheMs?: number;
  /** Longest wait for the count query before keeping the previous value (default 2 s). */
  readonly activeTokensTimeoutMs?: number;
  /** Node process metrics (heap, event loop lag, GC, …); default true. */
  readonly processMetrics?: boolean;
  /**
   * `metrics.clientIdLabels`: how many distinct client ids get their own series in
   * `oauth2_tokens_issued_by_client_total` (first come, first served); later ones count as
   * `other`. Default 100; 0 counts every client as `other`.
   */
  readonly clientIdLabels?: number;
  /** The store decorator's histogram and error counter, registered here (built before the store). */
  readonly storeTiming?: StoreTiming | null;
}

export interface GatehouseMetrics {
  /** This app's own registry (never prom-client's global one: tests build many apps). */
  readonly registry: Registry;
  /** Records one HTTP response. `route` is the route pattern, undefined when nothing matched. */
  observeRequest(method: string, route: string | undefined, status: number, seconds: number): void;
  /** Unsubscribes from the event bus. */
  close(): void;
}

/** Latency buckets in seconds: fine-grained below 100 ms, where the token endpoint lives. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const KEY_STATUSES: readonly KeyStatus[] = ['next', 'active', 'retired'];

export function createMetrics(deps: MetricsDeps, opts: MetricsOptions = {}): GatehouseMetrics {
  const registry = new Registry();
  const registers = [registry];
  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  const duration = new Histogram({
    name: 'http_server_requests_duration_seconds',
    help: 'Time from request received to response sent, by route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const issued = new Counter({
    name: 'oauth2_tokens_issued_total',
    help: 'Tokens issued, by grant type, token type and format.',
    labelNames: ['grant_type', 'token_type', 'format'] as const,
    registers,
  });
  const revoked = new Counter({
    name: 'oauth2_tokens_revoked_total',
    help: 'Tokens revoked, by token type and reason.',
    labelNames: ['token_type', 'reason'] as const,
    registers,
  });
  const failedAuth = new Counter({
    name: 'oauth2_failed_auth_total',
    help: 'Failed client authentications, by method and reason.',
    labelNames: ['method', 'reason'] as const,
    registers,
  });
  const introspected = new Counter({
    name: 'oauth2_token_introspections_total',
    help: 'Introspection answers, by whether the token was active.',
    labelNames: ['active'] as const,
    registers,
  });
  const byClient = new Counter({
    name: 'oauth2_tokens_issued_by_client_total',
    help: 'Tokens issued, by client and grant type (client ids beyond metrics.clientIdLabels count as `other`).',
    labelNames: ['client_id', 'grant_type'] as const,
    registers,
  });
  const clientIdLimit = opts.clientIdLabels ?? 100;
  const clientIds = new Set<string>();
  const clientLabel = (id: string): string => {
    if (clientIds.has(id)) return id;
    if (clientIds.size >= clientIdLimit || id.length > 128) return 'other';
    clientIds.add(id);
    return id;
  };
  const rotations = new Counter({
    name: 'gatehouse_key_rotations_total',
    help: 'Signing key rotations performed by this instance, by algorithm.',
    labelNames: ['alg'] as const,
    registers,
  });
  // Registered after the gauge it reports on: a scrape collects every metric concurrently, and
  // awaiting the gauge's pending count makes a failure show in the same scrape.
  const active = activeTokensGauge(deps, opts, registers, () => collectFailures.inc({ metric: 'oauth2_active_tokens' }));
  const collectFailures: Counter<'metric'> = new Counter({
    name: 'gatehouse_metric_collect_failures_total',
    help: 'Scrape-time collections that failed (the metric kept its previous value).',
    labelNames: ['metric'] as const,
    registers,
    async collect() {
      await active.pending();
    },
  });
  new Gauge({
    name: 'gatehouse_keys_published',
    help: 'Signing keys this instance has loaded, by lifecycle status.',
    labelNames: ['status'] as const,
    // --workers N: every worker loads the same keys; the aggregated scrape shows the largest count, not N times it.
    aggregator: 'max',
    registers,
    collect() {
      const counts = new Map<KeyStatus, number>(KEY_STATUSES.map((s) => [s, 0]));
      for (const k of deps.keys.list()) counts.set(k.status, (counts.get(k.status) ?? 0) + 1);
      for (const [status, n] of counts) this.set({ status }, n);
    },
  });
  const { rateLimitBackend } = deps;
  if (rateLimitBackend) {
    new Gauge({
      name: 'gatehouse_rate_limit_backend',
      help: 'Which backend counts rate limits now: 1 for it, 0 for the other (memory while a configured Redis is unreachable).',
      labelNames: ['backend'] as const,
      registers,
      collect() {
        const now = rateLimitBackend();
        this.set({ backend: 'redis' }, now === 'redis' ? 1 : 0);
        this.set({ backend: 'memory' }, now === 'memory' ? 1 : 0);
      },
    });
  }
  new Gauge({
    name: 'gatehouse_signing_key_age_seconds',
    help: 'Age of the active signing key per algorithm, from its activation (or creation), computed at scrape time.',
    labelNames: ['alg'] as const,
    registers,
    collect() {
      this.reset();
      const now = deps.clock.now() / 1000;
      for (const k of deps.keys.list()) if (k.status === 'active') this.set({ alg: k.alg }, Math.max(0, Math.round(now - (k.activatedAt ?? k.createdAt))));
    },
  });
  opts.storeTiming?.register(registry);
  new Gauge({
    name: 'gatehouse_build_info',
    help: 'Always 1; labels carry the Gatehouse and Node.js versions.',
    labelNames: ['version', 'node'] as const,
    aggregator: 'first',
    registers,
  }).set({ version: GATEHOUSE_VERSION, node: process.version }, 1);

  const unsubscribe = [
    deps.events.on('token.issued', (e) => {
      const grant_type = grantTypeLabel(e.grantType);
      issued.inc({ grant_type, token_type: e.tokenType, format: e.format });
      byClient.inc({ client_id: clientLabel(e.clientId), grant_type });
    }),
    deps.events.on('token.revoked', (e) => revoked.inc({ token_type: e.tokenType, reason: e.reason })),
    deps.events.on('client_auth.failed', (e) => failedAuth.inc({ method: authMethodLabel(e.method), reason: authFailureReason(e.reason) })),
    deps.events.on('token.introspected', (e) => introspected.inc({ active: String(e.active) })),
    deps.events.on('key.rotated', (e) => rotations.inc({ alg: e.alg })),
    ...logoutMetrics(deps.events, registers),
    ...operationsMetrics(deps.events, registers, () => deps.clock.now()),
  ];

  return {
    registry,
    observeRequest(method, route, status, seconds) {
      duration.observe({ method: httpMethodLabel(method), route: route ?? 'unmatched', status: String(status) }, seconds);
    },
    close() {
      for (const off of unsubscribe) off();
    },
  };
}

/**
 * `oauth2_active_tokens`: counted in the store at scrape time, reused for `activeTokensCacheMs`
 * so frequent scrapes (or several Prometheus servers) don't hammer the database. Concurrent
 * scrapes share one query. On a store error or timeout the previous value stays (NaN before the
 * first success) and `gatehouse_metric_collect_failures_total` counts the miss.
 */
function activeTokensGauge(deps: MetricsDeps, opts: MetricsOptions, registers: Registry[], onFailure: () => void): { pending(): Promise<void> } {
  const ttl = opts.activeTokensCacheMs ?? 5000;
  const timeout = opts.activeTokensTimeoutMs ?? 2000;
  let value = Number.NaN;
  let countedAt = Number.NEGATIVE_INFINITY;
  let inflight: Promise<void> | null = null;

  const refresh = async (): Promise<void> => {
    const now = deps.clock.now();
    try {
      value = await withTimeout(deps.tokens.countActive(Math.floor(now / 1000)), timeout, 'countActive');
      countedAt = now;
    } catch {
      onFailure();
    }
  };

  new Gauge({
    name: 'oauth2_active_tokens',
    help: 'Stored tokens (opaque access tokens and refresh tokens) neither expired nor revoked.',
    registers,
    // One store behind every worker: each counts the same rows; the aggregated scrape keeps one count.
    aggregator: 'max',
    async collect() {
      if (deps.clock.now() - countedAt >= ttl) {
        inflight ??= refresh().finally(() => {
          inflight = null;
        });
        await inflight;
      }
      this.set(value);
    },
  });
  return { pending: () => inflight ?? Promise.resolve() };
}

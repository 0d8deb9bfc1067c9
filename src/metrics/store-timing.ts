import { Counter, type Registry } from 'prom-client';
import type { Storage } from '../core/ports/storage.ts';

// biome-ignore lint/suspicious/noExplicitAny: a decorator forwards any port method's arguments unchanged
type AnyFn = (...args: any[]) => any;

/** Wraps one port method; `operation` is `<port>.<method>` (`clients.find`). */
export type MethodWrapper = (operation: string, fn: AnyFn) => AnyFn;

const isPort = (v: unknown): v is object => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Promise);

function methodNames(obj: object): string[] {
  const names = new Set<string>();
  for (let p: object | null = obj; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const k of Object.getOwnPropertyNames(p)) if (k !== 'constructor' && typeof (obj as Record<string, unknown>)[k] === 'function') names.add(k);
  }
  return [...names];
}

/**
 * Decorates every port of a store (each object-valued property: `clients`, `tokens`, … and any a
 * later adapter adds) so each method call goes through `wrap`. The result delegates everything
 * else (`migrate`, `ping`, `close`, `dialect`) to the original, which stays untouched. Built once
 * at composition: a call costs one extra function frame, nothing is allocated per port call here.
 */
export function decorateStorage<S extends Storage>(storage: S, wrap: MethodWrapper): S {
  const out = Object.create(storage) as S;
  for (const key of Object.keys(storage)) {
    const port = (storage as unknown as Record<string, unknown>)[key];
    // The unit of work is not a port: its calls are the unit's stores', and `atomic` must stay.
    if (!isPort(port) || key === 'unitOfWork') continue;
    const wrapped: Record<string, unknown> = {};
    for (const name of methodNames(port)) {
      const fn = (port as Record<string, AnyFn>)[name]!.bind(port);
      wrapped[name] = wrap(`${key}.${name}`, fn);
    }
    Object.defineProperty(out, key, { value: wrapped, enumerable: true });
  }
  return out;
}

/** Store latency buckets in seconds: most calls are well under 10 ms. */
const STORE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export interface StoreTiming {
  /** The MethodWrapper for decorateStorage. */
  readonly wrap: MethodWrapper;
  /** Adds the two metrics to a registry (the app's, created after the store). */
  register(registry: Registry): void;
}

/** One operation's histogram state: per-bucket counts (the last is +Inf), sum and count. */
interface Series {
  readonly operation: string;
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

/**
 * `gatehouse_store_call_duration_seconds` as a prom-client collector object: each wrapped method
 * owns its series, so recording a call is a bucket search and three additions. (prom-client's
 * `Histogram#observe` validates and hashes the labels on every call, which costs more than the
 * memory store's own lookup.) Buckets are made cumulative only at scrape time.
 */
function durationMetric(series: readonly Series[]) {
  const name = 'gatehouse_store_call_duration_seconds';
  return {
    name,
    help: 'Time of one store port call (including a failed one), by operation (`<port>.<method>`).',
    type: 'histogram' as const,
    labelNames: ['operation'],
    aggregator: 'sum' as const,
    reset() {
      for (const s of series) {
        s.buckets.fill(0);
        s.sum = 0;
        s.count = 0;
      }
    },
    async get() {
      const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
      for (const s of series) {
        if (s.count === 0) continue;
        let acc = 0;
        for (let i = 0; i < STORE_BUCKETS.length; i++) {
          acc += s.buckets[i]!;
          values.push({ labels: { le: STORE_BUCKETS[i]!, operation: s.operation }, value: acc, metricName: `${name}_bucket` });
        }
        values.push({ labels: { le: '+Inf', operation: s.operation }, value: s.count, metricName: `${name}_bucket` });
        values.push({ labels: { operation: s.operation }, value: s.sum, metricName: `${name}_sum` });
        values.push({ labels: { operation: s.operation }, value: s.count, metricName: `${name}_count` });
      }
      return { name, help: this.help, type: this.type, values, aggregator: this.aggregator };
    },
  };
}

function record(s: Series, seconds: number): void {
  let i = 0;
  while (i < STORE_BUCKETS.length && seconds > STORE_BUCKETS[i]!) i++;
  s.buckets[i]! += 1;
  s.sum += seconds;
  s.count += 1;
}

/**
 * `gatehouse_store_call_duration_seconds{operation}` and `gatehouse_store_call_errors_total{operation}`.
 * A wrapped call costs two `performance.now()`, one `then` and a few additions.
 */
export function createStoreTiming(): StoreTiming {
  const series: Series[] = [];
  const duration = durationMetric(series);
  const errors = new Counter({
    name: 'gatehouse_store_call_errors_total',
    help: 'Store port calls that threw or rejected, by operation.',
    labelNames: ['operation'] as const,
    registers: [],
  });
  return {
    wrap(operation, fn) {
      const s: Series = { operation, buckets: new Float64Array(STORE_BUCKETS.length + 1), sum: 0, count: 0 };
      series.push(s);
      const fail = (t: number, err: unknown) => {
        record(s, (performance.now() - t) / 1000);
        errors.inc({ operation });
        throw err;
      };
      return (...args) => {
        const t = performance.now();
        let r: unknown;
        try {
          r = fn(...args);
        } catch (err) {
          fail(t, err);
        }
        if (r instanceof Promise)
          return r.then(
            (v) => {
              record(s, (performance.now() - t) / 1000);
              return v;
            },
            (err) => fail(t, err),
          );
        record(s, (performance.now() - t) / 1000);
        return r;
      };
    },
    register(registry) {
      registry.registerMetric(duration as unknown as Parameters<Registry['registerMetric']>[0]);
      registry.registerMetric(errors);
    },
  };
}

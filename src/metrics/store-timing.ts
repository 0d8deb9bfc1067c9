import { Counter, Histogram, type Registry } from 'prom-client';
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
    if (!isPort(port)) continue;
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

/**
 * `gatehouse_store_call_duration_seconds{operation}` and `gatehouse_store_call_errors_total{operation}`.
 * Each wrapped method resolves its labelled children once, so a call costs two `performance.now()`
 * and one bucket increment.
 */
export function createStoreTiming(): StoreTiming {
  const duration = new Histogram({
    name: 'gatehouse_store_call_duration_seconds',
    help: 'Time of one store port call (including a failed one), by operation (`<port>.<method>`).',
    labelNames: ['operation'] as const,
    buckets: STORE_BUCKETS,
    registers: [],
  });
  const errors = new Counter({
    name: 'gatehouse_store_call_errors_total',
    help: 'Store port calls that threw or rejected, by operation.',
    labelNames: ['operation'] as const,
    registers: [],
  });
  return {
    wrap(operation, fn) {
      const h = duration.labels({ operation });
      const e = errors.labels({ operation });
      const fail = (t: number, err: unknown) => {
        h.observe((performance.now() - t) / 1000);
        e.inc();
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
              h.observe((performance.now() - t) / 1000);
              return v;
            },
            (err) => fail(t, err),
          );
        h.observe((performance.now() - t) / 1000);
        return r;
      };
    },
    register(registry) {
      registry.registerMetric(duration);
      registry.registerMetric(errors);
    },
  };
}

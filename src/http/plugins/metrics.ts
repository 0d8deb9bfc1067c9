import type { FastifyInstance } from 'fastify';
import { createMetrics, type GatehouseMetrics, type MetricsOptions } from '../../metrics/prometheus.ts';
import type { AppContext } from '../context.ts';

/**
 * Creates this app's metrics (S15: counters fed by the event bus) and times every response in
 * `onResponse`, labelled by route pattern (`/token`, never the raw URL). Returns null when
 * `metrics.enabled` is false: nothing is collected then.
 */
export function registerMetrics(app: FastifyInstance, ctx: AppContext, opts: MetricsOptions = {}): GatehouseMetrics | null {
  if (!ctx.config.metrics.enabled) return null;
  const metrics = createMetrics({ events: ctx.events, tokens: ctx.storage.tokens, clock: ctx.ports.clock, keys: ctx.keys }, opts);
  app.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.addHook('onClose', (_instance, done) => {
    metrics.close();
    done();
  });
  return metrics;
}

import type { FastifyInstance } from 'fastify';
import type { GatehouseMetrics } from '../../metrics/prometheus.ts';
import type { AppContext } from '../context.ts';

/**
 * Times every response in `onResponse` for this app's metrics (S15: the counters are fed by the
 * event bus, built by the composition root), labelled by route pattern (`/token`, never the raw
 * URL). Returns null when `metrics.enabled` is false: nothing is collected then.
 */
export function registerMetrics(app: FastifyInstance, ctx: Pick<AppContext, 'metrics'>): GatehouseMetrics | null {
  const { metrics } = ctx;
  if (!metrics) return null;
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

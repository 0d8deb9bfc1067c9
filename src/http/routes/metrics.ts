import type { FastifyInstance } from 'fastify';
import type { GatehouseMetrics } from '../../metrics/prometheus.ts';

/**
 * `GET /metrics`: Prometheus text exposition of this app's registry (docs/metrics.md); in a
 * `--workers N` worker, `scrape` asks the primary, which aggregates every worker's registry.
 */
export function registerMetricsRoute(app: FastifyInstance, metrics: GatehouseMetrics, scrape?: () => Promise<string>): void {
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        description: 'Text exposition format 0.0.4. Metric names, types and labels: docs/metrics.md.',
        tags: ['operations'],
        response: {
          200: { description: 'Metrics in the Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } },
        },
      },
    },
    async (_request, reply) => {
      const body = scrape ? await scrape() : await metrics.registry.metrics();
      return reply.header('cache-control', 'no-store').type(metrics.registry.contentType).send(body);
    },
  );
}

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AggregatorRegistry, Counter, Histogram, Registry } from 'prom-client';
import { dashboardTiles, parseExposition, quantileFromBuckets, tilesFromSamples } from './dashboard-metrics.ts';

test('latency quantiles are interpolated inside the cumulative histogram buckets, as Prometheus histogram_quantile does', () => {
  // 100 observations: 50 ≤ 10 ms, 40 more ≤ 50 ms, 10 more ≤ 100 ms.
  const buckets = [
    { le: 0.01, count: 50 },
    { le: 0.05, count: 90 },
    { le: 0.1, count: 100 },
    { le: Number.POSITIVE_INFINITY, count: 100 },
  ];
  assert.equal(quantileFromBuckets(buckets, 0.5), 0.01);
  assert.ok(Math.abs(quantileFromBuckets(buckets, 0.7)! - 0.03) < 1e-12);
  assert.ok(Math.abs(quantileFromBuckets(buckets, 0.95)! - 0.075) < 1e-12);
  assert.equal(
    quantileFromBuckets(
      [
        { le: 0.01, count: 0 },
        { le: Number.POSITIVE_INFINITY, count: 0 },
      ],
      0.5,
    ),
    null,
    'no requests yet',
  );
  assert.equal(
    quantileFromBuckets(
      [
        { le: 0.01, count: 1 },
        { le: Number.POSITIVE_INFINITY, count: 4 },
      ],
      0.99,
    ),
    0.01,
    'in +Inf: the largest finite bound',
  );
});

async function registryWithTraffic(): Promise<Registry> {
  const registry = new Registry();
  const h = new Histogram({
    name: 'http_server_requests_duration_seconds',
    help: 'h',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.01, 0.1, 1],
    registers: [registry],
  });
  const issued = new Counter({ name: 'oauth2_tokens_issued_total', help: 'c', labelNames: ['grant_type'], registers: [registry] });
  for (let i = 0; i < 40; i++) h.observe({ method: 'POST', route: '/token', status: '200' }, 0.004);
  for (let i = 0; i < 10; i++) h.observe({ method: 'GET', route: '/admin', status: '503' }, 0.05);
  issued.inc({ grant_type: 'client_credentials' }, 7);
  return registry;
}

test('the dashboard reads the same numbers from the registry as from the /metrics text of it (the workers path)', async () => {
  const registry = await registryWithTraffic();
  const direct = await dashboardTiles(registry);
  assert.equal(direct.requests, 50);
  assert.equal(direct.server_errors, 10);
  assert.equal(direct.tokens_issued, 7);
  assert.deepEqual(tilesFromSamples(parseExposition(await registry.metrics())), direct);
});

test("serve --workers: the primary's aggregate of two workers adds their requests and buckets up", async () => {
  const [a, b] = [await registryWithTraffic(), await registryWithTraffic()];
  const aggregate = AggregatorRegistry.aggregate([await a.getMetricsAsJSON(), await b.getMetricsAsJSON()]);
  const tiles = tilesFromSamples(parseExposition(await aggregate.metrics()));
  assert.deepEqual([tiles.requests, tiles.server_errors, tiles.tokens_issued], [100, 20, 14]);
  assert.equal(tiles.p50_ms, (await dashboardTiles(a)).p50_ms, 'the same distribution twice has the same median');
});

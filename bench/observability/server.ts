/**
 * Gatehouse for the observability overhead runs (bench/observability/run.ts): in-process store,
 * ES256 JWT access tokens, one client_credentials client, logs at `warn`. Modes (BENCH_MODE):
 * `bare` (no metrics, no store timing, no endpoint rate limits), `plain` (metrics and rate limits
 * on, as shipped, tracing off), `no-store-timing` (the store decorator left out)
 * and `tracing` (OTEL_EXPORTER_OTLP_ENDPOINT from the environment, every request sampled).
 * Prints `BENCH_READY {"port":…,"clientId":…,"clientSecret":…}`.
 */
import { randomBytes } from 'node:crypto';
import { buildConfig } from '../../src/config/load.ts';
import { createGatehouse } from '../../src/compose.ts';
import { OPERATOR_POLICY } from '../../src/core/registration/client-metadata.ts';

const mode = process.env['BENCH_MODE'] ?? 'plain';
if (mode === 'als-only') {
  // The floor any AsyncLocalStorage-based context costs on this Node.js version (async hooks on).
  const { AsyncLocalStorage } = await import('node:async_hooks');
  new AsyncLocalStorage<number>().enterWith(1);
}
const port = Number(process.env['BENCH_PORT']);
const config = buildConfig({
  issuer: `http://127.0.0.1:${port}`,
  host: '127.0.0.1',
  port,
  database: { url: 'memory:' },
  kek: randomBytes(32).toString('base64'),
  keys: { algorithms: ['ES256'] },
  tokens: { accessTokenSigningAlg: 'ES256', idTokenSigningAlg: 'ES256' },
  log: { level: 'warn', format: 'json' },
  // `bare`: none of issue #9's per-request features (the 10 % bound's baseline): no metrics
  // (so no store timing), no endpoint rate limits. Load shedding stays: it is not in that list.
  ...(mode === 'bare' ? { metrics: { enabled: false } } : {}),
  // One address and one client send everything: the endpoint budgets stay on (their cost is
  // part of what is measured) but are lifted above any rate reached, as in bench/servers.
  rateLimits: { enabled: mode !== 'bare', token: { perAddress: 1_000_000_000, perClient: 1_000_000_000 } },
});
const gh = await createGatehouse(config, {
  notice: () => {},
  observe: { env: mode === 'tracing' ? process.env : {}, ...(mode === 'no-store-timing' || mode === 'bare' ? { storeTiming: null } : {}) },
});
const created = await gh.services.clientService.create({
  metadata: { client_name: 'bench', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', scope: 'read' },
  policy: OPERATOR_POLICY,
  via: 'cli',
});
await gh.listen();
process.stdout.write(`BENCH_READY ${JSON.stringify({ port, clientId: created.client.clientId, clientSecret: created.clientSecret })}\n`);
process.on('SIGTERM', () => {
  gh.close().then(() => process.exit(0));
});

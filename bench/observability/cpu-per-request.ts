/**
 * CPU time per client_credentials (JWT) request, in process, through Fastify's `inject` (the
 * whole hook and handler pipeline, no sockets): one server per mode, 50 requests in flight,
 * 3 s warm-up then BENCH_REQUESTS requests. CPU time is far less disturbed by other load on the
 * machine than req/s.
 *
 *   node --import tsx bench/observability/cpu-per-request.ts
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildConfig } from '../../src/config/load.ts';
import { createGatehouse } from '../../src/compose.ts';
import { OPERATOR_POLICY } from '../../src/core/registration/client-metadata.ts';

const N = Number(process.env['BENCH_REQUESTS'] ?? 20000);
const sink = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.end('{}'));
});
await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
const endpoint = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;

const MODES: Record<string, Parameters<typeof createGatehouse>[1]> = {
  'metrics, no tracing': { observe: { env: {} } },
  'no store timing': { observe: { env: {}, storeTiming: null } },
  'tracing, all sampled': { observe: { env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER: 'always_on' } } },
  'tracing, unsampled': { observe: { env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER: 'always_off' } } },
};
// BENCH_ALS_FLOOR=1: one more mode with no tracing but an AsyncLocalStorage entered in every
// request (what any AsyncLocalStorage-based context costs on this Node.js version).
const ALS_FLOOR = process.env['BENCH_ALS_FLOOR'] === '1';
if (ALS_FLOOR) MODES['AsyncLocalStorage only'] = { observe: { env: {} } };

async function measure(name: string): Promise<number> {
  const config = buildConfig({
    issuer: 'http://127.0.0.1:1',
    database: { url: 'memory:' },
    kek: randomBytes(32).toString('base64'),
    keys: { algorithms: ['ES256'] },
    tokens: { accessTokenSigningAlg: 'ES256', idTokenSigningAlg: 'ES256' },
    log: { level: 'warn', format: 'json' },
    // One address and one client send everything: the endpoint budgets stay on (their cost is
    // part of what is measured) but are lifted above any rate reached, as in bench/servers.
    rateLimits: { token: { perAddress: 1_000_000_000, perClient: 1_000_000_000 } },
    // On a loaded machine the event-loop delay check shed requests (503) and ended the run; the
    // shedding hook and its in-flight count stay on.
    resilience: { shed: { maxEventLoopDelayMs: 0 } },
  });
  const gh = await createGatehouse(config, { notice: () => {}, logger: false, ...MODES[name] });
  if (name === 'AsyncLocalStorage only') {
    const { AsyncLocalStorage } = await import('node:async_hooks');
    const als = new AsyncLocalStorage<number>();
    gh.app.addHook('onRequest', (_req, _reply, done) => als.run(1, done));
  }
  const { client, clientSecret } = await gh.services.clientService.create({
    metadata: { client_name: 'bench', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', scope: 'read' },
    policy: OPERATOR_POLICY,
    via: 'cli',
  });
  const headers = {
    authorization: `Basic ${Buffer.from(`${client.clientId}:${clientSecret}`).toString('base64')}`,
    'content-type': 'application/x-www-form-urlencoded',
  };
  const one = async () => {
    const r = await gh.app.inject({ method: 'POST', url: '/token', headers, payload: 'grant_type=client_credentials' });
    if (r.statusCode !== 200) throw new Error(`${name}: ${r.statusCode} ${r.body}`);
  };
  const run = async (n: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (next++ < n) await one();
      }),
    );
  };
  await run(3000);
  const before = process.cpuUsage();
  await run(N);
  const used = process.cpuUsage(before);
  await gh.close();
  return (used.user + used.system) / N;
}

const results = new Map<string, number[]>();
// BENCH_ONLY=name: one mode (e.g. under --cpu-prof).
const names = process.env['BENCH_ONLY'] ? [process.env['BENCH_ONLY']] : Object.keys(MODES);
for (let round = 0; round < 2; round++)
  for (const name of names) {
    const us = await measure(name);
    results.set(name, [...(results.get(name) ?? []), us]);
    console.log(`${name.padEnd(22)} round ${round + 1}: ${us.toFixed(1)} µs CPU/request`);
  }
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const base = mean(results.get('metrics, no tracing') ?? [1]);
for (const [name, xs] of results) console.log(`${name.padEnd(22)} ${mean(xs).toFixed(1)} µs CPU/request (${((mean(xs) / base - 1) * 100).toFixed(1)} %)`);
sink.close();

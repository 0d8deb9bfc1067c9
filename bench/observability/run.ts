/**
 * Cost of the observability hooks on client_credentials (JWT) throughput (#9 part 5): the same
 * server in three modes, each in its own process, driven by autocannon from this process for
 * BENCH_SECONDS (default 8) after a 2 s warm-up. Modes alternate twice so drift evens out.
 *
 *   node --import tsx bench/observability/run.ts
 *
 * `bare` leaves out metrics, store timing and endpoint rate limits (issue #9's bounds are against
 * it: under 10 % for `plain`, under 25 % for `tracing`); `tracing-unsampled` (sampler always_off) shows the hooks' own cost; `tracing` exports every span (sampler always_on) to an OTLP/HTTP sink in this process that
 * accepts and discards, so the exporter's real work (batching, JSON encoding, HTTP) is counted.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { freePort } from '../lib/process.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 8);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 50);
const ALL_MODES = ['bare', 'plain', 'no-store-timing', 'tracing', 'tracing-unsampled', 'als-only'] as const;
type Mode = (typeof ALL_MODES)[number];
const MODES = (process.env['BENCH_MODES']?.split(',') ?? ['bare', 'plain', 'tracing', 'tracing-unsampled']) as Mode[];

const sink = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.end('{}'));
});
await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
let exported = 0;
sink.on('request', () => exported++);

async function start(mode: Mode) {
  const port = await freePort();
  // BENCH_PROFILE_MODE=tracing: that mode's server runs under --cpu-prof (profiles in BENCH_PROFILE_DIR or /tmp).
  const prof = process.env['BENCH_PROFILE_MODE'] === mode ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_PROFILE_DIR'] ?? '/tmp'}`] : [];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', new URL('./server.ts', import.meta.url).pathname], {
    env: {
      ...process.env,
      BENCH_MODE: mode === 'tracing-unsampled' ? 'tracing' : mode,
      BENCH_PORT: String(port),
      OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl,
      OTEL_TRACES_SAMPLER: mode === 'tracing-unsampled' ? 'always_off' : 'always_on',
      NODE_ENV: 'production',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = await new Promise<{ port: number; clientId: string; clientSecret: string }>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /BENCH_READY (\{.*\})/.exec(out);
      if (m) resolve(JSON.parse(m[1]!));
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  return { child, ...ready };
}

/** CPU seconds (user + system) the process has used, from /proc (Linux; 10 ms ticks). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function load(port: number, clientId: string, secret: string, seconds: number) {
  const r = await autocannon({
    url: `http://127.0.0.1:${port}/token`,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  return { rps: r.requests.average, total: r.requests.total, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
}

const results = Object.fromEntries(ALL_MODES.map((m) => [m, [] as number[]])) as Record<Mode, number[]>;
// Server CPU time per request: robust against other load on the machine, unlike req/s.
const cpu = Object.fromEntries(ALL_MODES.map((m) => [m, [] as number[]])) as Record<Mode, number[]>;
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 2);
for (let round = 0; round < ROUNDS; round++) {
  for (const mode of MODES) {
    const s = await start(mode);
    try {
      await load(s.port, s.clientId, s.clientSecret, 2);
      const before = cpuSeconds(s.child.pid!);
      const r = await load(s.port, s.clientId, s.clientSecret, SECONDS);
      const usPerRequest = ((cpuSeconds(s.child.pid!) - before) / r.total) * 1e6;
      if (r.non2xx || r.errors) throw new Error(`${mode}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      results[mode].push(r.rps);
      cpu[mode].push(usPerRequest);
      console.log(`${mode.padEnd(17)} round ${round + 1}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99} ms, ${usPerRequest.toFixed(0)} µs CPU/request`);
    } finally {
      s.child.kill('SIGTERM');
      await new Promise((r) => s.child.once('exit', r));
    }
  }
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
// The baseline: `bare` (none of the measured features) when it ran, else `plain`.
const baseMode: Mode = MODES.includes('bare') ? 'bare' : 'plain';
const base = mean(results[baseMode]);
const baseCpu = mean(cpu[baseMode]);
console.log(`against ${baseMode}:`);
for (const mode of MODES) {
  const rps = mean(results[mode]);
  const us = mean(cpu[mode]);
  // At equal CPU, throughput is inversely proportional to CPU time per request.
  console.log(
    `${mode.padEnd(17)} ${rps.toFixed(0)} req/s (${((rps / base - 1) * 100).toFixed(1)} %), ${us.toFixed(0)} µs CPU/request (throughput at equal CPU ${((baseCpu / us - 1) * 100).toFixed(1)} %)`,
  );
}
console.log(`OTLP export requests received: ${exported}`);
sink.close();

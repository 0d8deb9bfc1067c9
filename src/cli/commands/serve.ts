import cluster from 'node:cluster';
import { loadConfig } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import { clusterPrimaryLimits, clusterWorkerLimiter, compose, createGatehouse, type Gatehouse, type GatehouseOptions } from '../../compose.ts';
import { bootstrapDevelopment } from '../../bootstrap.ts';
import { GatehouseError } from '../../core/errors.ts';
import { announceListening, primaryLog, superviseWorkers, workerCount } from '../../cluster/primary.ts';
import { workerWiring } from '../../cluster/worker.ts';
import { parseCli } from '../context.ts';
import type { CliCommand, CliIo } from '../types.ts';
import { releaseYoungGeneration } from '../young-generation.ts';

/** Set by the `--workers` primary in its workers' environment (its pid). */
const WORKER_MARK = 'GATEHOUSE_WORKER_OF';

/** Stores that live in one process: several workers would each have their own. */
const VOLATILE_STORES = new Set(['memory:', 'sqlite::memory:']);

function parseWorkers(v: string | undefined): Config['workers'] | undefined {
  if (v === undefined) return undefined;
  const k = v.trim().toLowerCase();
  if (k === 'auto') return 'auto';
  if (/^\d+$/.test(k) && Number(k) >= 1 && Number(k) <= 1024) return Number(k);
  throw new GatehouseError('GH_CLI_USAGE', `--workers: must be auto or a whole number from 1 to 1024 (got "${v}")`);
}

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'Start the authorization server',
  usage: [
    'Usage: gatehouse serve [--config FILE] [--workers N|auto]',
    '',
    'Starts Gatehouse. Configuration: --config FILE (JSON/YAML), then GATEHOUSE_* variables.',
    '  --workers N|auto  Worker processes sharing the port (node:cluster); auto = one per core.',
    '                    Default 1 (GATEHOUSE_WORKERS): one process, no cluster. Several workers',
    '                    share rate limits and one aggregated /metrics (docs/scaling.md).',
    'SIGTERM/SIGINT: stop accepting, drain in-flight requests (http.shutdownGrace), close the store;',
    'with --workers, the primary forwards the signal to every worker and exits when they have.',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseCli(args, { workers: { type: 'string' } });
    const flag = parseWorkers(values.workers);
    const startedAt = performance.now();
    const loaded = await loadConfig({ file: values.config, env: io.env, warn: io.err });
    const config: Config = flag === undefined ? loaded : { ...loaded, workers: flag };
    // Our own workers carry the primary's pid; a process another cluster manager forked (pm2's
    // cluster mode) runs as a single server: it has no Gatehouse primary to ask.
    if (cluster.isWorker && io.env[WORKER_MARK]) return runWorker(config, io, startedAt);
    const n = cluster.isWorker ? 1 : workerCount(config.workers);
    if (n > 1) return runPrimary(config, n, io);
    const gh = await createGatehouse(config, { notice: io.err });
    if (config.env === 'development') await bootstrapDevelopment(gh.services, io.out);
    await start(gh, config, startedAt);
    await untilSignal(gh, config);
    return 0;
  },
};

/** The primary of `--workers N`: prepares the store once, then forks and supervises. */
async function runPrimary(config: Config, n: number, io: CliIo): Promise<number> {
  if (VOLATILE_STORES.has(config.database.url))
    throw new GatehouseError(
      'GH_CONFIG_INVALID',
      `--workers ${n}: ${config.database.url} lives in one process; several workers need sqlite:PATH, postgres:// or mysql://`,
    );
  const log = await primaryLog(config.log.level);
  // Once, before any worker exists: the KEK file (development), migrations, the first signing keys
  // and the development demo client. N workers starting together would do each N times.
  const prep = await compose(config, { notice: io.err, poolSize: 1 });
  try {
    if (config.env === 'development') await bootstrapDevelopment(prep, io.out);
  } finally {
    await prep.close();
  }
  log('info', `starting ${n} workers (pid ${process.pid} supervises)`);
  return superviseWorkers({
    workers: n,
    limits: clusterPrimaryLimits(),
    // The workers' own drain (http.shutdownGrace) plus time to close their stores.
    shutdownGrace: config.http.shutdownGrace + 5,
    workerEnv: { GATEHOUSE_DATABASE_AUTO_MIGRATE: 'false', [WORKER_MARK]: String(process.pid) },
    log,
  });
}

/** One worker of `--workers N`: a full server on the shared port; limits and /metrics go through the primary. */
async function runWorker(config: Config, io: CliIo, startedAt: number): Promise<number> {
  let gh: Gatehouse | undefined;
  const wiring = workerWiring(clusterWorkerLimiter, (level, m) => (gh ? gh.app.log[level](m) : io.err(`[gatehouse] ${m}`)));
  try {
    const opts: GatehouseOptions = {
      notice: io.err,
      workerId: wiring.workerId,
      localRateLimiter: wiring.localRateLimiter,
      ...(config.metrics.enabled ? { scrapeMetrics: wiring.scrapeMetrics } : {}),
    };
    gh = await createGatehouse(config, opts);
    if (gh.ctx.metrics) await wiring.shareMetrics(gh.ctx.metrics.registry);
    announceListening(await start(gh, config, startedAt));
    await untilSignal(gh, config);
    return 0;
  } finally {
    wiring.close();
    // The IPC channel keeps a worker alive: leave the cluster so the process can end.
    cluster.worker?.disconnect();
  }
}

async function start(gh: Gatehouse, config: Config, startedAt: number): Promise<string> {
  const address = await gh.listen();
  releaseYoungGeneration();
  // The address to open is the issuer: pages on another host name of this machine are sent
  // there (their forms may only post to the issuer's origin). `address` is the bound socket.
  gh.app.log.info(
    { url: config.issuer, address, env: config.env, store: gh.services.storage.dialect, startupMs: Math.round(performance.now() - startedAt) },
    `gatehouse ready: open ${config.issuer}`,
  );
  return address;
}

/** Resolves once SIGTERM/SIGINT drained the server (bounded by http.shutdownGrace). */
function untilSignal(gh: Gatehouse, config: Config): Promise<void> {
  return new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      gh.app.log.info({ signal }, 'shutting down: draining in-flight requests');
      // Bounded drain: if requests do not finish within the grace period, exit anyway.
      const force = setTimeout(() => {
        gh.app.log.warn('shutdown grace period elapsed; exiting with requests in flight');
        process.exit(1);
      }, config.http.shutdownGrace * 1000);
      force.unref();
      gh.close().then(
        () => {
          gh.app.log.info('shutdown complete');
          resolve();
        },
        (e: unknown) => {
          gh.app.log.error({ err: e }, 'error during shutdown');
          resolve();
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Config } from '../config/schema.ts';
import { answerOn, type Channel, type Handlers } from './ipc.ts';

/**
 * The primary's log: pino JSON lines on stdout like the workers' (Fastify's pino), at `log.level`,
 * marked `role: "primary"`.
 */
export async function primaryLog(level: Config['log']['level']): Promise<(level: 'info' | 'warn' | 'error', message: string) => void> {
  const { pino } = await import('pino');
  const logger = pino({ level }).child({ role: 'primary' });
  return (l, m) => logger[l](m);
}

/** `workers` as configured (`auto` = the cores this process may use). */
export function workerCount(workers: Config['workers']): number {
  return workers === 'auto' ? availableParallelism() : workers;
}

export interface SupervisorOptions {
  readonly workers: number;
  /** The IPC handlers of the machine's one limiter (compose's `clusterPrimaryLimits`): they answer every worker's calls. */
  readonly limits: Handlers;
  /** Seconds a worker may take to drain on SIGTERM before it is killed (http.shutdownGrace + a margin). */
  readonly shutdownGrace: number;
  /** Extra environment of every worker (e.g. no migrations: the primary ran them). */
  readonly workerEnv?: Readonly<Record<string, string>>;
  readonly log: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** Crash loop: more than `maxRestarts` unplanned exits within `restartWindowMs` stops the primary. */
  readonly maxRestarts?: number;
  readonly restartWindowMs?: number;
  /** First restart delay; doubles with every recent crash, up to `maxBackoffMs`. */
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

/** A message of ours from a worker: `{ gh: 'listening', address }` once its server accepts connections. */
interface Listening {
  readonly gh: 'listening';
  readonly address: string;
}

const isListening = (m: unknown): m is Listening => typeof m === 'object' && m !== null && (m as Listening).gh === 'listening';

/**
 * The `serve --workers N` primary: forks N workers (each a full server on the shared port; the
 * primary itself serves no request), answers their rate-limit calls from the machine's one
 * `MemoryRateLimiter` and their `/metrics` scrapes with prom-client's `AggregatorRegistry` (which
 * asks every worker for its registry), restarts a worker that exits unplanned with exponential
 * back-off, and on SIGTERM/SIGINT forwards SIGTERM to every worker, waits for them to drain and exit,
 * and resolves 0. A crash loop (more than `maxRestarts` unplanned exits within `restartWindowMs`)
 * stops every worker and resolves 1 with the reason logged.
 */
export async function superviseWorkers(opts: SupervisorOptions): Promise<number> {
  const maxRestarts = opts.maxRestarts ?? 5;
  const windowMs = opts.restartWindowMs ?? 60_000;
  const baseBackoff = opts.baseBackoffMs ?? 200;
  const maxBackoff = opts.maxBackoffMs ?? 10_000;
  // prom-client's aggregator registers its cluster listeners when constructed: load it only here.
  const { AggregatorRegistry } = await import('prom-client');
  const aggregator = new AggregatorRegistry();
  const crashes: number[] = [];
  const detach = new Map<Worker, () => void>();
  let stopping = false;
  let exitCode = 0;
  let listening = 0;

  const fork = () => {
    const worker = cluster.fork({ ...opts.workerEnv });
    const channel = worker as unknown as Channel;
    // One listener answers every op: limits, and the aggregated scrape.
    const offAnswers = answerOn(channel, { ...opts.limits, metrics: () => aggregator.clusterMetrics() });
    const onMessage = (m: unknown) => {
      if (!isListening(m)) return;
      listening++;
      opts.log('info', `worker ${worker.id} (pid ${worker.process.pid}) listening on ${m.address}`);
      if (listening === opts.workers) opts.log('info', `gatehouse ready: ${opts.workers} workers`);
    };
    worker.on('message', onMessage);
    detach.set(worker, () => {
      offAnswers();
      worker.off('message', onMessage);
    });
  };

  return new Promise<number>((resolve) => {
    const onTerm = () => stopAll('SIGTERM');
    const onInt = () => stopAll('SIGINT');
    // Node drops a worker from cluster.workers once it has both exited and disconnected its IPC
    // channel, in either order: check again on both events, or a worker whose 'exit' came first
    // would keep the primary waiting for good.
    const finishIfDone = () => {
      if (!stopping || Object.keys(cluster.workers ?? {}).length > 0) return;
      cluster.off('exit', onExit);
      cluster.off('disconnect', finishIfDone);
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolve(exitCode);
    };

    const stopAll = (why: string) => {
      if (stopping) return;
      stopping = true;
      opts.log('info', `${why}: stopping ${Object.keys(cluster.workers ?? {}).length} workers (drain in-flight requests)`);
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
      const force = setTimeout(() => {
        for (const w of Object.values(cluster.workers ?? {})) {
          opts.log('warn', `worker ${w?.id} did not stop within the grace period; killing it`);
          w?.process.kill('SIGKILL');
        }
      }, opts.shutdownGrace * 1000);
      force.unref();
      finishIfDone();
    };

    const onExit = (worker: Worker, code: number, signal: string) => {
      detach.get(worker)?.();
      detach.delete(worker);
      if (stopping) return finishIfDone();
      const now = Date.now();
      crashes.push(now);
      while (crashes.length && crashes[0]! < now - windowMs) crashes.shift();
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (crashes.length > maxRestarts) {
        opts.log(
          'error',
          `worker ${worker.id} exited (${how}): ${crashes.length} unplanned exits within ${windowMs / 1000}s, a crash loop; stopping (see the workers' errors above)`,
        );
        exitCode = 1;
        return stopAll('crash loop');
      }
      const delay = Math.min(maxBackoff, baseBackoff * 2 ** (crashes.length - 1));
      opts.log('warn', `worker ${worker.id} (pid ${worker.process.pid}) exited (${how}); starting a new one in ${delay} ms`);
      setTimeout(() => {
        if (!stopping) fork();
      }, delay);
    };

    cluster.on('exit', onExit);
    cluster.on('disconnect', finishIfDone);
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    for (let i = 0; i < opts.workers; i++) fork();
  });
}

/** In a worker: tells the primary the server accepts connections. */
export function announceListening(address: string): void {
  process.send?.({ gh: 'listening', address } satisfies Listening);
}

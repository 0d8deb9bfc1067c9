import cluster from 'node:cluster';
import type { Registry } from 'prom-client';
import type { RateLimiter } from '../core/ports/rate-limiter.ts';
import { createAsker, type Channel } from './ipc.ts';

/** What a `serve --workers N` worker passes to createGatehouse. */
export interface WorkerWiring {
  readonly workerId: number;
  /** Counts in the primary (no Redis), or is the fallback while Redis is unreachable. */
  readonly localRateLimiter: RateLimiter;
  /** `/metrics`: the primary's aggregate of every worker. */
  scrapeMetrics(): Promise<string>;
  /** Hands this worker's registry to the primary's aggregation (prom-client's cluster listener). */
  shareMetrics(registry: Registry): Promise<void>;
  close(): void;
}

/** Longest wait for the primary's aggregated scrape (prom-client's own per-worker timeout is 5 s). */
const SCRAPE_TIMEOUT_MS = 6000;

/** The limiter a worker counts with (compose's `clusterWorkerLimiter`). */
export type WorkerLimiterFactory = (channel: Channel, onFallback: (reason: string) => void) => RateLimiter & { close(): void };

export function workerWiring(makeLimiter: WorkerLimiterFactory, log: (level: 'warn' | 'info', message: string) => void): WorkerWiring {
  const channel = process as unknown as Channel;
  let warned = false;
  const limiter = makeLimiter(channel, (reason) => {
    if (warned) return;
    warned = true;
    log('warn', `rate limits: the primary did not answer (${reason}); this worker counts on its own meanwhile`);
  });
  const scrape = createAsker(channel, SCRAPE_TIMEOUT_MS);
  return {
    workerId: cluster.worker?.id ?? 0,
    localRateLimiter: limiter,
    scrapeMetrics: async () => (await scrape.ask('metrics')) as string,
    async shareMetrics(registry) {
      const { AggregatorRegistry } = await import('prom-client');
      new AggregatorRegistry();
      AggregatorRegistry.setRegistries([registry]);
    },
    close() {
      limiter.close();
      scrape.close();
    },
  };
}

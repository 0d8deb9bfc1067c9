import type { RateLimiter, RateLimitResult } from '../core/ports/rate-limiter.ts';
import { createAsker, IpcTimeout, type Channel, type Handlers } from '../cluster/ipc.ts';

/** How long a worker waits for the primary's count before it counts in its own memory. */
export const CLUSTER_LIMIT_TIMEOUT_MS = 1000;
/** How long a worker counts on its own after the primary left a call unanswered. */
const RETRY_AFTER_TIMEOUT_MS = 1000;

/**
 * The RateLimiter port in a `--workers N` worker without Redis: every call is one IPC round trip
 * to the primary, which holds the one `MemoryRateLimiter` of the machine (rate-limiter-flexible's
 * `RateLimiterMemory`), so the N workers count as one process does. Each increment is one
 * synchronous step on the primary's event loop, so a `hit` stays atomic across workers.
 *
 * Why not rate-limiter-flexible's `RateLimiterCluster`: it offers consume/get/reward/penalty/
 * delete, but nothing lists keys, so `reset` (every window of a key) and `resetPrefix` (operator
 * unlocks) could not be served, and its master keeps its limiters private. One channel to a
 * `MemoryRateLimiter` serves all five operations with the memory adapter's exact semantics.
 *
 * When the primary does not answer within `timeoutMs` (it is stopping, or stuck), `hit`, `refund`
 * and `peek` fall back to `fallback`, this worker's own counters (the Redis adapter degrades the
 * same way); `reset`/`resetPrefix` clear both and fail loudly when the primary is unreachable.
 */
export class ClusterRateLimiter implements RateLimiter {
  readonly #asker: ReturnType<typeof createAsker>;
  readonly #fallback: RateLimiter;
  readonly #onFallback: ((reason: string) => void) | undefined;
  /** After an unanswered call, calls skip the primary until then (ms, wall clock): a stuck primary costs one timeout, not one per request. */
  #retryAt = 0;

  constructor(opts: {
    readonly channel: Channel;
    readonly fallback: RateLimiter;
    readonly timeoutMs?: number;
    readonly onFallback?: (reason: string) => void;
  }) {
    this.#asker = createAsker(opts.channel, opts.timeoutMs ?? CLUSTER_LIMIT_TIMEOUT_MS);
    this.#fallback = opts.fallback;
    this.#onFallback = opts.onFallback;
  }

  #degraded(e: unknown): void {
    if (e instanceof IpcTimeout) this.#retryAt = Date.now() + RETRY_AFTER_TIMEOUT_MS;
    this.#onFallback?.(e instanceof Error ? e.message : String(e));
  }

  /** The primary is worth asking: not within the pause after an unanswered call. */
  #ask(op: string, ...args: unknown[]): Promise<unknown> {
    if (this.#retryAt !== 0 && Date.now() < this.#retryAt) return Promise.reject(new Error('the primary did not answer recently'));
    return this.#asker.ask(op, ...args);
  }

  async hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult> {
    try {
      return (await this.#ask('rl.hit', key, limit, windowSeconds)) as RateLimitResult;
    } catch (e) {
      this.#degraded(e);
      return this.#fallback.hit(key, limit, windowSeconds);
    }
  }

  async refund(key: string, windowSeconds: number): Promise<void> {
    try {
      await this.#ask('rl.refund', key, windowSeconds);
    } catch (e) {
      this.#degraded(e);
      await this.#fallback.refund(key, windowSeconds);
    }
  }

  async peek(key: string, windowSeconds: number): Promise<number> {
    try {
      return (await this.#ask('rl.peek', key, windowSeconds)) as number;
    } catch (e) {
      this.#degraded(e);
      return this.#fallback.peek(key, windowSeconds);
    }
  }

  async reset(key: string, windowSeconds: number): Promise<void> {
    await this.#fallback.reset(key, windowSeconds);
    await this.#asker.ask('rl.reset', key, windowSeconds);
  }

  async resetPrefix(prefix: string): Promise<number> {
    const local = await this.#fallback.resetPrefix(prefix);
    return local + ((await this.#asker.ask('rl.resetPrefix', prefix)) as number);
  }

  /** Stops listening (pending calls fall back). */
  close(): void {
    this.#asker.close();
  }
}

/** The primary's side: the IPC handlers (`answerOn`) that answer workers' limiter calls from the machine's one `limiter`. */
export function rateLimitHandlers(limiter: RateLimiter): Handlers {
  return {
    'rl.hit': (key: string, limit: number, windowSeconds: number) => limiter.hit(key, limit, windowSeconds),
    'rl.refund': (key: string, windowSeconds: number) => limiter.refund(key, windowSeconds),
    'rl.peek': (key: string, windowSeconds: number) => limiter.peek(key, windowSeconds),
    'rl.reset': (key: string, windowSeconds: number) => limiter.reset(key, windowSeconds),
    'rl.resetPrefix': (prefix: string) => limiter.resetPrefix(prefix),
  };
}

import type { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { GatehouseError } from '../core/errors.ts';
import { systemClock, type Clock } from '../core/ports/clock.ts';
import type { RateLimiter, RateLimitResult } from '../core/ports/rate-limiter.ts';
import { DependencyUnavailableError, type DependencyPolicy } from '../resilience/index.ts';
import { limitResult, windowSlot } from './memory-rate-limiter.ts';

/** The process's Redis connection as this adapter sees it (opened by src/redis, handed over by compose). */
export interface RedisHandle {
  readonly client: Redis;
  ready(): boolean;
}

export type LimiterBackend = 'redis' | 'memory';

export interface RedisRateLimiterOptions {
  readonly redis: RedisHandle;
  /**
   * The `redis` resilience policy (deadline, cockatiel breaker, bulkhead): every command runs
   * through it, so while its breaker is open calls go to `fallback` without touching Redis.
   */
  readonly policy: DependencyPolicy;
  /** Per-instance counters used while Redis is unreachable (a MemoryRateLimiter). */
  readonly fallback: RateLimiter;
  /** Prefix of every key (`<prefix>rl:<key>@<window>`). */
  readonly keyPrefix: string;
  readonly clock?: Clock;
  /** Called once per transition: `memory` when Redis became unreachable (with why), `redis` when it is back. */
  readonly onBackendChange?: (backend: LimiterBackend, reason: string | null) => void;
}

const UNCAPPED = Number.MAX_SAFE_INTEGER;
/** After a reconnect, how often the probe is tried again while the breaker still refuses it. */
const PROBE_RETRY_MS = 250;

// Takes back one attempt only where one is counted: atomic, so two refunds never go below zero,
// and a missing (expired) window is not created.
const REFUND = "local v = tonumber(redis.call('GET', KEYS[1])) if v and v > 0 then return redis.call('DECR', KEYS[1]) end return 0";

/** Escapes Redis glob characters, so a key is matched literally by SCAN MATCH. */
const glob = (s: string) => s.replace(/[*?[\]\\]/g, '\\$&');

/**
 * The RateLimiter port on rate-limiter-flexible's Redis store (`RateLimiterRedis`: one Lua script
 * per hit, `SET NX EX` + `INCRBY`, so every instance shares one atomic count). Windows are fixed and
 * aligned on the clock exactly as in `MemoryRateLimiter` (the stored key carries the window's
 * number), so the two backends answer alike.
 *
 * Every command runs through `policy` (the `redis` resilience policy: deadline, cockatiel circuit
 * breaker, bulkhead). A call whose command fails, times out or is refused by the policy counts in
 * `fallback`, per instance: while the breaker is open the policy refuses without touching Redis;
 * once its cool-down is over, the next call is the half-open probe and goes to Redis. While the
 * connection is down ioredis fails each command at once (no offline queue), which the breaker
 * counts like any outage. A full bulkhead is load, not an outage: that one call counts in memory
 * and the backend does not change. `onBackendChange` is called once per transition and `backend`
 * tells which one counts now; after a reconnect a PING through the policy (retried while the
 * breaker still refuses it) brings counting back without waiting for traffic. Counts are not
 * carried across a transition: after an outage the Redis counts resume where they were.
 */
export class RedisRateLimiter implements RateLimiter {
  readonly #rl: RateLimiterRedis;
  readonly #redis: RedisHandle;
  readonly #policy: DependencyPolicy;
  readonly #fallback: RateLimiter;
  readonly #clock: Clock;
  readonly #prefix: string;
  readonly #onChange: ((backend: LimiterBackend, reason: string | null) => void) | undefined;
  #backend: LimiterBackend = 'redis';
  #probing = false;

  constructor(opts: RedisRateLimiterOptions) {
    this.#redis = opts.redis;
    this.#policy = opts.policy;
    this.#fallback = opts.fallback;
    this.#clock = opts.clock ?? systemClock;
    this.#prefix = `${opts.keyPrefix}rl`;
    this.#onChange = opts.onBackendChange;
    this.#rl = new RateLimiterRedis({ storeClient: opts.redis.client, keyPrefix: this.#prefix, points: UNCAPPED, duration: 1, rejectIfRedisNotReady: true });
    opts.redis.client.on('close', () => this.#down('connection lost'));
    opts.redis.client.on('ready', () => this.#probe());
    if (!opts.redis.ready()) this.#down('not connected');
  }

  /** Which backend counts now: `redis`, or `memory` while Redis is unreachable. */
  get backend(): LimiterBackend {
    return this.#backend;
  }

  #down(reason: string): void {
    if (this.#backend === 'memory') return;
    this.#backend = 'memory';
    this.#onChange?.('memory', reason);
  }

  #up(): void {
    if (this.#backend === 'redis') return;
    this.#backend = 'redis';
    this.#onChange?.('redis', null);
  }

  #failed(e: unknown): void {
    if (e instanceof DependencyUnavailableError && e.why === 'bulkhead_full') return;
    this.#down(e instanceof Error ? e.message.slice(0, 200) : 'redis command failed');
  }

  /** After a reconnect: a PING through the policy (the half-open probe when the breaker is open); retried while refused. */
  #probe(): void {
    if (this.#probing || this.#backend === 'redis' || !this.#redis.ready()) return;
    this.#probing = true;
    this.#policy
      .execute(() => this.#redis.client.ping())
      .then(
        () => {
          this.#probing = false;
          this.#up();
        },
        () => {
          this.#probing = false;
          setTimeout(() => this.#probe(), PROBE_RETRY_MS).unref();
        },
      );
  }

  async hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult> {
    const now = this.#clock.now();
    const { stored, endsAt } = windowSlot(now, key, windowSeconds);
    try {
      const res = await this.#policy.execute(() => this.#rl.consume(stored, 1, { customDuration: Math.max(1, windowSeconds) * 2 }));
      if (this.#backend === 'memory') this.#up();
      return limitResult(res.consumedPoints, limit, endsAt, now);
    } catch (e) {
      this.#failed(e);
    }
    return this.#fallback.hit(key, limit, windowSeconds);
  }

  async refund(key: string, windowSeconds: number): Promise<void> {
    const stored = this.#rl.getKey(windowSlot(this.#clock.now(), key, windowSeconds).stored);
    try {
      await this.#policy.execute(() => this.#redis.client.eval(REFUND, 1, stored));
      if (this.#backend === 'memory') this.#up();
      return;
    } catch (e) {
      this.#failed(e);
    }
    return this.#fallback.refund(key, windowSeconds);
  }

  async peek(key: string, windowSeconds: number): Promise<number> {
    const stored = windowSlot(this.#clock.now(), key, windowSeconds).stored;
    try {
      const res = await this.#policy.execute(() => this.#rl.get(stored));
      if (this.#backend === 'memory') this.#up();
      return res ? res.consumedPoints : 0;
    } catch (e) {
      this.#failed(e);
    }
    return this.#fallback.peek(key, windowSeconds);
  }

  /** One DEL of the current window's key (no scan); fails with GH_STORE_UNAVAILABLE while Redis cannot be reached. */
  async reset(key: string, windowSeconds: number): Promise<void> {
    await this.#fallback.reset(key, windowSeconds);
    const stored = windowSlot(this.#clock.now(), key, windowSeconds).stored;
    try {
      await this.#policy.execute(() => this.#rl.delete(stored));
    } catch (e) {
      this.#failed(e);
      throw new GatehouseError('GH_STORE_UNAVAILABLE', `Redis unreachable, counter not cleared: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * Clears the key in Redis and in this instance's fallback; fails with GH_STORE_UNAVAILABLE when
   * Redis cannot be reached or the breaker is open (an operator must know).
   */
  async resetPrefix(prefix: string): Promise<number> {
    const local = await this.#fallback.resetPrefix(prefix);
    return local + (await this.#forget(`${glob(this.#rl.getKey(prefix))}*`, () => true));
  }

  async #forget(pattern: string, match: (k: string) => boolean): Promise<number> {
    try {
      return await this.#scanDelete(pattern, match);
    } catch (e) {
      throw new GatehouseError('GH_STORE_UNAVAILABLE', `Redis unreachable, counters not cleared: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  async #scanDelete(pattern: string, match: (k: string) => boolean): Promise<number> {
    const { client } = this.#redis;
    let cursor = '0';
    let n = 0;
    do {
      const at = cursor;
      const [next, keys] = await this.#policy.execute(() => client.scan(at, 'MATCH', pattern, 'COUNT', 1000));
      cursor = next;
      const mine = keys.filter(match);
      if (mine.length) n += await this.#policy.execute(() => client.del(...mine));
    } while (cursor !== '0');
    return n;
  }
}

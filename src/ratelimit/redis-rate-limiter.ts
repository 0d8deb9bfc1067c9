import type { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { GatehouseError } from '../core/errors.ts';
import { systemClock, type Clock } from '../core/ports/clock.ts';
import type { RateLimiter, RateLimitResult } from '../core/ports/rate-limiter.ts';
import { limitResult, windowSlot } from './memory-rate-limiter.ts';

/** The process's Redis connection as this adapter sees it (opened by src/redis, handed over by compose). */
export interface RedisHandle {
  readonly client: Redis;
  ready(): boolean;
}

export type LimiterBackend = 'redis' | 'memory';

export interface RedisRateLimiterOptions {
  readonly redis: RedisHandle;
  /** Per-instance counters used while Redis is unreachable (a MemoryRateLimiter). */
  readonly fallback: RateLimiter;
  /** Prefix of every key (`<prefix>rl:<key>@<window>`). */
  readonly keyPrefix: string;
  readonly clock?: Clock;
  /** Called once per transition: `memory` when Redis became unreachable (with why), `redis` when it is back. */
  readonly onBackendChange?: (backend: LimiterBackend, reason: string | null) => void;
}

const UNCAPPED = Number.MAX_SAFE_INTEGER;
/** How long calls stay on the fallback after a command failed or timed out while connected. */
const RETRY_AFTER_FAILURE_MS = 1000;

// Takes back one attempt only where one is counted: atomic, so two refunds never go below zero,
// and a missing (expired) window is not created.
const REFUND = "local v = tonumber(redis.call('GET', KEYS[1])) if v and v > 0 then return redis.call('DECR', KEYS[1]) end return 0";

/** Escapes Redis glob characters, so a key is matched literally by SCAN MATCH. */
const glob = (s: string) => s.replace(/[*?[\]\\]/g, '\\$&');

/**
 * The RateLimiter port on rate-limiter-flexible's Redis store (`RateLimiterRedis`: one Lua script
 * per hit, `SET NX EX` + `INCRBY`, so every instance shares one atomic count). Windows are fixed and
 * aligned on the clock exactly as in `MemoryRateLimiter` (the stored key carries the window's
 * number), so the two backends answer alike. While Redis is unreachable (connection down, a
 * command failed or timed out) each call goes to `fallback`, per instance; `onBackendChange` is
 * called once per transition and `backend` tells which one counts now. Counts are not carried
 * across a transition: after an outage the Redis counts resume where they were.
 */
export class RedisRateLimiter implements RateLimiter {
  readonly #rl: RateLimiterRedis;
  readonly #redis: RedisHandle;
  readonly #fallback: RateLimiter;
  readonly #clock: Clock;
  readonly #prefix: string;
  readonly #onChange: ((backend: LimiterBackend, reason: string | null) => void) | undefined;
  #backend: LimiterBackend = 'redis';
  /** After a failed command on a live connection (a slow Redis), calls skip Redis until then (ms, wall clock). */
  #retryAt = 0;

  constructor(opts: RedisRateLimiterOptions) {
    this.#redis = opts.redis;
    this.#fallback = opts.fallback;
    this.#clock = opts.clock ?? systemClock;
    this.#prefix = `${opts.keyPrefix}rl`;
    this.#onChange = opts.onBackendChange;
    this.#rl = new RateLimiterRedis({ storeClient: opts.redis.client, keyPrefix: this.#prefix, points: UNCAPPED, duration: 1, rejectIfRedisNotReady: true });
    opts.redis.client.on('close', () => this.#down('connection lost'));
    opts.redis.client.on('ready', () => {
      this.#retryAt = 0;
      this.#up();
    });
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
    this.#retryAt = Date.now() + RETRY_AFTER_FAILURE_MS;
    this.#down(e instanceof Error ? e.message.slice(0, 200) : 'redis command failed');
  }

  /** Redis is worth asking: connected, and not within the pause after a failed command. */
  #usable(): boolean {
    return this.#redis.ready() && (this.#retryAt === 0 || Date.now() >= this.#retryAt);
  }

  async hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult> {
    if (this.#usable()) {
      const now = this.#clock.now();
      const { stored, endsAt } = windowSlot(now, key, windowSeconds);
      try {
        const res = await this.#rl.consume(stored, 1, { customDuration: Math.max(1, windowSeconds) * 2 });
        if (this.#backend === 'memory') {
          this.#retryAt = 0;
          this.#up();
        }
        return limitResult(res.consumedPoints, limit, endsAt, now);
      } catch (e) {
        this.#failed(e);
      }
    }
    return this.#fallback.hit(key, limit, windowSeconds);
  }

  async refund(key: string, windowSeconds: number): Promise<void> {
    if (this.#usable()) {
      try {
        await this.#redis.client.eval(REFUND, 1, this.#rl.getKey(windowSlot(this.#clock.now(), key, windowSeconds).stored));
        return;
      } catch (e) {
        this.#failed(e);
      }
    }
    return this.#fallback.refund(key, windowSeconds);
  }

  async peek(key: string, windowSeconds: number): Promise<number> {
    if (this.#usable()) {
      try {
        const res = await this.#rl.get(windowSlot(this.#clock.now(), key, windowSeconds).stored);
        return res ? res.consumedPoints : 0;
      } catch (e) {
        this.#failed(e);
      }
    }
    return this.#fallback.peek(key, windowSeconds);
  }

  async reset(key: string): Promise<void> {
    const full = this.#rl.getKey(key);
    await this.#fallback.reset(key);
    await this.#forget(`${glob(full)}@*`, (k) => k.slice(0, k.lastIndexOf('@')) === full);
  }

  /** Clears the key in Redis and in this instance's fallback; fails when Redis cannot be reached (an operator must know). */
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
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      const mine = keys.filter(match);
      if (mine.length) n += await client.del(...mine);
    } while (cursor !== '0');
    return n;
  }
}

import { RateLimiterMemory, type RateLimiterRes } from 'rate-limiter-flexible';
import type { Clock } from '../core/ports/clock.ts';
import type { RateLimiter, RateLimitResult } from '../core/ports/rate-limiter.ts';

/**
 * No cap of its own: every key carries its own limit (`hit(key, limit, …)`), so the backend's
 * `points` is never the refusal; the count it returns is compared with the caller's limit.
 */
const UNCAPPED = Number.MAX_SAFE_INTEGER;

function result(res: RateLimiterRes, limit: number): RateLimitResult {
  const count = res.consumedPoints;
  if (count <= limit) return { allowed: true, retryAfter: 0, count };
  return { allowed: false, retryAfter: Math.max(1, Math.ceil(res.msBeforeNext / 1000)), count };
}

/**
 * The RateLimiter port on rate-limiter-flexible's in-process backend (`RateLimiterMemory`): each
 * `consume` is one synchronous increment on the event loop, so it is atomic in this process; each
 * key's window is `customDuration`, and an expired record is deleted by its own (unref'd) timer.
 * With several instances each counts its own attempts (the shared Redis backend comes with the
 * operations work: the same calls on `RateLimiterRedis`).
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly #rl = new RateLimiterMemory({ points: UNCAPPED, duration: 1 });

  /**
   * `clock` is accepted from callers of the earlier hand-written adapter and NOT used:
   * rate-limiter-flexible reads `Date.now()` (tests move time with node:test's mock timers).
   */
  constructor(_opts: { readonly clock?: Clock } = {}) {}

  async hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult> {
    return result(await this.#rl.consume(key, 1, { customDuration: Math.max(1, windowSeconds) }), limit);
  }

  async refund(key: string): Promise<void> {
    // Only inside a live window with something counted: a refund never opens a window of its own.
    const current = await this.#rl.get(key);
    if (current && current.consumedPoints > 0 && current.msBeforeNext > 0) await this.#rl.reward(key, 1);
  }

  async reset(key: string): Promise<void> {
    await this.#rl.delete(key);
  }

  async resetPrefix(prefix: string): Promise<number> {
    const keys = this.#rl.dump().storage.map((e) => String(e.key)).filter((k) => k.startsWith(prefix));
    for (const k of keys) await this.#rl.delete(k);
    return keys.length;
  }

  /** Keys held now (tests of expiry). */
  get size(): number {
    return this.#rl.dump().storage.length;
  }
}

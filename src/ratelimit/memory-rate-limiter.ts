import { RateLimiterMemory } from 'rate-limiter-flexible';
import { systemClock, type Clock } from '../core/ports/clock.ts';
import type { RateLimiter, RateLimitResult } from '../core/ports/rate-limiter.ts';

/**
 * No cap of its own: every key carries its own limit (`hit(key, limit, …)`), so the backend's
 * `points` is never the refusal; the count it returns is compared with the caller's limit.
 */
const UNCAPPED = Number.MAX_SAFE_INTEGER;

/**
 * The RateLimiter port on rate-limiter-flexible's in-process backend (`RateLimiterMemory`): each
 * `consume` is one synchronous increment on the event loop, so it is atomic in this process.
 * Windows are fixed and aligned on the injected clock (S14: tests move time, never sleep): the
 * stored key carries the window's number, so a new window is a new record and the backend's own
 * timer (`customDuration`) only frees memory. With several instances each counts its own attempts
 * (the shared backend is `RedisRateLimiter`: the same calls on `RateLimiterRedis`).
 */
export interface WindowSlot {
  /** The stored key: the caller's key and the window's number (`key@n`). */
  readonly stored: string;
  readonly endsAt: number;
}

/** The fixed window `now` falls in, aligned on the epoch: the same on every instance sharing a store. */
export function windowSlot(now: number, key: string, windowSeconds: number): WindowSlot {
  const ms = Math.max(1, windowSeconds) * 1000;
  const n = Math.floor(now / ms);
  return { stored: `${key}@${n}`, endsAt: (n + 1) * ms };
}

/** The port's answer for `count` attempts in a window ending at `endsAt`. */
export function limitResult(count: number, limit: number, endsAt: number, now: number): RateLimitResult {
  if (count <= limit) return { allowed: true, retryAfter: 0, count };
  return { allowed: false, retryAfter: Math.max(1, Math.ceil((endsAt - now) / 1000)), count };
}

export class MemoryRateLimiter implements RateLimiter {
  readonly #rl = new RateLimiterMemory({ points: UNCAPPED, duration: 1 });
  readonly #clock: Clock;

  constructor(opts: { readonly clock?: Clock } = {}) {
    this.#clock = opts.clock ?? systemClock;
  }

  #slot(key: string, windowSeconds: number): WindowSlot {
    return windowSlot(this.#clock.now(), key, windowSeconds);
  }

  async hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult> {
    const { stored, endsAt } = this.#slot(key, windowSeconds);
    const res = await this.#rl.consume(stored, 1, { customDuration: Math.max(1, windowSeconds) * 2 });
    return limitResult(res.consumedPoints, limit, endsAt, this.#clock.now());
  }

  async refund(key: string, windowSeconds: number): Promise<void> {
    const { stored } = this.#slot(key, windowSeconds);
    // Only inside a live window with something counted: a refund never opens a window of its own.
    const current = await this.#rl.get(stored);
    if (!current || current.consumedPoints <= 0) return;
    // Refunds racing past the check each see their own result: one that went below zero undoes itself.
    const after = await this.#rl.reward(stored, 1);
    if (after.consumedPoints < 0) await this.#rl.penalty(stored, 1);
  }

  async peek(key: string, windowSeconds: number): Promise<number> {
    const current = await this.#rl.get(this.#slot(key, windowSeconds).stored);
    return current ? current.consumedPoints : 0;
  }

  async reset(key: string, windowSeconds: number): Promise<void> {
    await this.#rl.delete(this.#slot(key, windowSeconds).stored);
  }

  async resetPrefix(prefix: string): Promise<number> {
    const n = await this.#forget((k) => k.startsWith(prefix));
    return n;
  }

  async #forget(match: (stored: string) => boolean): Promise<number> {
    const keys = this.#rl
      .dump()
      .storage.map((e) => String(e.key))
      .filter(match);
    for (const k of keys) await this.#rl.delete(k);
    return keys.length;
  }

  /** Records held now (tests of expiry). */
  get size(): number {
    return this.#rl.dump().storage.length;
  }
}

import type { Clock } from '../core/ports/clock.ts';
import type { RateLimiter, RateLimitResult } from '../core/ports/rate-limiter.ts';

export interface MemoryRateLimiterOptions {
  readonly clock: Clock;
  /** Most keys held at once; past it the oldest window is dropped (default 100 000). */
  readonly maxKeys?: number;
}

interface Window {
  readonly endsAt: number; // epoch milliseconds
  count: number;
}

/** How often, at most, the whole table is swept for expired windows. */
const SWEEP_EVERY_MS = 1000;

/**
 * Fixed-window counter in one process. A window opens at a key's first attempt and lasts
 * `windowSeconds`; `hit` checks and counts with no `await` between, so it is atomic on one
 * event loop. Memory is bounded: expired windows are swept (at most once a second, by the
 * injected clock) and the table never holds more than `maxKeys` windows (oldest dropped first:
 * dropping a window can only let its key try again early, never lock anyone out).
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly #clock: Clock;
  readonly #maxKeys: number;
  readonly #windows = new Map<string, Window>();
  #nextSweep = 0;

  constructor(opts: MemoryRateLimiterOptions) {
    this.#clock = opts.clock;
    this.#maxKeys = opts.maxKeys ?? 100_000;
  }

  async hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult> {
    const now = this.#clock.now();
    this.#sweep(now);
    let w = this.#windows.get(key);
    if (!w || w.endsAt <= now) {
      // Re-insert so Map order stays oldest-window-first for the size bound.
      this.#windows.delete(key);
      w = { endsAt: now + windowSeconds * 1000, count: 0 };
      this.#windows.set(key, w);
      this.#bound();
    }
    w.count++;
    if (w.count <= limit) return { allowed: true, retryAfter: 0 };
    return { allowed: false, retryAfter: Math.max(1, Math.ceil((w.endsAt - now) / 1000)) };
  }

  async check(key: string, limit: number): Promise<RateLimitResult> {
    const now = this.#clock.now();
    const w = this.#windows.get(key);
    if (!w || w.endsAt <= now || w.count < limit) return { allowed: true, retryAfter: 0 };
    return { allowed: false, retryAfter: Math.max(1, Math.ceil((w.endsAt - now) / 1000)) };
  }

  async reset(key: string): Promise<void> {
    this.#windows.delete(key);
  }

  /** Number of windows held (for tests of the memory bound). */
  get size(): number {
    return this.#windows.size;
  }

  #sweep(now: number): void {
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + SWEEP_EVERY_MS;
    for (const [key, w] of this.#windows) if (w.endsAt <= now) this.#windows.delete(key);
  }

  #bound(): void {
    for (const key of this.#windows.keys()) {
      if (this.#windows.size <= this.#maxKeys) return;
      this.#windows.delete(key);
    }
  }
}

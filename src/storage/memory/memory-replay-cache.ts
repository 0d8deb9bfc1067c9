import { epochSeconds, type Clock } from '../../core/ports/clock.ts';
import type { ReplayCache } from '../../core/ports/replay-cache.ts';

/**
 * Single-use keys. An entry whose `expiresAt` has passed (by the injected clock) no longer blocks
 * a new use of the same key; the check and the write happen without an intervening `await`.
 */
export class MemoryReplayCache implements ReplayCache {
  readonly #rows = new Map<string, number>();
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  async useOnce(key: string, expiresAt: number): Promise<boolean> {
    const existing = this.#rows.get(key);
    if (existing !== undefined && existing > epochSeconds(this.#clock)) return false;
    this.#rows.set(key, expiresAt);
    return true;
  }

  async purgeExpired(before: number): Promise<number> {
    let n = 0;
    for (const [key, expiresAt] of this.#rows) {
      if (expiresAt < before) {
        this.#rows.delete(key);
        n++;
      }
    }
    return n;
  }
}

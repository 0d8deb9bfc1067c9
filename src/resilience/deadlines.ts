/** A call that ran out of time. */
export class DeadlineExceededError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'DeadlineExceededError';
  }
}

/** One call in flight; `expired` tells a call still queued in a bulkhead not to start. */
export interface Deadline {
  expired: boolean;
  readonly at: number;
  readonly reject: (e: Error) => void;
}

/**
 * An aggressive timeout shared by every call of one policy: the caller gets
 * `DeadlineExceededError` once `ms` have passed, whether or not the call ever settles.
 *
 * Why not cockatiel's `TimeoutPolicy`: it allocates an AbortController, an abort listener, a timer
 * and a `Promise.race` per call, measured at 20–40 µs a call on the bench machine
 * (`bench/store-guard.ts`), more than a PostgreSQL primary-key read. All calls of one policy share
 * one duration, so they expire in the order they started: one coarse timer walks them from the
 * oldest and stops at the first still in time. A call then costs a promise and a Set entry.
 * Expiry is late by at most one tick (`ms / 8`, 5–100 ms).
 */
export class Deadlines {
  readonly #ms: number;
  readonly #tick: number;
  readonly #pending = new Set<Deadline>();
  #timer: NodeJS.Timeout | null = null;
  readonly #error: DeadlineExceededError;

  constructor(ms: number) {
    this.#ms = ms;
    this.#tick = Math.min(100, Math.max(5, Math.floor(ms / 8)));
    this.#error = new DeadlineExceededError(ms);
  }

  /** Runs `start` with its deadline; the result settles with the call or with the timeout, whichever is first. */
  run<T>(start: (d: Deadline) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const d: Deadline = { expired: false, at: performance.now() + this.#ms, reject };
      this.#pending.add(d);
      if (this.#timer === null) this.#arm();
      start(d).then(
        (v) => {
          this.#pending.delete(d);
          resolve(v);
        },
        (e: unknown) => {
          this.#pending.delete(d);
          reject(e);
        },
      );
    });
  }

  #arm(): void {
    this.#timer = setInterval(() => this.#sweep(), this.#tick);
    this.#timer.unref();
  }

  #sweep(): void {
    const now = performance.now();
    for (const d of this.#pending) {
      if (d.at > now) break;
      this.#pending.delete(d);
      d.expired = true;
      d.reject(this.#error);
    }
    if (this.#pending.size === 0 && this.#timer !== null) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }
}

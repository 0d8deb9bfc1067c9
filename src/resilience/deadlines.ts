/** A call that ran out of time. */
export class DeadlineExceededError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'DeadlineExceededError';
  }
}

/** One call in flight; `expired` tells a call still queued in a bulkhead not to start. */
export class Deadline {
  expired = false;
  prev: Deadline | null = null;
  next: Deadline | null = null;
  readonly at: number;
  readonly reject: (e: Error) => void;
  constructor(at: number, reject: (e: Error) => void) {
    this.at = at;
    this.reject = reject;
  }
}

/**
 * An aggressive timeout shared by every call of one policy: the caller gets
 * `DeadlineExceededError` once `ms` have passed, whether or not the call ever settles.
 *
 * Why not cockatiel's `TimeoutPolicy`: it allocates an AbortController, an abort listener, a timer
 * and a `Promise.race` per call, measured at 20–60 µs a call on the bench machine
 * (`bench/store-guard.ts`), more than a PostgreSQL primary-key read. All calls of one policy share
 * one duration, so they expire in the order they started: they wait in a linked list in start
 * order, and one coarse timer walks it from the oldest and stops at the first still in time. A
 * call then costs a promise and a list node. Expiry is late by at most one tick (`ms / 8`,
 * 5–100 ms).
 */
export class Deadlines {
  readonly #ms: number;
  readonly #tick: number;
  #head: Deadline | null = null;
  #tail: Deadline | null = null;
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
      const d = new Deadline(performance.now() + this.#ms, reject);
      this.#push(d);
      start(d).then(
        (v) => {
          this.#remove(d);
          resolve(v);
        },
        (e: unknown) => {
          this.#remove(d);
          reject(e);
        },
      );
    });
  }

  #push(d: Deadline): void {
    d.prev = this.#tail;
    if (this.#tail) this.#tail.next = d;
    else this.#head = d;
    this.#tail = d;
    if (this.#timer === null) {
      // Referenced, like any pending timeout; it stops as soon as no call is waiting.
      this.#timer = setInterval(() => this.#sweep(), this.#tick);
    }
  }

  #remove(d: Deadline): void {
    if (d.expired) return;
    if (d.prev) d.prev.next = d.next;
    else this.#head = d.next;
    if (d.next) d.next.prev = d.prev;
    else this.#tail = d.prev;
    d.prev = d.next = null;
  }

  #sweep(): void {
    const now = performance.now();
    while (this.#head !== null && this.#head.at <= now) {
      const d = this.#head;
      this.#remove(d);
      d.expired = true;
      d.reject(this.#error);
    }
    if (this.#head === null && this.#timer !== null) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }
}

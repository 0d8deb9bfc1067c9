export interface RateLimitResult {
  readonly allowed: boolean;
  /** Seconds until the next attempt is allowed (0 when allowed). */
  readonly retryAfter: number;
}

/**
 * Fixed-window attempt counter (brute force on user codes and passwords).
 * Adapters guarantee: `hit` counts one attempt atomically and answers whether it is within
 * `limit` attempts per `windowSeconds` for `key`; `check` answers whether `limit` attempts have
 * already been counted in the current window, without counting; `reset` forgets a key.
 */
export interface RateLimiter {
  hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult>;
  check(key: string, limit: number): Promise<RateLimitResult>;
  reset(key: string): Promise<void>;
}

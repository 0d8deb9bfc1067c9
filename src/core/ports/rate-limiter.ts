export interface RateLimitResult {
  readonly allowed: boolean;
  /** Seconds until the next attempt is allowed (0 when allowed). */
  readonly retryAfter: number;
}

/**
 * Fixed-window attempt counter (brute force on user codes and passwords).
 * Adapters guarantee: `hit` counts one attempt atomically and answers whether it is within
 * `limit` attempts per `windowSeconds` for `key`; `reset` forgets a key (after a success).
 */
export interface RateLimiter {
  hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult>;
  reset(key: string): Promise<void>;
}

export interface RateLimitResult {
  readonly allowed: boolean;
  /** Seconds until the next attempt is allowed (0 when allowed). */
  readonly retryAfter: number;
  /** Attempts counted for the key in its current window, this one included. */
  readonly count: number;
}

/**
 * Fixed-window attempt counters (sign-in throttling, user-code lookups). Adapters guarantee:
 * - `hit` counts one attempt and answers in ONE atomic step (no read-then-write across callers,
 *   across instances for a shared backend): allowed while the count is ≤ `limit`; a window of
 *   `windowSeconds` is fixed (aligned on the injected clock in memory). A refused attempt is still counted.
 * - `refund` takes back one attempt an earlier `hit` (same `windowSeconds`) counted in the key's current window; it never
 *   takes the count below zero and never opens a window (a refund after expiry does nothing).
 * - `peek` says how many attempts the key's current window holds, counting nothing (a check before
 *   work that only failures add to: the client-authentication penalty bucket).
 * - `reset` forgets the key's current window of `windowSeconds` (the only one that counts in a
 *   fixed-window limiter): one delete, no scan, so it may run on a request path (a correct
 *   password clears its pair counter). `resetPrefix` forgets every key that starts with `prefix`
 *   (operator unlocks: may scan, never on a request path) and says how many it forgot.
 * - Expired windows are dropped by the adapter; keys are opaque strings it never logs.
 */
export interface RateLimiter {
  hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult>;
  refund(key: string, windowSeconds: number): Promise<void>;
  peek(key: string, windowSeconds: number): Promise<number>;
  reset(key: string, windowSeconds: number): Promise<void>;
  resetPrefix(prefix: string): Promise<number>;
}

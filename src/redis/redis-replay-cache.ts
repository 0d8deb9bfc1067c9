import type { Redis } from 'ioredis';
import type { ReplayCache } from '../core/ports/replay-cache.ts';
import type { DependencyPolicy } from '../resilience/index.ts';

export interface RedisReplayCacheOptions {
  readonly redis: { readonly client: Redis };
  /** The `redis` resilience policy (deadline, breaker, bulkhead): the one command runs through it. */
  readonly policy: DependencyPolicy;
  /** The store's own replay cache (SQL, or memory for `memory:`): the record that outlives a Redis outage. */
  readonly store: ReplayCache;
  readonly keyPrefix: string;
  /** Called when a Redis call fails (the store alone then decides). */
  readonly onError?: (e: unknown) => void;
}

/**
 * The `jti` replay cache (client assertions, DPoP proofs) with Redis in front of the store (`redis.url` set).
 *
 * `useOnce` asks Redis first (`SET key 1 NX EXAT expiresAt`, one atomic step, through the `redis`
 * resilience policy): a replay is refused there without touching the store. A first use is then
 * also recorded in the store, whose `useOnce` has the last word. While Redis is unreachable (down,
 * a command fails or times out, or the policy's breaker is open and refuses without touching
 * Redis) the store alone decides: fail closed, never a per-instance memory fallback. Because every
 * accepted key is in the store, a key used before an outage through Redis is refused by the store
 * during the outage, and a key used during the outage through the store is refused after Redis
 * is back (Redis says new, the store says used). What this costs: a first use writes both;
 * what it buys: replays and the fallback never rely on a memory that one instance alone holds.
 */
export class RedisReplayCache implements ReplayCache {
  readonly #opts: RedisReplayCacheOptions;
  readonly #prefix: string;

  constructor(opts: RedisReplayCacheOptions) {
    this.#opts = opts;
    this.#prefix = `${opts.keyPrefix}jti:`;
  }

  async useOnce(key: string, expiresAt: number): Promise<boolean> {
    const { redis, policy, store } = this.#opts;
    try {
      // Connection down: ioredis fails at once (no offline queue), and the breaker counts it.
      const set = await policy.execute(() => redis.client.set(this.#prefix + key, '1', 'EXAT', Math.max(1, Math.ceil(expiresAt)), 'NX'));
      if (set === null) return false;
    } catch (e) {
      this.#opts.onError?.(e);
    }
    return store.useOnce(key, expiresAt);
  }

  /** Redis expires its own keys (EXAT); the store's entries are purged as before. */
  purgeExpired(before: number): Promise<number> {
    return this.#opts.store.purgeExpired(before);
  }
}

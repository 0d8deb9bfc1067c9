import type { Storage } from '../ports/storage.ts';
import { epochSeconds, type Clock } from '../ports/clock.ts';

/** Stores that keep expiring records, each with `purgeExpired(before)`. */
export type PurgeableStores = Pick<Storage, 'tokens' | 'denylist' | 'replay' | 'sessions' | 'codes' | 'deviceCodes' | 'par'>;

export interface PurgeReport {
  readonly removed: Readonly<Record<keyof PurgeableStores, number>>;
  readonly failed: readonly string[];
}

/** Stores purged as soon as their records expire: no later check needs an expired one. */
const PURGED_AT_EXPIRY: ReadonlySet<keyof PurgeableStores> = new Set(['denylist', 'replay', 'par']);

/**
 * Deletes records that can no longer be used: expired tokens (kept `retention` seconds past
 * expiry so introspection and reuse detection still see recently expired ones), denylist entries,
 * replay-cache keys, sessions past their absolute end, codes, device codes and pushed requests.
 * Each store is purged independently: one failing store does not stop the others.
 *
 * The denylist and replay cache must keep entries until they expire, never longer. So must pushed
 * requests: an expired request_uri is refused as an unknown one is (RFC 9126 §2.2 `expires_in`)
 * and its reuse revokes nothing, so keeping it past expiry would only keep its parameters.
 */
export async function purgeExpired(stores: PurgeableStores, clock: Clock, retention: number): Promise<PurgeReport> {
  const now = epochSeconds(clock);
  const before = now - retention;
  const removed: Record<string, number> = {};
  const failed: string[] = [];
  for (const name of ['tokens', 'denylist', 'replay', 'sessions', 'codes', 'deviceCodes', 'par'] as const) {
    try {
      removed[name] = await stores[name].purgeExpired(PURGED_AT_EXPIRY.has(name) ? now : before);
    } catch (e) {
      removed[name] = 0;
      failed.push(`${name}: ${(e as Error).message}`);
    }
  }
  return { removed: removed as PurgeReport['removed'], failed };
}

export interface PurgeSchedule {
  start(): void;
  stop(): void;
}

/** Runs `purgeExpired` every `intervalSeconds` (0 disables); timers never keep the process alive. */
export function schedulePurge(run: () => Promise<unknown>, intervalSeconds: number): PurgeSchedule {
  let timer: ReturnType<typeof setInterval> | null = null;
  let running = false;
  return {
    start() {
      if (intervalSeconds <= 0 || timer) return;
      timer = setInterval(() => {
        if (running) return;
        running = true;
        run()
          .catch(() => {})
          .finally(() => {
            running = false;
          });
      }, intervalSeconds * 1000);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}

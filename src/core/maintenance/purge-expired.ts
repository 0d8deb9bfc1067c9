import type { Storage } from '../ports/storage.ts';
import { epochSeconds, type Clock } from '../ports/clock.ts';

/** Stores that keep expiring records, each with `purgeExpired(before)`. */
export type PurgeableStores = Pick<Storage, 'tokens' | 'denylist' | 'replay' | 'sessions' | 'codes' | 'deviceCodes' | 'par'>;

export interface PurgeReport {
  readonly removed: Readonly<Record<keyof PurgeableStores, number>>;
  readonly failed: readonly string[];
}

/**
 * Deletes records that can no longer be used: expired tokens (kept `retention` seconds past
 * expiry so introspection and reuse detection still see recently expired ones), denylist entries,
 * replay-cache keys, sessions past their absolute end, codes, device codes and pushed requests.
 * Each store is purged independently: one failing store does not stop the others.
 */
export async function purgeExpired(stores: PurgeableStores, clock: Clock, retention: number): Promise<PurgeReport> {
  const now = epochSeconds(clock);
  const before = now - retention;
  const removed: Record<string, number> = {};
  const failed: string[] = [];
  for (const name of ['tokens', 'denylist', 'replay', 'sessions', 'codes', 'deviceCodes', 'par'] as const) {
    try {
      // The denylist and replay cache must keep entries until they expire, never longer is needed.
      removed[name] = await stores[name].purgeExpired(name === 'denylist' || name === 'replay' ? now : before);
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
        run().catch(() => {}).finally(() => { running = false; });
      }, intervalSeconds * 1000);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}

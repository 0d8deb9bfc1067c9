import { addressKey } from '../address-key.ts';
import { GatehouseError } from '../errors.ts';
import type { TenantId } from '../model/tenant.ts';
import type { User } from '../model/user.ts';
import type { Sleep } from '../ports/clock.ts';
import type { RateLimiter } from '../ports/rate-limiter.ts';
import type { DeviceCookies } from './device-cookie.ts';
import { userDelayMs } from './sign-in-delay.ts';
import type { UserStore } from '../ports/user-store.ts';
import type { UserService } from './user-service.ts';
import { normalizeUsername } from './user-rules.ts';

/** The `login` config slice the sign-in policy reads (S6, S20; docs/security.md). */
export interface SignInConfig {
  readonly login: {
    readonly maxAttempts: number;
    readonly attemptWindow: number;
    readonly userAddressMaxAttempts: number;
    readonly userAddressWindow: number;
    readonly maxInFlightPerAddress: number;
    readonly userDelayStart: number;
    readonly userDelayMax: number;
    readonly userDelayWindow: number;
    readonly acrValues: readonly string[];
  };
}

export interface SignInDeps {
  readonly rateLimiter: RateLimiter;
  /** The tenant's users (the one user service of the process). */
  readonly userService: Pick<UserService, 'authenticate'>;
  /** Who the typed username is (device cookie, log): by username only, never by id. */
  readonly users: Pick<UserStore, 'findByUsername'>;
  readonly tenantId: TenantId;
  /** The username-wide delay waits through this (S14: tests record it, never sleep). */
  readonly sleep: Sleep;
  readonly deviceCookies: DeviceCookies;
}

export interface SignInAttempt {
  readonly username: string;
  readonly password: string;
  /** The client address as the HTTP layer sees it (after trusted proxies). */
  readonly address: string;
  /** The recognised-device cookie the browser sent, if any. */
  readonly device?: string | undefined;
}

/** Why a sign-in was refused: for the operator's log only, never for the page. */
export type RefusalReason = 'throttled-address' | 'throttled-user-address' | 'busy' | 'bad-credentials';

/**
 * What a password sign-in came to. `throttled`, `busy` and `failed` never say whether the user
 * exists or the password was right; the pages render them as neutral text. `userId` (null when
 * no such user) and `reason` are for the log. `ok` carries the renewed device cookie value.
 */
export type SignInResult =
  | { readonly kind: 'ok'; readonly user: User; readonly amr: readonly string[]; readonly acr: string | null; readonly device: string }
  | { readonly kind: 'throttled'; readonly retryAfter: number; readonly reason: 'throttled-address' | 'throttled-user-address'; readonly userId: string | null }
  | { readonly kind: 'busy'; readonly retryAfter: number; readonly reason: 'busy'; readonly userId: string | null }
  | { readonly kind: 'failed'; readonly reason: 'bad-credentials'; readonly userId: string | null }
  | { readonly kind: 'incomplete' };

export interface PasswordSignIn {
  attempt(input: SignInAttempt): Promise<SignInResult>;
}

/** Seconds a `busy` answer asks the browser to wait (the hash queue drains in well under that). */
export const BUSY_RETRY_AFTER = 2;

/** The limiter keys of one username (`users.unlock` forgets every key under this prefix). */
export const userKeyPrefix = (normalized: string): string => `login:user:${normalized}:`;

/**
 * The per-user keys of one sign-in generation: `users.unlock` changes `signInEpoch` in the store,
 * so every process, with or without Redis, counts the next attempt under new, empty keys.
 */
export const userEpochPrefix = (normalized: string, epoch: number | undefined): string => `${userKeyPrefix(normalized)}e${epoch ?? 0}:`;

/**
 * Password sign-in with brute-force limits (NIST SP 800-63B §5.2.2: "the verifier SHALL implement
 * a rate-limiting mechanism that effectively limits failed authentication attempts"). In order:
 * 1. at most `maxInFlightPerAddress` sign-ins per address are being checked at once;
 * 2. HARD, per address (IPv6 /64): the attempt is counted BEFORE the password is checked (one
 *    atomic `hit`, so parallel requests cannot all pass), and given back on success;
 * 3. HARD, per (username, address), or per (username, recognised device): counted before, cleared
 *    on success; a stranger elsewhere cannot spend it;
 * 4. username-WIDE: a bounded DELAY, never a refusal (a recognised device skips it), so nobody can
 *    lock a named user out;
 * 5. the hash itself: a full hashing queue answers `busy` (503) and gives every count back.
 * Counters use the username as stored (`normalizeUsername`), whether or not the user exists.
 */
export function createPasswordSignIn(deps: SignInDeps, config: SignInConfig): PasswordSignIn {
  const c = config.login;
  const inFlight = new Map<string, number>();
  return {
    async attempt({ username, password, address, device }) {
      const name = username.trim();
      if (!name || !password) return { kind: 'incomplete' };
      const normalized = normalizeUsername(name);
      const addr = addressKey(address);
      const running = inFlight.get(addr) ?? 0;
      if (running >= c.maxInFlightPerAddress) return { kind: 'throttled', retryAfter: 1, reason: 'throttled-address', userId: null };
      inFlight.set(addr, running + 1);
      try {
        const user = normalized === null ? undefined : await deps.users.findByUsername(deps.tenantId, normalized);
        const userId = user?.id ?? null;
        const deviceId = user && device ? deps.deviceCookies.recognise(device, user.id) : null;
        // The user is read before anything is counted, so its sign-in generation is in the keys.
        const userKeys = userEpochPrefix(normalized ?? '!invalid', user?.signInEpoch);
        const counted: [string, number][] = [];
        const addrKey = `login:addr:${addr}`;
        if (!deviceId) {
          const byAddress = await deps.rateLimiter.hit(addrKey, c.maxAttempts, c.attemptWindow);
          if (!byAddress.allowed) return { kind: 'throttled', retryAfter: byAddress.retryAfter, reason: 'throttled-address', userId };
          counted.push([addrKey, c.attemptWindow]);
        }
        const pairKey = `${userKeys}${deviceId ? `device:${deviceId}` : `addr:${addr}`}`;
        const byPair = await deps.rateLimiter.hit(pairKey, c.userAddressMaxAttempts, c.userAddressWindow);
        if (!byPair.allowed) return { kind: 'throttled', retryAfter: byPair.retryAfter, reason: 'throttled-user-address', userId };
        counted.push([pairKey, c.userAddressWindow]);
        const wideKey = `${userKeys}all`;
        if (!deviceId) {
          const wide = await deps.rateLimiter.hit(wideKey, Number.MAX_SAFE_INTEGER, c.userDelayWindow);
          counted.push([wideKey, c.userDelayWindow]);
          const delay = userDelayMs(wide.count - 1, c);
          if (delay > 0) await deps.sleep(delay);
        }
        let signedIn: User | null;
        try {
          signedIn = await deps.userService.authenticate(name, password);
        } catch (e) {
          if (!(e instanceof GatehouseError && e.code === 'GH_BUSY')) throw e;
          // Nothing was checked: every count this attempt made is given back.
          for (const [k, w] of counted) await deps.rateLimiter.refund(k, w);
          return { kind: 'busy', retryAfter: BUSY_RETRY_AFTER, reason: 'busy', userId };
        }
        if (!signedIn) return { kind: 'failed', reason: 'bad-credentials', userId };
        if (!deviceId) await deps.rateLimiter.refund(addrKey, c.attemptWindow);
        if (!deviceId) await deps.rateLimiter.refund(wideKey, c.userDelayWindow);
        // A correct password clears the (user, address) pair's failures. Best effort: a limiter
        // that cannot be reached (a Redis outage) must not turn a good sign-in into an error; the
        // failures then expire with their window.
        await deps.rateLimiter.reset(pairKey, c.userAddressWindow).catch(() => {});
        return { kind: 'ok', user: signedIn, amr: ['pwd'], acr: c.acrValues[0] ?? null, device: deps.deviceCookies.issue(device, signedIn.id) };
      } finally {
        const left = (inFlight.get(addr) ?? 1) - 1;
        if (left > 0) inFlight.set(addr, left);
        else inFlight.delete(addr);
      }
    },
  };
}

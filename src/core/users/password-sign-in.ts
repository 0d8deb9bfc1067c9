import type { User } from '../model/user.ts';
import type { RateLimiter } from '../ports/rate-limiter.ts';
import type { UserService } from './user-service.ts';
import { normalizeUsername } from './user-rules.ts';

/** The `login` config slice the sign-in policy reads (S6, S20). */
export interface SignInConfig {
  readonly login: { readonly maxAttempts: number; readonly attemptWindow: number; readonly acrValues: readonly string[] };
}

export interface SignInDeps {
  readonly rateLimiter: RateLimiter;
  /** The tenant's users (the one user service of the process). */
  readonly userService: Pick<UserService, 'authenticate'>;
}

export interface SignInAttempt {
  readonly username: string;
  readonly password: string;
  /** The client address as the HTTP layer sees it (after trusted proxies). */
  readonly address: string;
}

/**
 * What a password sign-in came to. `throttled` and `failed` never say whether the user exists
 * or the password was right; the pages render both as neutral text.
 */
export type SignInResult =
  | { readonly kind: 'ok'; readonly user: User; readonly amr: readonly string[]; readonly acr: string | null }
  | { readonly kind: 'throttled'; readonly retryAfter: number }
  | { readonly kind: 'failed' }
  | { readonly kind: 'incomplete' };

export interface PasswordSignIn {
  attempt(input: SignInAttempt): Promise<SignInResult>;
}

/**
 * Password sign-in with brute-force limits (NIST SP 800-63B §5.2.2: "the verifier SHALL
 * implement a rate-limiting mechanism that effectively limits failed authentication attempts").
 * Attempts are limited per username and failures per client address; over either limit the
 * answer is `throttled` whether or not the user exists or the password is right. The username's
 * attempt is counted BEFORE the password is checked (one atomic `hit`), so parallel guesses cannot
 * all pass a check while the hashes run; a success forgets it. The address counts only failures
 * (a shared office address signs in all day), checked first; a success does not reset it
 * (password spraying). The key is the username as stored (`normalizeUsername`, bounded); anything
 * that cannot be a username shares one key.
 */
export function createPasswordSignIn(deps: SignInDeps, config: SignInConfig): PasswordSignIn {
  const { maxAttempts, attemptWindow, acrValues } = config.login;
  return {
    async attempt({ username, password, address }) {
      const name = username.trim();
      if (!name || !password) return { kind: 'incomplete' };
      const userKey = `login:user:${normalizeUsername(name) ?? '!invalid'}`;
      const ipKey = `login:ip:${address}`;
      const byAddress = await deps.rateLimiter.check(ipKey, maxAttempts);
      if (!byAddress.allowed) return { kind: 'throttled', retryAfter: Math.max(1, byAddress.retryAfter) };
      const byUser = await deps.rateLimiter.hit(userKey, maxAttempts, attemptWindow);
      if (!byUser.allowed) return { kind: 'throttled', retryAfter: Math.max(1, byUser.retryAfter) };
      const user = await deps.userService.authenticate(name, password);
      if (!user) {
        await deps.rateLimiter.hit(ipKey, maxAttempts, attemptWindow);
        return { kind: 'failed' };
      }
      await deps.rateLimiter.reset(userKey);
      return { kind: 'ok', user, amr: ['pwd'], acr: acrValues[0] ?? null };
    },
  };
}

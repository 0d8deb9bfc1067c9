/** The username-wide delay settings (config `login.userDelayStart` / `userDelayMax`, milliseconds). */
export interface SignInDelayConfig {
  readonly userDelayStart: number;
  readonly userDelayMax: number;
}

/**
 * NIST SP 800-63B §5.2.2 allows, besides a hard limit, "requiring the claimant to wait following a
 * failed attempt for a period of time that increases as the account approaches its maximum
 * allowance". The wait before checking a password for a username that has already failed
 * `failures` times (from anywhere) in the window: 0 at first, then `userDelayStart` doubling per
 * failure, never more than `userDelayMax`. A bounded delay, not a lock: a stranger's guesses can
 * slow the owner down, never shut them out.
 */
export function userDelayMs(failures: number, config: SignInDelayConfig): number {
  if (failures <= 0 || config.userDelayStart <= 0) return 0;
  const doubled = config.userDelayStart * 2 ** Math.min(failures - 1, 30);
  return Math.min(config.userDelayMax, doubled);
}

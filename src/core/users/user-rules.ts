import { GatehouseError } from '../errors.ts';
import { USER_ROLES, type UserRole } from '../model/user.ts';

/** Usernames: 1–64 of ASCII letters, digits and `.` `_` `@` `-`; compared and stored lower-cased. */
const USERNAME = /^[A-Za-z0-9._@-]{1,64}$/;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

/** The stored form of a username, or null when it breaks the rules. */
export function normalizeUsername(username: string): string | null {
  return USERNAME.test(username) ? username.toLowerCase() : null;
}

export function checkUsername(username: string): string {
  const u = normalizeUsername(username);
  if (u === null) {
    throw new GatehouseError('GH_USER_INVALID', 'username must be 1 to 64 characters: letters, digits and . _ @ - only');
  }
  return u;
}

/**
 * NIST SP 800-63B §5.1.1.2: "the verifier SHOULD apply the Normalization Process for Stabilized
 * Strings using either the NFKC or NFKD normalization" — so the same password typed on another
 * keyboard or platform still matches. Lengths are counted in code points after normalization.
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

const length = (s: string) => [...s].length;

/** True when a sign-in attempt's password could be a valid one (cheap check before hashing). */
export function plausiblePassword(password: string): boolean {
  const n = length(password);
  return n >= 1 && n <= PASSWORD_MAX;
}

/**
 * NIST SP 800-63B §5.1.1.2: memorized secrets "SHALL be at least 8 characters in length" and
 * verifiers "SHOULD permit ... at least 64 characters"; all printing characters and spaces are
 * allowed and no composition rules are imposed. We cap at 128 to bound hashing work.
 */
export function checkPassword(password: string): string {
  const p = normalizePassword(password);
  const n = length(p);
  if (n < PASSWORD_MIN || n > PASSWORD_MAX) {
    throw new GatehouseError('GH_USER_INVALID', `password must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters long`);
  }
  // Control characters are almost always a paste or terminal accident (a trailing \r, \x00).
  if (/\p{Cc}/u.test(p)) throw new GatehouseError('GH_USER_INVALID', 'password must not contain control characters');
  return p;
}

export function checkRoles(roles: readonly string[]): UserRole[] {
  if (roles.length === 0) throw new GatehouseError('GH_USER_INVALID', `a user needs at least one role (${USER_ROLES.join(', ')})`);
  for (const r of roles) {
    if (!(USER_ROLES as readonly string[]).includes(r)) {
      throw new GatehouseError('GH_USER_INVALID', `role ${JSON.stringify(r.slice(0, 32))} is not one of ${USER_ROLES.join(', ')}`);
    }
  }
  return [...new Set(roles)] as UserRole[];
}

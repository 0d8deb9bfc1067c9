import { GatehouseError } from '../errors.ts';
import type { UserRole } from '../model/user.ts';

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

/** Most roles or groups one user holds (S20; they travel in tokens). */
export const MAX_ROLES = 64;
export const MAX_GROUPS = 64;
/** Role names: letters, digits and `.` `_` `:` `-` (`billing:read`, `app.admin`), 1-64. */
const ROLE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
/** Group names: as roles, plus `/` for paths (`/org/sales`), 1-128. */
const GROUP = /^[A-Za-z0-9/][A-Za-z0-9._:/ -]{0,127}$/;

function checkNames(kind: 'role' | 'group', names: readonly string[], re: RegExp, max: number, rule: string): string[] {
  if (names.length > max) throw new GatehouseError('GH_USER_INVALID', `a user has at most ${max} ${kind}s (got ${names.length})`);
  for (const n of names) {
    if (!re.test(n)) throw new GatehouseError('GH_USER_INVALID', `${kind} ${JSON.stringify(n.slice(0, 64))} is not a valid ${kind} name (${rule})`);
  }
  return [...new Set(names)];
}

/** Roles (free-form names released under the `roles` scope); an empty list is allowed. */
export function checkRoles(roles: readonly string[]): UserRole[] {
  return checkNames('role', roles, ROLE, MAX_ROLES, '1-64 letters, digits and . _ : -, starting with a letter or digit');
}

/** Groups (released under the `groups` scope). */
export function checkGroups(groups: readonly string[]): string[] {
  return checkNames('group', groups, GROUP, MAX_GROUPS, '1-128 letters, digits, spaces and . _ : / -, starting with a letter, digit or /');
}

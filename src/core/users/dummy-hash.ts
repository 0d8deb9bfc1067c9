import type { PasswordHasher } from '../ports/password-hasher.ts';

/**
 * An argon2id hash (OWASP parameters, m=19456 KiB, t=2, p=1) of 32 random bytes that were thrown
 * away: nothing verifies against it. A sign-in for an unknown username verifies against this, so
 * it costs the same as one for a real user and timing does not reveal whether the user exists.
 */
const FIXED_DUMMY = '$argon2id$v=19$m=19456,t=2,p=1$zc+QaDmZZgizGQeKR/gFXw$AC+QEYr5BGbFAWtaIfm2N7X58oW3AtTH1S4hfxVJYjg';

const computed = new WeakMap<PasswordHasher, Promise<string>>();

/**
 * The dummy hash for this hasher: the fixed one when it matches the hasher's parameters (always
 * in production, so even the first unknown-user sign-in costs one verification); otherwise (a
 * hasher with other parameters, e.g. cheap ones in tests) one made once by the hasher itself.
 */
export function dummyHashFor(hasher: PasswordHasher): Promise<string> {
  if (!hasher.needsRehash(FIXED_DUMMY)) return Promise.resolve(FIXED_DUMMY);
  let p = computed.get(hasher);
  if (!p) {
    p = hasher.hash('gatehouse-dummy-password-never-valid');
    computed.set(hasher, p);
    p.catch(() => computed.delete(hasher));
  }
  return p;
}

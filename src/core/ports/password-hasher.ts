/**
 * User password hashing (S5: argon2id, OWASP parameters, off the event loop).
 * Adapters guarantee:
 * - `hash` returns a self-describing PHC string (algorithm, version, parameters, salt, hash) made
 *   with a fresh random salt; the work runs off the event loop (a thread pool), never blocking it.
 * - `verify` compares in constant time and resolves to false, never throws (but GH_BUSY), for a wrong password
 *   or a PHC string it cannot parse; its cost is set by the parameters inside the PHC string.
 * - Work beyond the adapter's bounded queue is refused at once: `hash`/`verify` reject with
 *   GatehouseError GH_BUSY before anything is computed (the sign-in answers 503, Retry-After).
 * - `needsRehash` is true when the PHC string was made with other parameters (or another
 *   algorithm) than the adapter's current ones, so callers can upgrade it after a good sign-in.
 * - Passwords never reach a log, an error message or an event.
 */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(phc: string, password: string): Promise<boolean>;
  needsRehash(phc: string): boolean;
}

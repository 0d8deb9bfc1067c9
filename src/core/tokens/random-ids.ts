import type { Clock } from '../ports/clock.ts';
import type { Random } from '../ports/random.ts';
import { timePrefix } from '../crypto.ts';

/** Bytes fetched from the Random port at once (about 128 jti values). */
const POOL_SIZE = 4096;

/**
 * base64url identifiers from CSPRNG bytes drawn in 4 KiB batches: one `getrandom` call per ~128
 * tokens instead of one per token (a per-token call cost ~5 % of the token endpoint's CPU).
 * Node's own `randomUUID` batches the same way. Every byte is used once.
 */
export function createRandomIds(random: Random): (bytes: number) => string {
  let pool: Buffer = Buffer.alloc(0);
  let offset = 0;
  return (bytes) => {
    if (bytes > POOL_SIZE) return Buffer.from(random.bytes(bytes)).toString('base64url');
    if (offset + bytes > pool.length) {
      const fresh = random.bytes(POOL_SIZE);
      pool = Buffer.from(fresh.buffer, fresh.byteOffset, fresh.byteLength);
      offset = 0;
    }
    const id = pool.toString('base64url', offset, offset + bytes);
    offset += bytes;
    return id;
  };
}

/**
 * Time-ordered identifiers: `timePrefix(now)` (12 hex digits of the millisecond clock) followed
 * by `bytes` random bytes, base64url. Used for what the token store indexes (opaque token
 * values, `jti`, grant ids): consecutive inserts then fall on the same index pages instead of a
 * random page each, which is most of what an opaque token costs the disk (docs/performance.md).
 * The random part alone carries the unguessability (256 bits for token values).
 */
export function createTimeOrderedIds(random: Random, clock: Clock): (bytes: number) => string {
  const id = createRandomIds(random);
  return (bytes) => timePrefix(clock.now()) + id(bytes);
}

/**
 * A random base64url identifier that never starts with `-` or `_` (about 1 draw in 32 is
 * redrawn): client ids and user ids are passed to the command line as positional arguments,
 * where a leading `-` reads as an option, and they are read in logs without ambiguity.
 */
export function plainRandomId(random: Random, bytes: number): string {
  for (;;) {
    const id = Buffer.from(random.bytes(bytes)).toString('base64url');
    if (/^[A-Za-z0-9]/.test(id)) return id;
  }
}

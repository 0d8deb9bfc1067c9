import { hash, parseOptions, verify, type Options } from '@node-rs/argon2';
import { GatehouseError } from '../core/errors.ts';
import type { PasswordHasher } from '../core/ports/password-hasher.ts';

/** argon2id cost parameters, named as in the PHC string: m (KiB), t (passes), p (lanes). */
export interface Argon2Params {
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

/**
 * OWASP Password Storage Cheat Sheet, argon2id: "a minimum configuration of 19 MiB of memory, an
 * iteration count of 2, and 1 degree of parallelism" (m=19456 KiB, t=2, p=1). The only production
 * setting; anything cheaper must be asked for explicitly (tests, see `cheapParamsForTests`).
 */
export const OWASP_ARGON2ID: Argon2Params = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

/** `Algorithm.Argon2id` / `Version.V0x13` of @node-rs/argon2 (ambient const enums, not importable). */
const ARGON2ID = 2 as NonNullable<Options['algorithm']>;
const V0X13 = 1 as NonNullable<Options['version']>;
/** 16-byte salts (RFC 9106 §3.1 recommends 128 bits), 32-byte output. */
const SALT_LEN = 16;
const OUTPUT_LEN = 32;

export interface Argon2HasherOptions {
  /** Cost parameters. Default: OWASP_ARGON2ID. Tests may pass a cheaper set, never production. */
  readonly params?: Argon2Params;
  /**
   * At most this many hashes/verifications on the libuv thread pool at once; the rest wait their
   * turn here. Default: the pool size (UV_THREADPOOL_SIZE, libuv default 4) minus one, so one
   * pool thread stays free for the token signatures (`JwtSigner.signAsync`), which would
   * otherwise queue behind ~9 ms argon2id jobs.
   */
  readonly concurrency?: number;
  /**
   * At most this many wait for a slot (config `login.hashQueueLength`); past it `hash`/`verify`
   * reject at once with GH_BUSY instead of queueing without bound. Default: unbounded.
   */
  readonly maxQueue?: number;
}

/**
 * A FIFO gate: runs `work` once fewer than `limit` are running; a finished job hands its slot on.
 * At most `maxQueue` wait: one more is refused with GH_BUSY before any work starts.
 */
export function createGate(limit: number, maxQueue = Number.POSITIVE_INFINITY): <T>(work: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next)
      next(); // the slot passes to the next in line: `running` is unchanged
    else running--;
  };
  return async (work) => {
    if (running >= limit) {
      if (waiting.length >= maxQueue) throw new GatehouseError('GH_BUSY', 'the password hashing queue is full');
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else running++;
    try {
      return await work();
    } finally {
      release();
    }
  };
}

const defaultConcurrency = (): number => Math.max(1, (Number(process.env.UV_THREADPOOL_SIZE) || 4) - 1);

/**
 * PasswordHasher on @node-rs/argon2: native argon2id whose `hash`/`verify` run on the libuv thread
 * pool (napi async work), so hundreds of milliseconds of memory-hard work never block the event
 * loop. At most `concurrency` run at once (default: the pool size minus one).
 */
export function createArgon2PasswordHasher(opts: Argon2HasherOptions = {}): PasswordHasher {
  const params = opts.params ?? OWASP_ARGON2ID;
  const options: Options = { algorithm: ARGON2ID, version: V0X13, outputLen: OUTPUT_LEN, ...params };
  const gate = createGate(opts.concurrency ?? defaultConcurrency(), opts.maxQueue);
  return {
    hash: (password) => gate(() => hash(password, options)),
    async verify(phc, password) {
      if (!phc.startsWith('$argon2')) return false;
      // The cost comes from the PHC string itself, so old hashes still verify after a change.
      // A full queue (GH_BUSY) is not a wrong password: it reaches the caller.
      return gate(() => verify(phc, password).catch(() => false)); // a malformed stored hash is a failed sign-in
    },
    needsRehash(phc) {
      try {
        const p = parseOptions(phc);
        return (
          p.algorithm !== ARGON2ID ||
          p.version !== V0X13 ||
          p.memoryCost !== params.memoryCost ||
          p.timeCost !== params.timeCost ||
          p.parallelism !== params.parallelism ||
          p.outputLen !== OUTPUT_LEN ||
          p.saltLen < SALT_LEN
        );
      } catch {
        return true;
      }
    },
  };
}

/** A deliberately weak parameter set for unit tests that hash many passwords (never production). */
export const cheapParamsForTests: Argon2Params = { memoryCost: 256, timeCost: 1, parallelism: 1 };

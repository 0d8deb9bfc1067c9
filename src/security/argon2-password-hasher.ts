import { hash, parseOptions, verify, type Options } from '@node-rs/argon2';
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
}

/**
 * PasswordHasher on @node-rs/argon2: native argon2id whose `hash`/`verify` run on the libuv thread
 * pool (napi async work), so hundreds of milliseconds of memory-hard work never block the event
 * loop. Concurrency is bounded by the pool size (UV_THREADPOOL_SIZE, default 4).
 */
export function createArgon2PasswordHasher(opts: Argon2HasherOptions = {}): PasswordHasher {
  const params = opts.params ?? OWASP_ARGON2ID;
  const options: Options = { algorithm: ARGON2ID, version: V0X13, outputLen: OUTPUT_LEN, ...params };
  return {
    hash: (password) => hash(password, options),
    async verify(phc, password) {
      if (!phc.startsWith('$argon2')) return false;
      try {
        // The cost comes from the PHC string itself, so old hashes still verify after a change.
        return await verify(phc, password);
      } catch {
        return false; // a malformed stored hash is a failed sign-in, not an error page
      }
    },
    needsRehash(phc) {
      try {
        const p = parseOptions(phc);
        return p.algorithm !== ARGON2ID || p.version !== V0X13 || p.memoryCost !== params.memoryCost
          || p.timeCost !== params.timeCost || p.parallelism !== params.parallelism
          || p.outputLen !== OUTPUT_LEN || p.saltLen < SALT_LEN;
      } catch {
        return true;
      }
    },
  };
}

/** A deliberately weak parameter set for unit tests that hash many passwords (never production). */
export const cheapParamsForTests: Argon2Params = { memoryCost: 256, timeCost: 1, parallelism: 1 };

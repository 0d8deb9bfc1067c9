import type { Random } from '../ports/random.ts';
import { sha256 } from '../crypto.ts';

/**
 * RFC 8628 §6.1: "the use of a limited character set [...] such as base-20 'BCDFGHJKLMNPQRSTVWXZ'
 * (no vowels, to avoid accidentally spelling words)". No 0/O, 1/I/L confusion either.
 */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
/** 8 characters of base-20: 20^8 ≈ 2^34.6, the example strength of RFC 8628 §6.1. */
export const USER_CODE_LENGTH = 8;

/** Largest multiple of 20 below 256: bytes at or above it are dropped, so every letter is equally likely. */
const UNBIASED_LIMIT = 256 - (256 % USER_CODE_ALPHABET.length);

/**
 * A fresh user code in its normalized form (8 letters, no separator). Rejection sampling keeps the
 * distribution uniform over the alphabet.
 */
export function generateUserCode(random: Random): string {
  let out = '';
  while (out.length < USER_CODE_LENGTH) {
    for (const b of random.bytes(USER_CODE_LENGTH * 2)) {
      if (b >= UNBIASED_LIMIT) continue;
      out += USER_CODE_ALPHABET[b % USER_CODE_ALPHABET.length];
      if (out.length === USER_CODE_LENGTH) break;
    }
  }
  return out;
}

/**
 * RFC 8628 §6.1: "the authorization server should be case insensitive when comparing the
 * user code, and should ignore [...] characters such as dashes or spaces". Returns the
 * normalized code, or null when what remains cannot be a user code (so it is never looked up).
 */
export function normalizeUserCode(input: string): string | null {
  if (input.length > 64) return null;
  const code = input.toUpperCase().replace(/[\s-]+/g, '');
  if (code.length !== USER_CODE_LENGTH) return null;
  for (const ch of code) if (!USER_CODE_ALPHABET.includes(ch)) return null;
  return code;
}

/** How a code is shown and typed: `XXXX-XXXX` (RFC 8628 §6.1 dash-separated groups). */
export function formatUserCode(normalized: string): string {
  return `${normalized.slice(0, 4)}-${normalized.slice(4)}`;
}

/**
 * What the store keeps (S5): SHA-256 of the normalized code. (A short-lived 34-bit code is not
 * safe against an offline search of a leaked database; it expires within `device.codeTtl`.)
 */
export function hashUserCode(normalized: string): string {
  return sha256(normalized);
}

import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * SHA-256, base64url: how codes, tokens and client secrets are stored (S5). One-shot
 * `crypto.hash` (no Hash object): about 4× cheaper than createHash for these short inputs, and
 * the token endpoint hashes on every request.
 */
export function sha256(value: string): string {
  return hash('sha256', value, 'base64url');
}

/**
 * Twelve lowercase hex digits of a millisecond timestamp (48 bits, good until the year 10889):
 * the prefix of time-ordered identifiers and token keys. Hex sorts the same way as the number
 * in every collation the stores use (ASCII, binary, PostgreSQL's), unlike base64url.
 */
export function timePrefix(ms: number): string {
  return Math.max(0, Math.floor(ms)).toString(16).padStart(TIME_PREFIX_LENGTH, '0').slice(-TIME_PREFIX_LENGTH);
}

const TIME_PREFIX_LENGTH = 12;
const TIME_ORDERED_TOKEN = /^[0-9a-f]{12}[A-Za-z0-9_-]{43}$/;

/**
 * A stored opaque token's key: for a time-ordered token (`timePrefix` + 256 random bits,
 * 55 chars) the token's own 12-char time prefix followed by its SHA-256; for anything else
 * (older tokens) the SHA-256 alone. The key is a function of the token, so a lookup is still an
 * exact match on it, and only the hash of the secret part is ever stored (S5). The prefix makes
 * new keys arrive in time order: inserts land on the right edge of the primary-key index
 * instead of on a random page each (see docs/performance.md).
 */
export function opaqueTokenKey(token: string): string {
  return TIME_ORDERED_TOKEN.test(token) ? token.slice(0, TIME_PREFIX_LENGTH) + sha256(token) : sha256(token);
}

/** A 256-bit random value, base64url (43 chars). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Constant-time string comparison (lengths may leak, values do not). */
export function safeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

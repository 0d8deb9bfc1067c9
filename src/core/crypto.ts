import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * SHA-256, base64url: how codes, tokens and client secrets are stored (S5). One-shot
 * `crypto.hash` (no Hash object): about 4× cheaper than createHash for these short inputs, and
 * the token endpoint hashes on every request.
 */
export function sha256(value: string): string {
  return hash('sha256', value, 'base64url');
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

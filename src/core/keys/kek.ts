import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { GatehouseError } from '../errors.ts';

/**
 * A 256-bit key for one purpose, derived from the KEK with HKDF-SHA256 (RFC 5869) and its own
 * `info` label, so the KEK itself never keys CSRF MACs, sealed interactions or token data.
 */
export function deriveKey(kek: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', kek, Buffer.alloc(0), info, 32));
}

/**
 * Envelope encryption under the key-encryption key (KEK): AES-256-GCM with a random 96-bit IV.
 * Format: `v1.<iv>.<ciphertext>.<tag>` (base64url). `aad` binds the ciphertext to its owner
 * (e.g. the kid), so a ciphertext cannot be swapped onto another record.
 */
export function encryptWithKek(kek: Buffer, plaintext: string, aad = ''): string {
  if (kek.length !== 32) throw new GatehouseError('GH_KEK_INVALID', 'KEK must be 32 bytes');
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', kek, iv);
  c.setAAD(Buffer.from(aad));
  const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
  return ['v1', iv.toString('base64url'), ct.toString('base64url'), c.getAuthTag().toString('base64url')].join('.');
}

export function decryptWithKek(kek: Buffer, sealed: string, aad = ''): string {
  const [v, iv, ct, tag] = sealed.split('.');
  if (v !== 'v1' || !iv || ct === undefined || !tag) throw new GatehouseError('GH_KEK_DECRYPT_FAILED', 'sealed value has an unknown format');
  try {
    const d = createDecipheriv('aes-256-gcm', kek, Buffer.from(iv, 'base64url'));
    d.setAAD(Buffer.from(aad));
    d.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8');
  } catch {
    throw new GatehouseError('GH_KEK_DECRYPT_FAILED', 'cannot decrypt with this KEK (wrong GATEHOUSE_KEK?)');
  }
}

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

/**
 * The KEKs a process holds during a KEK rotation (docs/operations.md): `current` seals every new
 * value; `previous` (GATEHOUSE_KEK_PREVIOUS) only opens values sealed before the change, until
 * `gatehouse kek rotate` has re-sealed them under `current`.
 */
export interface KekRing {
  readonly current: Buffer;
  readonly previous: readonly Buffer[];
}

export const kekRing = (current: Buffer, previous: readonly Buffer[] = []): KekRing => ({ current, previous });

/**
 * A KEK's public name: 11 base64url characters (64 bits) of HKDF-SHA256(kek, info
 * "gatehouse kek id v1"). Written into `v2` envelopes so a reader picks the right KEK at once and
 * an operator can tell which KEK a value is sealed under; it reveals nothing about the key.
 */
export function kekId(kek: Buffer): string {
  let id = KEK_IDS.get(kek);
  if (id === undefined) KEK_IDS.set(kek, (id = Buffer.from(hkdfSync('sha256', kek, Buffer.alloc(0), 'gatehouse kek id v1', 8)).toString('base64url')));
  return id;
}

const KEK_IDS = new WeakMap<Buffer, string>();

/** `v2.<kekId>.<iv>.<ciphertext>.<tag>`: the v1 envelope under `ring.current`, named by its KEK id. */
export function sealWithRing(ring: KekRing, plaintext: string, aad = ''): string {
  return `v2.${kekId(ring.current)}.${encryptWithKek(ring.current, plaintext, aad).slice(3)}`;
}

/** The KEK id a value is sealed under (`v2`), or null for a `v1` value (whichever KEK opens it). */
export function sealedKekId(sealed: string): string | null {
  return sealed.startsWith('v2.') ? sealed.split('.')[1]! : null;
}

/**
 * Opens a `v2` value with the KEK its envelope names, a `v1` value with whichever KEK of the ring
 * opens it (current first). A value sealed under a KEK the ring does not hold fails with
 * GH_KEK_DECRYPT_FAILED naming that KEK id, never a stack trace.
 */
export function openWithRing(ring: KekRing, sealed: string, aad = ''): string {
  const all = [ring.current, ...ring.previous];
  const id = sealedKekId(sealed);
  if (id !== null) {
    const kek = all.find((k) => kekId(k) === id);
    if (!kek) {
      throw new GatehouseError(
        'GH_KEK_DECRYPT_FAILED',
        `sealed under KEK ${id}, which is neither GATEHOUSE_KEK (${kekId(ring.current)}) nor in GATEHOUSE_KEK_PREVIOUS`,
      );
    }
    return decryptWithKek(kek, `v1.${sealed.slice(4 + id.length)}`, aad);
  }
  for (const kek of all) {
    try {
      return decryptWithKek(kek, sealed, aad);
    } catch (e) {
      if (!(e instanceof GatehouseError) || kek === all[all.length - 1]) throw e;
    }
  }
  throw new GatehouseError('GH_KEK_DECRYPT_FAILED', 'no KEK configured');
}

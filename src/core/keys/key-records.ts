import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { GatehouseError } from '../errors.ts';
import { SIGNING_ALGS, type KeyStatus, type SigningAlg, type SigningKeyRecord } from '../model/key.ts';
import type { TenantId } from '../model/tenant.ts';
import { generateSigningKey } from './generate-key.ts';
import { kekRing, openWithRing, sealWithRing, type KekRing } from './kek.ts';

const ring = (k: Buffer | KekRing): KekRing => (Buffer.isBuffer(k) ? kekRing(k) : k);

/**
 * Pure helpers over stored key records: creating a sealed record, opening its key material,
 * and choosing which records sign and which are published.
 */

/** A fresh `next` key whose private JWK is sealed under the KEK with the kid as AAD. */
export async function newKeyRecord(alg: SigningAlg, tenantId: TenantId, kek: Buffer | KekRing, now: number): Promise<SigningKeyRecord> {
  const k = await generateSigningKey(alg);
  return {
    tenantId,
    kid: k.kid,
    alg,
    status: 'next',
    publicJwk: k.publicJwk,
    privateJwkEncrypted: sealWithRing(ring(kek), JSON.stringify(k.privateJwk), k.kid),
    createdAt: now,
    activatedAt: null,
    retiresAt: null,
  };
}

/** Decrypts and imports a record's private key. Throws GH_KEK_DECRYPT_FAILED / GH_KEY_INVALID. */
export function openPrivateKey(rec: SigningKeyRecord, kek: Buffer | KekRing): KeyObject {
  const json = openPrivateJwk(rec, kek);
  try {
    return createPrivateKey({ key: JSON.parse(json) as JsonWebKey, format: 'jwk' });
  } catch {
    throw new GatehouseError('GH_KEY_INVALID', `stored private key ${rec.kid} cannot be imported`);
  }
}

/** The private JWK (JSON text) of a record, opened with the ring's KEK its envelope names. */
export function openPrivateJwk(rec: SigningKeyRecord, kek: Buffer | KekRing): string {
  try {
    return openWithRing(ring(kek), rec.privateJwkEncrypted, rec.kid);
  } catch (e) {
    if (e instanceof GatehouseError) throw new GatehouseError(e.code, `signing key ${rec.kid}: ${e.message}`);
    throw e;
  }
}

export function openPublicKey(rec: SigningKeyRecord): KeyObject {
  try {
    return createPublicKey({ key: rec.publicJwk as JsonWebKey, format: 'jwk' });
  } catch {
    throw new GatehouseError('GH_KEY_INVALID', `stored public key ${rec.kid} cannot be imported`);
  }
}

/** Private JWK members (RFC 7518 §6.2.2, §6.3.2, §6.4): never published, whatever a record holds. */
const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']);

/** A frozen copy of a public JWK without any private member (defence in depth for the JWKS). */
export function publicMembers(jwk: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  return Object.freeze(Object.fromEntries(Object.entries(jwk).filter(([k]) => !PRIVATE_MEMBERS.has(k))));
}

export const isSigningAlg = (v: unknown): v is SigningAlg => (SIGNING_ALGS as readonly unknown[]).includes(v);

/**
 * The record of `alg` in `status`. Should a store ever hold two (it must not), every instance
 * picks the same one: latest activation, then latest creation, then smallest kid.
 */
export function pickKey(records: readonly SigningKeyRecord[], alg: string, status: KeyStatus): SigningKeyRecord | undefined {
  let best: SigningKeyRecord | undefined;
  for (const r of records) {
    if (r.alg !== alg || r.status !== status) continue;
    if (!best || compareRecency(r, best) < 0) best = r;
  }
  return best;
}

/** Negative when `a` is more recent than `b` (the order keys are listed and published in). */
function compareRecency(a: SigningKeyRecord, b: SigningKeyRecord): number {
  return (b.activatedAt ?? 0) - (a.activatedAt ?? 0) || b.createdAt - a.createdAt || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0);
}

const STATUS_ORDER: Readonly<Record<KeyStatus, number>> = { active: 0, next: 1, retired: 2 };

/**
 * Whether a key belongs in the JWKS at `now`: the active and next keys of configured algorithms,
 * and any retired key until its `retiresAt` (tokens signed before a rotation keep verifying).
 */
export function isPublished(r: SigningKeyRecord, now: number, algs: readonly SigningAlg[]): boolean {
  if (!isSigningAlg(r.alg)) return false;
  if (r.status === 'retired') return r.retiresAt !== null && r.retiresAt > now;
  return algs.includes(r.alg);
}

/** Publication order: active keys (in configured alg order), then next, then retired (newest first). */
export function publishOrder(records: readonly SigningKeyRecord[], algs: readonly SigningAlg[]): SigningKeyRecord[] {
  const algRank = (a: string) => {
    const i = algs.indexOf(a as SigningAlg);
    return i < 0 ? algs.length : i;
  };
  return [...records].sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || algRank(a.alg) - algRank(b.alg) || compareRecency(a, b));
}

/** A log-safe description of a failure: our own messages, but only the name/code of foreign ones. */
export function describeError(e: unknown): string {
  if (e instanceof GatehouseError) return `${e.code}: ${e.message}`;
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return typeof code === 'string' ? `${e.name} ${code}` : e.name;
  }
  return 'unknown error';
}

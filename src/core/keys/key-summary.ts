import type { SigningKeyRecord } from '../model/key.ts';

/** What operators see of a key (admin API, CLI): its lifecycle, never key material. */
export interface KeySummary {
  readonly kid: string;
  readonly alg: string;
  readonly status: SigningKeyRecord['status'];
  readonly createdAt: number;
  readonly activatedAt: number | null;
  readonly retiresAt: number | null;
  /** Whether the key is in the JWKS now. */
  readonly published: boolean;
}

export function keySummaries(records: readonly SigningKeyRecord[], jwks: { readonly keys: readonly Readonly<Record<string, unknown>>[] }): KeySummary[] {
  const published = new Set(jwks.keys.map((k) => k.kid));
  return records.map((r) => ({
    kid: r.kid,
    alg: r.alg,
    status: r.status,
    createdAt: r.createdAt,
    activatedAt: r.activatedAt,
    retiresAt: r.retiresAt,
    published: published.has(r.kid),
  }));
}

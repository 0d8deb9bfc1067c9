import type { TenantId } from './tenant.ts';

export const SIGNING_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

/**
 * Key lifecycle: `next` (published ahead of activation so caches pre-fetch) → `active` (signs)
 * → `retired` (published until `retiresAt`, so earlier tokens keep verifying) → gone from JWKS.
 */
export type KeyStatus = 'next' | 'active' | 'retired';

export interface SigningKeyRecord {
  readonly tenantId: TenantId;
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly status: KeyStatus;
  /** Public JWK (with kid, alg, use=sig). */
  readonly publicJwk: Readonly<Record<string, unknown>>;
  /** Private JWK, AES-256-GCM encrypted under the KEK: `v1.<iv>.<ciphertext>.<tag>` (base64url). */
  readonly privateJwkEncrypted: string;
  readonly createdAt: number; // epoch seconds
  readonly activatedAt: number | null;
  /** When a retired key leaves the JWKS (end of the grace period). */
  readonly retiresAt: number | null;
}

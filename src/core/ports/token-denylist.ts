import type { TenantId } from '../model/tenant.ts';

/**
 * Revoked self-contained (JWT) access tokens, by `jti`, kept until the token's own expiry
 * (RFC 7009 §2 for JWTs: the server must remember the revocation until the token would expire).
 * Adapters guarantee: `add` is idempotent; `has` is true from the moment `add` resolves, on every
 * instance sharing the store.
 */
export interface TokenDenylist {
  add(tenantId: TenantId, jti: string, expiresAt: number): Promise<void>;
  has(tenantId: TenantId, jti: string): Promise<boolean>;
  purgeExpired(before: number): Promise<number>;
}

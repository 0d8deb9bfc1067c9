import type { TenantId } from './tenant.ts';

/**
 * RFC 7800 confirmation claim. Present on sender-constrained tokens: DPoP (`jkt`, RFC 9449) or
 * mTLS (`x5t#S256`, RFC 8705). Stored with every token so those attach without a migration.
 */
export interface Confirmation {
  readonly jkt?: string;
  readonly 'x5t#S256'?: string;
}

export type StoredTokenKind = 'access_token' | 'refresh_token';

/**
 * A stored token: opaque access tokens and refresh tokens. `hash` is SHA-256 (base64url) of the
 * token value (S5); the value itself is never stored.
 */
export interface TokenRecord {
  readonly tenantId: TenantId;
  readonly hash: string;
  readonly kind: StoredTokenKind;
  /** The token's `jti` (also used for JWT access tokens that are denylisted on revocation). */
  readonly jti: string;
  readonly clientId: string;
  /** Subject: the user id, or the client id for client_credentials. */
  readonly subject: string;
  /**
   * The user's internal id (`subject` may be pairwise, so it cannot stand in), for listing and
   * revoking a user's grants; null for client_credentials.
   */
  readonly userId: string | null;
  readonly scope: string; // space-delimited
  readonly audience: readonly string[];
  /** Groups every token descended from one authorization (grant); revoked together. */
  readonly grantId: string;
  /** Refresh token family lineage: the token this one replaced. */
  readonly parentHash: string | null;
  readonly issuedAt: number; // epoch seconds
  readonly expiresAt: number; // epoch seconds
  readonly cnf: Confirmation | null;
  /** Extra claims carried for introspection (e.g. username, auth_time, acr). */
  readonly claims: Readonly<Record<string, unknown>>;
  readonly revokedAt: number | null;
  /** Set when a refresh token has been exchanged (rotated). */
  readonly consumedAt: number | null;
}

import type { TenantId } from './tenant.ts';

/** One account signed in within a browser session (the account chooser lists these). */
export interface SessionAccount {
  readonly userId: string;
  /** OIDC `sid` for this login: public, per account, carried in ID and logout tokens. */
  readonly sid: string;
  readonly authTime: number; // epoch seconds
  readonly amr: readonly string[];
  readonly acr: string | null;
  /** Clients that received tokens in this login (for front/back-channel logout). */
  readonly clientIds: readonly string[];
}

/**
 * A browser session. The cookie carries a ≥ 256-bit random value; only its SHA-256 is stored
 * (S5). A new value is issued on every sign-in (session fixation).
 */
export interface SessionRecord {
  readonly tenantId: TenantId;
  readonly hash: string;
  readonly accounts: readonly SessionAccount[];
  /** userId of the account in use, or null when the session holds no signed-in account. */
  readonly currentUserId: string | null;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  /** Absolute end: createdAt + absolute lifetime. Idle end is lastSeenAt + idle lifetime. */
  readonly expiresAt: number;
}

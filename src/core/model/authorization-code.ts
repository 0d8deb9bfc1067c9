import type { TenantId } from './tenant.ts';
import type { Confirmation } from './token.ts';

/** What a sign-in established, carried from the session into codes, tokens and ID tokens. */
export interface AuthenticationContext {
  readonly userId: string;
  readonly sid: string;
  readonly authTime: number;
  readonly amr: readonly string[];
  readonly acr: string | null;
}

/** OIDC Core §5.5 `claims` request parameter, parsed. */
export interface ClaimsRequest {
  readonly userinfo?: Readonly<Record<string, ClaimRequestEntry | null>>;
  readonly id_token?: Readonly<Record<string, ClaimRequestEntry | null>>;
}
export interface ClaimRequestEntry {
  readonly essential?: boolean;
  readonly value?: unknown;
  readonly values?: readonly unknown[];
}

/**
 * An authorization code (RFC 6749 §4.1.2), stored by SHA-256 hash (S5), used once (S4).
 * Everything the token endpoint needs to issue is frozen here at authorization time.
 */
export interface AuthorizationCodeRecord {
  readonly tenantId: TenantId;
  readonly hash: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scope: string; // granted, space-delimited
  readonly resources: readonly string[];
  readonly claims: ClaimsRequest | null;
  readonly nonce: string | null;
  readonly codeChallenge: string | null;
  readonly codeChallengeMethod: 'S256' | 'plain' | null;
  readonly auth: AuthenticationContext;
  /** Every token issued from this code shares it; a reused code revokes the grant. */
  readonly grantId: string;
  /** DPoP/mTLS binding requested at authorization (RFC 9449 dpop_jkt); null for bearer. */
  readonly cnf: Confirmation | null;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly consumedAt: number | null;
}

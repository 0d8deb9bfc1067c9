import type { AuthenticationContext } from './authorization-code.ts';
import type { TenantId } from './tenant.ts';

export type DeviceCodeStatus = 'pending' | 'approved' | 'denied' | 'consumed';

/** RFC 8628 device authorization, keyed by the SHA-256 of the device code (S5). */
export interface DeviceCodeRecord {
  readonly tenantId: TenantId;
  readonly hash: string;
  /** SHA-256 of the normalized user code (upper-case, no separators). */
  readonly userCodeHash: string;
  readonly clientId: string;
  readonly scope: string; // requested, space-delimited
  readonly resources: readonly string[];
  readonly status: DeviceCodeStatus;
  /** Set when approved: who approved and how they signed in; the granted scope. */
  readonly auth: AuthenticationContext | null;
  readonly grantedScope: string | null;
  readonly grantId: string;
  readonly interval: number; // seconds
  readonly lastPolledAt: number | null;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

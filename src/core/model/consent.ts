import type { TenantId } from './tenant.ts';

/** Consent a user gave a client: remembered per user, client and scope. */
export interface ConsentRecord {
  readonly tenantId: TenantId;
  readonly userId: string;
  readonly clientId: string;
  /** Granted scopes (space-free tokens). */
  readonly scopes: readonly string[];
  /** Granted claims requested through the `claims` parameter (OIDC Core §5.5). */
  readonly claims: readonly string[];
  readonly createdAt: number;
  readonly updatedAt: number;
}

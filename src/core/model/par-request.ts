import type { TenantId } from './tenant.ts';

/** RFC 9126 pushed authorization request, keyed by SHA-256 of the `request_uri` (S5). */
export interface ParRecord {
  readonly tenantId: TenantId;
  readonly hash: string;
  readonly clientId: string;
  /**
   * The validated authorization parameters the authorization endpoint reads (from the form or the
   * JAR request object; unrecognized ones dropped); `{}` once the request_uri has been used.
   */
  readonly params: Readonly<Record<string, string>>;
  readonly expiresAt: number;
  readonly consumedAt: number | null;
}

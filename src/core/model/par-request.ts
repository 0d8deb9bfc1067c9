import type { TenantId } from './tenant.ts';

/** RFC 9126 pushed authorization request, keyed by SHA-256 of the `request_uri` (S5). */
export interface ParRecord {
  readonly tenantId: TenantId;
  readonly hash: string;
  readonly clientId: string;
  /** The validated authorization parameters (from the form or the JAR request object). */
  readonly params: Readonly<Record<string, string>>;
  readonly expiresAt: number;
  readonly consumedAt: number | null;
}

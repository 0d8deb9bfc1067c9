import { requestedClaimNames } from '../claims/claims-request.ts';
import { isStandardClaim } from '../claims/scope-claims.ts';
import type { ClaimsRequest } from '../model/authorization-code.ts';
import type { ConsentRecord } from '../model/consent.ts';

/**
 * The end-user claims a `claims` request (OIDC Core §5.5) asks to release, which consent must
 * cover beyond the scopes. Protocol claims (`acr`, `auth_time`, …) and unknown names reveal
 * nothing about the user and are left out.
 */
export function consentClaims(claims: ClaimsRequest | null): readonly string[] {
  if (!claims) return [];
  const names = new Set([...requestedClaimNames(claims.userinfo), ...requestedClaimNames(claims.id_token)]);
  return [...names].filter((n) => isStandardClaim(n)).sort();
}

/**
 * True when remembered consent covers every requested scope and claim. Without any record the
 * answer is no, even for an empty scope: the client still learns who the user is.
 */
export function consentCovers(consent: Pick<ConsentRecord, 'scopes' | 'claims'> | undefined, scope: readonly string[], claims: readonly string[]): boolean {
  if (!consent) return false;
  return scope.every((s) => consent.scopes.includes(s)) && claims.every((c) => consent.claims.includes(c));
}

/** Remembered consent after granting `scope` and `claims` (merged with what was given before). */
export function mergeConsent(
  existing: ConsentRecord | undefined,
  grant: {
    readonly tenantId: string;
    readonly userId: string;
    readonly clientId: string;
    readonly scope: readonly string[];
    readonly claims: readonly string[];
    readonly now: number;
  },
): ConsentRecord {
  return {
    tenantId: grant.tenantId,
    userId: grant.userId,
    clientId: grant.clientId,
    scopes: [...new Set([...(existing?.scopes ?? []), ...grant.scope])],
    claims: [...new Set([...(existing?.claims ?? []), ...grant.claims])],
    createdAt: existing?.createdAt ?? grant.now,
    updatedAt: grant.now,
  };
}

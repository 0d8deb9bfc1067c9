import type { JWTPayload } from 'jose';
import type { TenantId } from '../model/tenant.ts';
import type { UserStore } from '../ports/user-store.ts';
import type { TrustedIssuer } from './trusted-issuer.ts';
import { ExternalJwtRefusal } from './verify-external-jwt.ts';

export interface MappedSubject {
  /** The local user (`subjectMapping.localUser` username / user-id), or null: the external `sub` stands alone. */
  readonly userId: string | null;
  /** The external `sub` (used as the issued token's `sub` when there is no local user). */
  readonly externalSubject: string;
  /** `copyClaims`: external claims under their local names. */
  readonly copied: Readonly<Record<string, unknown>>;
}

export interface SubjectMappingDeps {
  readonly users: Pick<UserStore, 'get' | 'findByUsername'>;
  readonly tenantId: TenantId;
}

/** Largest copied claim value (serialised): an external issuer cannot inflate our tokens without bound (S20). */
const MAX_COPIED_BYTES = 4096;

/**
 * Maps a verified external JWT's subject to what the issued token names (docs/jwt-bearer.md
 * "Subject mapping"): the external `sub` alone, or an existing enabled local user found by the
 * configured claim. An unknown or disabled user refuses the JWT (the caller's invalid_grant or
 * invalid_request): a trusted issuer may vouch for a user, never create one.
 */
export async function mapSubject(deps: SubjectMappingDeps, entry: TrustedIssuer, payload: JWTPayload & { sub: string }): Promise<MappedSubject> {
  const copied: Record<string, unknown> = {};
  for (const [external, local] of Object.entries(entry.copyClaims)) {
    const value = payload[external];
    if (value === undefined) continue;
    if (JSON.stringify(value).length > MAX_COPIED_BYTES) throw new ExternalJwtRefusal(`the JWT's ${external} claim is too large to copy`);
    copied[local] = value;
  }
  const { localUser, claim } = entry.subjectMapping;
  if (localUser === 'none') return { userId: null, externalSubject: payload.sub, copied };
  const key = payload[claim];
  if (typeof key !== 'string' || key === '' || key.length > 255) throw new ExternalJwtRefusal(`the JWT has no ${claim} claim naming a local user`);
  const user = localUser === 'username' ? await deps.users.findByUsername(deps.tenantId, key) : await deps.users.get(deps.tenantId, key);
  if (!user || user.disabled) throw new ExternalJwtRefusal("no enabled local user matches the JWT's subject", `${claim} ${key.slice(0, 100)}`);
  return { userId: user.id, externalSubject: payload.sub, copied };
}

import { opaqueTokenKey } from '../crypto.ts';
import type { EventPublisher } from '../events.ts';
import type { AuthenticationContext, ClaimsRequest } from '../model/authorization-code.ts';
import { formatScope } from '../model/scope.ts';
import type { TenantId } from '../model/tenant.ts';
import type { Confirmation, TokenRecord } from '../model/token.ts';
import type { TokenStore } from '../ports/token-store.ts';

/**
 * What a refresh token must remember of the original authorization, kept in the stored record's
 * `claims` (never in the token, which is an opaque random value).
 */
export interface GrantSnapshot {
  /** The original sign-in: OIDC Core §12.2 "auth_time [...] MUST represent the time of the original authentication". */
  readonly auth: AuthenticationContext;
  /** RFC 8707 resources granted at authorization; a refresh may narrow them. */
  readonly resources: readonly string[];
  readonly claims: ClaimsRequest | null;
  /** When the family started (the code was redeemed): bounds its absolute lifetime. */
  readonly familyIat: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] | null => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : null);

/** The record claims for a snapshot (plus `extra`, e.g. the sealed user id). */
export function snapshotClaims(s: GrantSnapshot, extra: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...extra, auth_time: s.auth.authTime, family_iat: s.familyIat };
  if (s.auth.acr !== null) out.acr = s.auth.acr;
  if (s.auth.amr.length) out.amr = s.auth.amr;
  if (s.auth.sid) out.sid = s.auth.sid;
  if (s.resources.length) out.resources = s.resources;
  if (s.claims) out.claims_request = s.claims;
  return out;
}

/** Reads a snapshot back from a refresh token record; null when the record is not one of ours. */
export function readSnapshot(record: TokenRecord, userId: string): GrantSnapshot | null {
  const c = record.claims;
  if (typeof c.auth_time !== 'number' || typeof c.family_iat !== 'number') return null;
  const amr = c.amr === undefined ? [] : strings(c.amr);
  const resources = c.resources === undefined ? [] : strings(c.resources);
  if (!amr || !resources) return null;
  return {
    auth: { userId, authTime: c.auth_time, acr: typeof c.acr === 'string' ? c.acr : null, amr, sid: typeof c.sid === 'string' ? c.sid : '' },
    resources,
    claims: isObject(c.claims_request) ? (c.claims_request as ClaimsRequest) : null,
    familyIat: c.family_iat,
  };
}

export interface RefreshMintDeps {
  readonly tokens: Pick<TokenStore, 'insert'>;
  readonly events: EventPublisher;
  readonly tenantId: TenantId;
  /** base64url random ids from the Random port. */
  readonly id: (bytes: number) => string;
}

export interface RefreshMintConfig {
  readonly issuer: string;
  readonly tokens: { readonly refreshTokenTtl: number; readonly refreshTokenAbsoluteTtl: number };
}

export interface RefreshMintInput {
  readonly clientId: string;
  readonly grantType: string;
  readonly subject: string;
  /** The user's internal id (the subject may be pairwise). */
  readonly userId: string;
  /** The grant's scope: RFC 6749 §6 "the refresh token scope MUST be identical to that of the refresh token included by the client in the request". */
  readonly scope: readonly string[];
  readonly grantId: string;
  readonly parentHash: string | null;
  readonly snapshot: GrantSnapshot;
  readonly extraClaims: Readonly<Record<string, unknown>>;
  /** RFC 9449 §5: the DPoP key a public client's refresh token is bound to; null when unbound. */
  readonly cnf?: Confirmation | null;
  readonly now: number;
}

/**
 * Mints one refresh token: 256 random bits (RFC 9700 §4.14.2 rotation needs unguessable
 * values), stored only as its SHA-256 (S5), in the grant's family (`grantId`) with its lineage
 * (`parentHash`). It lives `refreshTokenTtl`, never past the family's absolute end.
 */
export async function mintRefreshToken(
  deps: RefreshMintDeps,
  config: RefreshMintConfig,
  input: RefreshMintInput,
): Promise<{ token: string; record: TokenRecord }> {
  const token = deps.id(32);
  const familyEnd = input.snapshot.familyIat + config.tokens.refreshTokenAbsoluteTtl;
  const record: TokenRecord = {
    tenantId: deps.tenantId,
    hash: opaqueTokenKey(token),
    kind: 'refresh_token',
    jti: deps.id(16),
    clientId: input.clientId,
    subject: input.subject,
    userId: input.userId,
    scope: formatScope(input.scope),
    audience: [config.issuer],
    grantId: input.grantId,
    parentHash: input.parentHash,
    issuedAt: input.now,
    expiresAt: Math.min(input.now + config.tokens.refreshTokenTtl, familyEnd),
    cnf: input.cnf ?? null,
    claims: snapshotClaims(input.snapshot, input.extraClaims),
    revokedAt: null,
    consumedAt: null,
  };
  await deps.tokens.insert(record);
  deps.events.publish('token.issued', {
    tenantId: deps.tenantId,
    clientId: input.clientId,
    grantType: input.grantType,
    tokenType: 'refresh_token',
    format: 'opaque',
    jti: record.jti,
    subject: input.subject,
  });
  return { token, record };
}

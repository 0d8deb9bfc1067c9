import type { Client } from '../model/client.ts';
import type { Confirmation } from '../model/token.ts';
import { isAdminScope } from '../tokens/admin-scopes.ts';
import type { TokenView } from '../tokens/find-token.ts';
import { FOREIGN_SUBJECT_CLAIM, foreignSubjectClaim } from '../tokens/foreign-subject.ts';
import type { UserSubjects } from '../tokens/user-subject.ts';
import { mapSubject, type SubjectMappingDeps } from './subject-mapping.ts';
import type { TrustedIssuerRegistry } from './trusted-issuer.ts';
import { unverifiedIssuer, verifyExternalJwt } from './verify-external-jwt.ts';

export interface ExternalSubjectDeps extends SubjectMappingDeps {
  readonly trustedIssuers: TrustedIssuerRegistry;
  readonly subjects: Pick<UserSubjects, 'forToken'>;
}

/** Whether `jwt` claims to come from a registry entry (unverified: only to pick the path). */
export function isTrustedIssuerJwt(registry: TrustedIssuerRegistry, jwt: string, ourIssuer: string): boolean {
  const iss = unverifiedIssuer(jwt);
  return iss !== undefined && iss !== ourIssuer && registry.get(iss) !== undefined;
}

/**
 * A TokenView of an external JWT; `copied` are the entry's `copyClaims`, for the issued token.
 * Without a local user its claims carry `sub_id` naming the issuer (foreign-subject.ts), which
 * carries over into the tokens issued for it.
 */
export type ExternalTokenView = TokenView & { readonly copied: Readonly<Record<string, unknown>> };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * RFC 8693 §2.1 with a JWT of a trusted external issuer (entry use `token-exchange`) as subject or
 * actor token: the JWT bearer grant's checks (verify-external-jwt.ts) except the single-use `jti`
 * (a subject token is presented as often as the client needs until it expires, as our own are),
 * then the entry's subject mapping. The view's client is the requesting client: the entry's
 * `clients` list, checked here, is what lets a client exchange that issuer's tokens (the
 * per-client `subject_clients` names only our own clients).
 *
 * Only what the issued token may carry is kept: the mapped subject (with its sealed id when a
 * local user; else `sub_id` naming the issuer), `auth_time`/`acr`/`amr`, `act`, `may_act` (which
 * then names our issuer, so an external `may_act` refuses), `cnf` and the copied claims. Nothing else of the foreign payload
 * (a `grant_id`, a sealed id) ever reaches our tokens. Throws ExternalJwtRefusal.
 */
export async function externalTokenView(
  deps: ExternalSubjectDeps,
  c: { readonly jwt: string; readonly client: Client; readonly nowMs: number; readonly clockSkew: number; readonly issuer: string },
): Promise<ExternalTokenView> {
  const { entry, payload } = await verifyExternalJwt(deps.trustedIssuers, {
    jwt: c.jwt,
    purpose: 'token-exchange',
    clientId: c.client.clientId,
    nowMs: c.nowMs,
    clockSkew: c.clockSkew,
    issuer: c.issuer,
    tokenEndpoint: `${c.issuer.replace(/\/$/, '')}/token`,
  });
  const mapped = await mapSubject(deps, entry, payload);
  const claims: Record<string, unknown> = {};
  for (const k of ['auth_time', 'acr', 'amr', 'act', 'may_act'] as const) if (payload[k] !== undefined) claims[k] = payload[k];
  let subject = mapped.externalSubject;
  if (mapped.userId) {
    const mine = deps.subjects.forToken(c.client, mapped.userId);
    subject = mine.subject;
    Object.assign(claims, mine.claims);
    if (typeof claims.auth_time !== 'number') claims.auth_time = payload.iat;
  } else {
    // Without a local user the token is not a user's: no auth_time that would make it look like
    // one, and the issuer qualifies its `sub` (RFC 9493 sub_id), here and in every token issued for it.
    delete claims.auth_time;
    claims[FOREIGN_SUBJECT_CLAIM] = foreignSubjectClaim(entry.issuer, subject);
  }
  // RFC 9068 `scope` (space-separated) or the common `scp` array: the exchange only narrows it.
  const raw = typeof payload.scope === 'string' ? payload.scope.split(' ') : Array.isArray(payload.scp) ? payload.scp.filter((s) => typeof s === 'string') : [];
  // Admin scopes (issue #11) only for a mapped local user from an issuer opted in (`adminScopes`):
  // an external subject alone never gets one.
  const scope = raw.filter((s) => s !== '' && ((mapped.userId !== null && entry.adminScopes) || !isAdminScope(s))).join(' ');
  const cnf = isRecord(payload.cnf) && typeof payload.cnf.jkt === 'string' ? ({ jkt: payload.cnf.jkt } as Confirmation) : null;
  return {
    format: 'jwt',
    kind: 'access_token',
    jti: typeof payload.jti === 'string' ? payload.jti.slice(0, 256) : '',
    clientId: c.client.clientId,
    subject,
    scope,
    audience: [],
    issuedAt: payload.iat,
    expiresAt: payload.exp,
    notBefore: undefined,
    cnf,
    claims,
    record: undefined,
    copied: mapped.copied,
  };
}

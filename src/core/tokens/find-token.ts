import { opaqueTokenKey } from '../crypto.ts';
import type { KeyRing } from '../keys/key-ring.ts';
import type { TenantId } from '../model/tenant.ts';
import type { Confirmation, StoredTokenKind, TokenRecord } from '../model/token.ts';
import type { TokenDenylist } from '../ports/token-denylist.ts';
import type { TokenStore } from '../ports/token-store.ts';
import { isGrantDenylisted } from './grant-revocation.ts';
import { ACCESS_TOKEN_JWT_TYP } from './issue-access-token.ts';

/** A token this server issued, whatever its format, as introspection and revocation see it. */
export interface TokenView {
  readonly format: 'jwt' | 'opaque';
  readonly kind: StoredTokenKind;
  readonly jti: string;
  readonly clientId: string;
  readonly subject: string;
  readonly scope: string;
  readonly audience: readonly string[];
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly notBefore: number | undefined;
  readonly cnf: Confirmation | null;
  /** Claims beyond the registered ones (auth_time, acr, username, …). */
  readonly claims: Readonly<Record<string, unknown>>;
  /** The stored record (opaque access tokens and refresh tokens). */
  readonly record: TokenRecord | undefined;
}

export interface FindTokenDeps {
  readonly tokens: Pick<TokenStore, 'find'>;
  readonly keys: Pick<KeyRing, 'verifyAsync'>;
  readonly tenantId: TenantId;
}

const MAX_TOKEN_LENGTH = 16_384;
const REGISTERED = new Set(['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'client_id', 'scope', 'cnf']);
/** Worth a store lookup: printable ASCII (RFC 6750 b64token and friends), bounded. */
const OPAQUE = /^[\x21-\x7E]{1,512}$/;

function isNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** RFC 8725 §3.11 / RFC 9068 §4: a JWT access token is told apart by its explicit `typ`. */
function isAccessTokenTyp(typ: unknown): boolean {
  if (typeof typ !== 'string') return false;
  const t = typ.toLowerCase();
  return t === ACCESS_TOKEN_JWT_TYP || t === `application/${ACCESS_TOKEN_JWT_TYP}`;
}

async function fromJwt(token: string, issuer: string, keys: Pick<KeyRing, 'verifyAsync'>): Promise<TokenView | undefined> {
  const verified = await keys.verifyAsync(token);
  if (!verified || !isAccessTokenTyp(verified.header.typ)) return undefined;
  const p = verified.payload;
  const aud = typeof p.aud === 'string' ? [p.aud] : Array.isArray(p.aud) && p.aud.every((a) => typeof a === 'string') ? (p.aud as string[]) : null;
  if (p.iss !== issuer || aud === null || !isNumber(p.exp) || !isNumber(p.iat) || (p.nbf !== undefined && !isNumber(p.nbf))) return undefined;
  if (typeof p.jti !== 'string' || typeof p.client_id !== 'string' || typeof p.sub !== 'string') return undefined;
  if (p.scope !== undefined && typeof p.scope !== 'string') return undefined;
  const claims: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) if (!REGISTERED.has(k)) claims[k] = v;
  const cnf = typeof p.cnf === 'object' && p.cnf !== null && !Array.isArray(p.cnf) ? (p.cnf as Confirmation) : null;
  return {
    format: 'jwt',
    kind: 'access_token',
    jti: p.jti,
    clientId: p.client_id,
    subject: p.sub,
    scope: p.scope ?? '',
    audience: aud,
    issuedAt: p.iat,
    expiresAt: p.exp,
    notBefore: p.nbf as number | undefined,
    cnf,
    claims,
    record: undefined,
  };
}

function fromRecord(r: TokenRecord): TokenView {
  return {
    format: 'opaque',
    kind: r.kind,
    jti: r.jti,
    clientId: r.clientId,
    subject: r.subject,
    scope: r.scope,
    audience: r.audience,
    issuedAt: r.issuedAt,
    expiresAt: r.expiresAt,
    notBefore: undefined,
    cnf: r.cnf,
    claims: r.claims,
    record: r,
  };
}

/**
 * Finds a token this server issued, whatever it is. One lookup covers every kind: a JWT is
 * recognised by its shape and verified with our keys (signature, `typ`, `iss`); anything else is
 * looked up by SHA-256 in the token store, which holds opaque access tokens and refresh tokens
 * alike. `token_type_hint` therefore never changes the answer (RFC 7662 §2.1: the server "MAY
 * ignore this parameter, particularly if it is able to detect the token type automatically").
 * Returns the token whatever its state; callers judge expiry and revocation.
 */
export async function findToken(deps: FindTokenDeps, issuer: string, token: string): Promise<TokenView | undefined> {
  if (token.length > MAX_TOKEN_LENGTH) return undefined;
  if (token.split('.', 4).length === 3) return fromJwt(token, issuer, deps.keys);
  if (!OPAQUE.test(token)) return undefined;
  const record = await deps.tokens.find(deps.tenantId, opaqueTokenKey(token));
  return record ? fromRecord(record) : undefined;
}

/**
 * Whether a found token is active at `now` (epoch seconds): not expired, not before `nbf`, not
 * revoked, not consumed (a rotated refresh token), and for a JWT, neither its `jti` nor its
 * grant (`grant_id`, revoked on code or refresh token reuse) denylisted.
 */
export async function isActive(view: TokenView, now: number, denylist: Pick<TokenDenylist, 'has'>, tenantId: TenantId): Promise<boolean> {
  if (view.expiresAt <= now) return false;
  if (view.notBefore !== undefined && view.notBefore > now) return false;
  if (view.record) return view.record.revokedAt === null && view.record.consumedAt === null;
  // The two reads are independent: run them together rather than one round trip after the other.
  const [revoked, grantRevoked] = await Promise.all([denylist.has(tenantId, view.jti), isGrantDenylisted(denylist, tenantId, view.claims)]);
  return !revoked && !grantRevoked;
}

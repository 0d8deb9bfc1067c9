import type { Client } from '../core/model/client.ts';
import type { StandardClaims, User, UserAttributeValue } from '../core/model/user.ts';
import { keySummaries } from '../core/keys/key-summary.ts';
import type { SigningKeyRecord } from '../core/model/key.ts';
import { clientInformation } from '../core/registration/client-information.ts';
import type { ConsentRecord } from '../core/model/consent.ts';
import type { GrantSummary, UserSessionSummary } from '../core/ports/index.ts';

/**
 * What operators see. Views are built member by member from the records, so a secret hash,
 * a sealed secret, a password hash, a registration access token hash or key material can never
 * slip into one (S5).
 */

/** RFC 7591 client information plus the operator's fields; never a secret or its hash. */
export interface ClientView {
  readonly client_id: string;
  readonly client_id_issued_at: number;
  readonly client_name?: string;
  readonly redirect_uris: readonly string[];
  readonly grant_types: readonly string[];
  readonly response_types: readonly string[];
  readonly token_endpoint_auth_method: string;
  readonly scope?: string;
  readonly disabled: boolean;
  readonly updated_at: number;
  readonly [member: string]: unknown;
}

export function clientView(client: Client): ClientView {
  return { ...clientInformation(client), disabled: client.disabled, updated_at: client.updatedAt } as ClientView;
}

/** A client with a secret that was just issued: shown this once, only its hash is stored. */
export interface ClientWithSecretView {
  readonly client: ClientView;
  readonly client_secret: string | null;
}

export interface UserView {
  readonly id: string;
  readonly username: string;
  readonly roles: readonly string[];
  readonly claims: StandardClaims;
  readonly attributes: Readonly<Record<string, UserAttributeValue>>;
  readonly groups: readonly string[];
  readonly disabled: boolean;
  /** Whether a password is set (the hash itself never leaves the store). */
  readonly has_password: boolean;
  /** The session generation: a console session begun under another one is refused (docs/console.md). */
  readonly session_epoch: number;
  readonly created_at: number;
  readonly updated_at: number;
}

export function userView(user: User): UserView {
  return {
    id: user.id,
    username: user.username,
    roles: [...user.roles],
    claims: user.claims,
    attributes: user.attributes,
    groups: [...user.groups],
    disabled: user.disabled,
    has_password: user.passwordHash !== null,
    session_epoch: user.sessionEpoch ?? 0,
    created_at: user.createdAt,
    updated_at: user.updatedAt,
  };
}

/** A signing key's lifecycle; never key material. */
export interface KeyView {
  readonly kid: string;
  readonly alg: string;
  readonly status: SigningKeyRecord['status'];
  readonly created_at: number;
  readonly activated_at: number | null;
  readonly retires_at: number | null;
  /** Whether the key is in the JWKS now. */
  readonly published: boolean;
}

export function keyViews(records: readonly SigningKeyRecord[], jwks: { readonly keys: readonly Readonly<Record<string, unknown>>[] }): KeyView[] {
  return keySummaries(records, jwks).map((k) => ({
    kid: k.kid,
    alg: k.alg,
    status: k.status,
    created_at: k.createdAt,
    activated_at: k.activatedAt,
    retires_at: k.retiresAt,
    published: k.published,
  }));
}

/** One grant (an authorization, or one client_credentials issuance) over its live stored tokens. */
export interface GrantView {
  readonly grant_id: string;
  readonly client_id: string;
  /** The user's id; null for client_credentials. */
  readonly user_id: string | null;
  readonly scope: string;
  readonly created_at: number;
  readonly last_used_at: number;
  readonly expires_at: number;
  readonly active_tokens: number;
}

export function grantView(g: GrantSummary): GrantView {
  return {
    grant_id: g.grantId,
    client_id: g.clientId,
    user_id: g.userId,
    scope: g.scope,
    created_at: g.createdAt,
    last_used_at: g.lastUsedAt,
    expires_at: g.expiresAt,
    active_tokens: g.activeTokens,
  };
}

/** One signed-in account (an OIDC `sid`) of a user; never the session cookie or its hash. */
export interface SessionView {
  readonly sid: string;
  readonly user_id: string;
  readonly auth_time: number;
  readonly amr: readonly string[];
  readonly acr: string | null;
  /** Clients that received tokens in this sign-in (notified when it ends). */
  readonly client_ids: readonly string[];
  readonly created_at: number;
  readonly last_seen_at: number;
  readonly expires_at: number;
}

export function sessionView(s: UserSessionSummary): SessionView {
  return {
    sid: s.sid,
    user_id: s.userId,
    auth_time: s.authTime,
    amr: [...s.amr],
    acr: s.acr,
    client_ids: [...s.clientIds],
    created_at: s.createdAt,
    last_seen_at: s.lastSeenAt,
    expires_at: s.expiresAt,
  };
}

export interface ConsentView {
  readonly user_id: string;
  readonly client_id: string;
  readonly scopes: readonly string[];
  readonly claims: readonly string[];
  readonly created_at: number;
  readonly updated_at: number;
}

export function consentView(c: ConsentRecord): ConsentView {
  return { user_id: c.userId, client_id: c.clientId, scopes: [...c.scopes], claims: [...c.claims], created_at: c.createdAt, updated_at: c.updatedAt };
}

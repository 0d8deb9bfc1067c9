import type { Client } from '../model/client.ts';
import type { TenantId } from '../model/tenant.ts';
import type { User } from '../model/user.ts';
import type { ClientStore } from '../ports/client-store.ts';
import type { UserStore } from '../ports/user-store.ts';
import type { TokenView } from './find-token.ts';
import type { UserSubjects } from './user-subject.ts';

export interface TokenPrincipalDeps {
  readonly clients: Pick<ClientStore, 'get'>;
  readonly users: Pick<UserStore, 'get'>;
  readonly subjects: Pick<UserSubjects, 'userIdOf'>;
  readonly tenantId: TenantId;
}

/** Whom a token speaks for and whether they may still use it. */
export type TokenPrincipals =
  | { readonly available: true; readonly client: Client; readonly user: User | null }
  | { readonly available: false; readonly reason: 'client_unavailable' | 'user_unavailable' };

/**
 * The user a token was issued for: `null` for a client's own token (client_credentials: no
 * `auth_time`, no stored `userId`), `undefined` when a user token names no user we can recover
 * (a corrupted sealed id reads as a user that is gone). Stored tokens keep the internal id in
 * `userId`; JWTs and older rows (userId null) carry `sub`, plus the sealed id when `sub` is pairwise.
 */
export function tokenUserId(
  view: Pick<TokenView, 'clientId' | 'subject' | 'claims' | 'record'>,
  subjects: Pick<UserSubjects, 'userIdOf'>,
): string | null | undefined {
  if (view.record?.userId) return view.record.userId;
  // Every token issued for a signed-in user carries auth_time (user-grant-tokens.ts, refresh snapshots).
  if (typeof view.claims.auth_time !== 'number') return null;
  return subjects.userIdOf(view.clientId, view.subject, view.claims) ?? undefined;
}

/**
 * Whether the client a token was issued to and the user it was issued for still exist and are
 * enabled. A token of a disabled or deleted principal is not active (RFC 7662 §2.2: "active":
 * "whether or not the presented token is currently active", at the server's discretion), nor
 * accepted at UserInfo or refresh. Disabling revokes nothing here, so a token whose principal is
 * enabled again is active again until it expires (revocation on disable is the application's
 * choice, see src/app/users.ts). Costs one indexed read per principal, none for a client that is
 * already known (the authenticated caller) and none for the user of a client_credentials token.
 */
export async function checkTokenPrincipals(
  deps: TokenPrincipalDeps,
  view: Pick<TokenView, 'clientId' | 'subject' | 'claims' | 'record'>,
  known: { readonly client?: Client } = {},
): Promise<TokenPrincipals> {
  const userId = tokenUserId(view, deps.subjects);
  if (userId === undefined) return { available: false, reason: 'user_unavailable' };
  const [client, user] = await Promise.all([
    known.client?.clientId === view.clientId ? known.client : deps.clients.get(deps.tenantId, view.clientId),
    userId === null ? null : deps.users.get(deps.tenantId, userId),
  ]);
  if (!client || client.disabled) return { available: false, reason: 'client_unavailable' };
  if (user === null) return { available: true, client, user: null };
  if (!user || user.disabled) return { available: false, reason: 'user_unavailable' };
  return { available: true, client, user };
}

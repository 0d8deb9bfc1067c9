import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor, Role } from '../app/index.ts';
import { ADMIN_READ_SCOPE, ADMIN_SCOPE, ADMIN_SCOPES, isAdminScope } from '../core/tokens/admin-scopes.ts';
import type { VerifiedAccessToken } from '../core/tokens/access-token-verifier.ts';
import type { AuthenticatedToken, ProtectedResource } from './resource-server/index.ts';

/** The end-user roles that may act through an admin scope (docs/admin-api.md "Delegated tokens"). */
export const ADMIN_USER_ROLE = 'admin';
export const AUDITOR_USER_ROLE = 'auditor';

/**
 * The operator behind an admin-scope access token (admin API, `/admin/mcp`).
 *
 * - A client's own token (client_credentials): the client acts, with the role its scope gives
 *   (`gatehouse:admin` → admin, `gatehouse:admin.read` → viewer). An operator granted the scope
 *   to the client, so the client is trusted with it.
 * - A token issued for a signed-in user (authorization code, refresh, device): the scope alone
 *   proves only that the user consented to the client acting as an administrator, not that the
 *   user is one. The user acts, and the role is the weaker of what the scope allows and what the
 *   user's CURRENT roles allow (`admin` → admin, `auditor` → viewer; read at every request, so
 *   taking the role away takes effect at once). A user with neither gets null: 403.
 *
 * Returns null when the token confers no operator role at all.
 */
export function adminActor(token: VerifiedAccessToken, origin: string): Actor | null {
  const scoped: Role | null = token.scope.includes(ADMIN_SCOPE) ? 'admin' : token.scope.includes(ADMIN_READ_SCOPE) ? 'viewer' : null;
  if (scoped === null) return null;
  if (token.endUser === null) return { kind: 'admin_client', id: token.clientId, roles: [scoped], origin };
  const roles = token.endUser.roles;
  const userRole: Role | null = roles.includes(ADMIN_USER_ROLE) ? 'admin' : roles.includes(AUDITOR_USER_ROLE) ? 'viewer' : null;
  if (userRole === null) return null;
  const role: Role = scoped === 'admin' && userRole === 'admin' ? 'admin' : 'viewer';
  return { kind: 'admin_user', id: token.endUser.id, roles: [role], origin };
}

/** The 403 description for a signed-in user who is not an operator. */
export const NOT_AN_OPERATOR = `the signed-in user has neither the ${ADMIN_USER_ROLE} nor the ${AUDITOR_USER_ROLE} role`;

/**
 * The admin resources' (admin API, `/admin/mcp`) check of a request: its Bearer or DPoP access
 * token verified for the resource, an admin scope, and an operator behind it (adminActor). Throws
 * the resource's 401 / 403 (insufficient_scope on the scheme the token came with).
 */
export async function authenticateAdmin(
  pr: ProtectedResource,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<{ readonly token: AuthenticatedToken; readonly actor: Actor }> {
  const token = await pr.authenticate({ authorization: request.headers.authorization, dpop: request.headers.dpop, method: request.method, url: request.url });
  // RFC 9449 §8.2: a proof with the previous window's nonce passed; hand out the current one.
  if (token.dpopNonce) reply.header('dpop-nonce', token.dpopNonce);
  if (!token.scope.some(isAdminScope)) throw pr.insufficientScope(ADMIN_SCOPES, token.scheme);
  const actor = adminActor(token, request.ip);
  if (!actor) throw pr.insufficientScope(ADMIN_SCOPES, token.scheme, NOT_AN_OPERATOR);
  return { token, actor };
}

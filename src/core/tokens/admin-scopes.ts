/**
 * The admin API's scopes and audience (issue #11, fixed interface). `gatehouse:admin` acts with
 * the admin role, `gatehouse:admin.read` with the viewer role. Only clients an operator created
 * with one of them in their scope may be granted them; dynamically registered clients never are
 * (refused at registration and at the token endpoint).
 */
export const ADMIN_SCOPE = 'gatehouse:admin';
export const ADMIN_READ_SCOPE = 'gatehouse:admin.read';
export const ADMIN_SCOPES: readonly string[] = [ADMIN_SCOPE, ADMIN_READ_SCOPE];
/** The admin API's path, also the path part of its resource identifier and token audience. */
export const ADMIN_API_PATH = '/admin/api/v1';

/** `{issuer}/admin/api/v1`: the audience of admin access tokens (RFC 8707 resource identifier). */
export function adminApiAudience(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}${ADMIN_API_PATH}`;
}

export function isAdminScope(scope: string): boolean {
  return scope === ADMIN_SCOPE || scope === ADMIN_READ_SCOPE;
}

import type { ResourceConfig, ResourceRegistryConfig } from './resource-indicators.ts';

/**
 * The admin plane's scopes and audiences (issue #11, fixed interface). `gatehouse:admin` acts with
 * the admin role, `gatehouse:admin.read` with the viewer role. Only clients an operator created
 * with one of them in their scope may be granted them; dynamically registered clients never are
 * (refused at registration and at the token endpoint).
 */
export const ADMIN_SCOPE = 'gatehouse:admin';
export const ADMIN_READ_SCOPE = 'gatehouse:admin.read';
export const ADMIN_SCOPES: readonly string[] = [ADMIN_SCOPE, ADMIN_READ_SCOPE];
/** The admin API's path, also the path part of its resource identifier and token audience. */
export const ADMIN_API_PATH = '/admin/api/v1';
/** The MCP admin server's path (Streamable HTTP), also the path part of its resource identifier. */
export const ADMIN_MCP_PATH = '/admin/mcp';

const base = (issuer: string) => issuer.replace(/\/+$/, '');

/** `{issuer}/admin/api/v1`: the audience of admin access tokens (RFC 8707 resource identifier). */
export function adminApiAudience(issuer: string): string {
  return `${base(issuer)}${ADMIN_API_PATH}`;
}

/** `{issuer}/admin/mcp`: the MCP server's resource identifier, the audience its tokens must carry. */
export function adminMcpAudience(issuer: string): string {
  return `${base(issuer)}${ADMIN_MCP_PATH}`;
}

export function isAdminScope(scope: string): boolean {
  return scope === ADMIN_SCOPE || scope === ADMIN_READ_SCOPE;
}

/**
 * The resource registry with this server's own protected resources (the admin API and the MCP
 * server) always in it: `resource={issuer}/admin/mcp` is known even with
 * `requireResourceRegistration`, and tokens for these resources carry admin scopes only. A
 * configured entry with the same identifier is ignored (an operator cannot widen them).
 */
export function withAdminResources<C extends ResourceRegistryConfig & { readonly issuer: string }>(config: C): C {
  const own: ResourceConfig[] = [adminApiAudience(config.issuer), adminMcpAudience(config.issuer)].map((identifier) => ({
    identifier,
    scopes: ADMIN_SCOPES,
  }));
  const ids = new Set(own.map((r) => r.identifier));
  return { ...config, resources: [...config.resources.filter((r) => !ids.has(r.identifier)), ...own] };
}

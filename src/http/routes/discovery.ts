import type { FastifyInstance } from 'fastify';
import { ASYMMETRIC_ALGS, HMAC_ALGS } from '../../core/client-auth/assertion-algorithms.ts';
import { buildMetadata } from '../../core/discovery/metadata.ts';
import { buildOidcMetadata, type OidcCapabilities } from '../../core/discovery/oidc-metadata.ts';
import { CLIENT_AUTH_METHODS } from '../../core/model/client.ts';
import type { AppContext } from '../context.ts';
import { ID_JAG_TOKEN_TYPE } from '../../core/token/grants/id-jag-issuance.ts';

/** Metadata changes only with config and code: a short public cache is safe. */
const CACHE_CONTROL = 'public, max-age=300';

export const DISCOVERY_PATHS = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'] as const;

const metadataSchema = {
  tags: ['discovery'],
  response: { 200: { description: 'Authorization server metadata (RFC 8414 §2)', type: 'object', additionalProperties: true } },
} as const;

/**
 * RFC 8414 §3 `/.well-known/oauth-authorization-server` and OpenID Connect Discovery 1.0 §4
 * `/.well-known/openid-configuration`, serving one document built once from config and the
 * live registries (the grant registry, the client authentication methods implemented).
 * RFC 8414 §3: the well-known suffix is inserted between the host and the issuer's path, so an
 * issuer with a path (`https://h/tenant`) is served at `/.well-known/oauth-authorization-server/tenant`;
 * OIDC Discovery §4 appends to the issuer instead (`/tenant/.well-known/openid-configuration`).
 */
export function registerDiscoveryRoutes(app: FastifyInstance, ctx: Pick<AppContext, 'config' | 'tokenEndpoint' | 'dpop'>): void {
  // Built once every route is registered (onReady), so it can ask which endpoints really exist.
  let body = '';
  app.addHook('onReady', async () => {
    body = JSON.stringify(discoveryDocument(app, ctx));
  });
  const issuerPath = new URL(ctx.config.issuer).pathname.replace(/\/$/, '');
  const paths: [string, string][] = [
    [DISCOVERY_PATHS[0], 'Authorization server metadata (RFC 8414)'],
    [DISCOVERY_PATHS[1], 'OpenID Provider configuration (same metadata)'],
  ];
  // Behind a proxy that maps the issuer path onto this server, the path-aware forms apply too.
  if (issuerPath)
    paths.push(
      [`${DISCOVERY_PATHS[0]}${issuerPath}`, 'RFC 8414 §3 path-aware form'],
      [`${issuerPath}${DISCOVERY_PATHS[1]}`, 'OIDC Discovery §4 path-aware form'],
    );
  for (const [path, summary] of paths) {
    app.get(path, { schema: { ...metadataSchema, summary } }, async (_request, reply) =>
      reply.header('cache-control', CACHE_CONTROL).type('application/json; charset=utf-8').send(body),
    );
  }
}

const served = (app: FastifyInstance, method: 'GET' | 'POST', url: string): boolean => app.hasRoute({ method, url });

/** The metadata document: the machine-to-machine members plus the OpenID members that are served. */
export function discoveryDocument(app: FastifyInstance, ctx: Pick<AppContext, 'config' | 'tokenEndpoint' | 'dpop'>): Record<string, unknown> {
  const m2m = buildMetadata(ctx.config, {
    grants: [...ctx.tokenEndpoint.grants.values()],
    clientAuthMethods: CLIENT_AUTH_METHODS,
    clientAuthSigningAlgs: [...ASYMMETRIC_ALGS, ...HMAC_ALGS],
    dpopSigningAlgs: ctx.dpop.algorithms,
  });
  const authorization = served(app, 'GET', '/authorize');
  const endSession = served(app, 'GET', '/end_session');
  const caps: OidcCapabilities = {
    authorization,
    userinfo: served(app, 'GET', '/userinfo'),
    deviceAuthorization: served(app, 'POST', '/device_authorization'),
    par: served(app, 'POST', '/par'),
    endSession,
    checkSession: served(app, 'GET', '/session/check'),
    backchannelLogout: endSession,
    frontchannelLogout: endSession,
    // RFC 9101 §6.2: request objects are verified with the client's public keys only (no HS*).
    requestObjectAlgs: authorization ? ASYMMETRIC_ALGS : [],
  };
  const oidc = buildOidcMetadata(ctx.config, caps);
  const grantTypes = m2m.grant_types_supported as string[];
  // OIDC Discovery §3: response types that return an access token from the authorization
  // endpoint use the implicit grant (`code token`, `code id_token token`).
  const grants = authorization ? [...grantTypes, 'implicit'] : grantTypes;
  // draft-ietf-oauth-identity-assertion-authz-grant §7: an IdP "SHOULD include" id-jag in
  // identity_chaining_requested_token_types_supported; only when an audience is configured (S17).
  const chaining = ctx.config.idJag.audiences.length ? { identity_chaining_requested_token_types_supported: [ID_JAG_TOKEN_TYPE] } : {};
  return { ...m2m, ...oidc, grant_types_supported: grants, ...chaining };
}

import type { FastifyInstance } from 'fastify';
import { ASYMMETRIC_ALGS, HMAC_ALGS } from '../../core/client-auth/assertion-algorithms.ts';
import { buildMetadata } from '../../core/discovery/metadata.ts';
import { CLIENT_AUTH_METHODS } from '../../core/model/client.ts';
import type { AppContext } from '../context.ts';
import { grantRegistry } from './token.ts';

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
export function registerDiscoveryRoutes(app: FastifyInstance, ctx: AppContext): void {
  const body = JSON.stringify(buildMetadata(ctx.config, {
    grants: [...grantRegistry(ctx).values()],
    clientAuthMethods: CLIENT_AUTH_METHODS,
    clientAuthSigningAlgs: [...ASYMMETRIC_ALGS, ...HMAC_ALGS],
  }));
  const issuerPath = new URL(ctx.config.issuer).pathname.replace(/\/$/, '');
  const paths: [string, string][] = [
    [DISCOVERY_PATHS[0], 'Authorization server metadata (RFC 8414)'],
    [DISCOVERY_PATHS[1], 'OpenID Provider configuration (same metadata)'],
  ];
  // Behind a proxy that maps the issuer path onto this server, the path-aware forms apply too.
  if (issuerPath) paths.push([`${DISCOVERY_PATHS[0]}${issuerPath}`, 'RFC 8414 §3 path-aware form'], [`${issuerPath}${DISCOVERY_PATHS[1]}`, 'OIDC Discovery §4 path-aware form']);
  for (const [path, summary] of paths) {
    app.get(path, { schema: { ...metadataSchema, summary } }, async (_request, reply) =>
      reply.header('cache-control', CACHE_CONTROL).type('application/json; charset=utf-8').send(body));
  }
}

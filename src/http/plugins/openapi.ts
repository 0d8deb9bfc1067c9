import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config/schema.ts';
import { GATEHOUSE_VERSION } from '../../metrics/build-info.ts';

/** Security scheme names for route schemas: `security: [{ [SECURITY.clientBasic]: [] }]`. */
export const SECURITY = { clientBasic: 'clientSecretBasic', bearer: 'bearerAuth', dpop: 'dpopAuth' } as const;

export const DOCS_PREFIX = '/docs';

/**
 * CSP for Swagger UI: its scripts, styles and images come from our own origin (the package's
 * bundled assets, no CDN); it fetches the spec from us and "try it out" calls go to the issuer.
 * No inline script or style: the index page and initializer are external files.
 */
export function docsCsp(config: Pick<Config, 'issuer'>): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self' ${new URL(config.issuer).origin}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * OpenAPI 3 from the routes' own `schema` objects (registered BEFORE the routes, so its onRoute
 * hook sees them), served at `/openapi.json`; Swagger UI at `/docs` from the package's assets.
 */
export async function registerOpenApi(app: FastifyInstance, config: Pick<Config, 'issuer'>): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Gatehouse',
        version: GATEHOUSE_VERSION,
        description: 'OAuth 2.1 / OpenID Connect authorization server. Errors use the OAuth JSON error format (RFC 6749 §5.2).',
      },
      servers: [{ url: config.issuer }],
      components: {
        securitySchemes: {
          [SECURITY.clientBasic]: {
            type: 'http',
            scheme: 'basic',
            description: 'Client authentication: client_id and client_secret, form-urlencoded (RFC 6749 §2.3.1).',
          },
          [SECURITY.bearer]: {
            type: 'http',
            scheme: 'bearer',
            description:
              'An access token with the gatehouse:admin or gatehouse:admin.read scope (admin API, audience {issuer}/admin/api/v1), or an RFC 7591 initial / RFC 7592 registration access token.',
          },
          [SECURITY.dpop]: {
            type: 'http',
            scheme: 'dpop',
            description:
              'RFC 9449 §7.1: `Authorization: DPoP <token>` for a DPoP-bound access token, plus a `DPoP` header holding a proof for this method and URL with `ath` (docs/dpop.md). Errors: `WWW-Authenticate: DPoP error="invalid_dpop_proof"` or `"use_dpop_nonce"` with a `DPoP-Nonce` header.',
          },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX, staticCSP: docsCsp(config) });

  let document: string | undefined;
  app.get(
    '/openapi.json',
    {
      schema: {
        summary: 'This API as an OpenAPI 3 document',
        tags: ['operations'],
        response: { 200: { description: 'OpenAPI 3.1 document', type: 'object', additionalProperties: true } },
      },
    },
    async (_request, reply) => {
      document ??= JSON.stringify(app.swagger());
      return reply.type('application/json; charset=utf-8').send(document);
    },
  );
}

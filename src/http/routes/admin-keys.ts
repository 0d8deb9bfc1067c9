import type { FastifyInstance } from 'fastify';
import { OAuthError } from '../../core/errors.ts';
import { keySummaries } from '../../core/keys/key-summary.ts';
import type { SigningAlg } from '../../core/model/key.ts';
import { ADMIN_TOKEN_ACTOR, adminBearerGuard } from '../admin-auth.ts';
import type { AppContext } from '../context.ts';

const summarySchema = {
  type: 'object',
  required: ['kid', 'alg', 'status', 'createdAt', 'activatedAt', 'retiresAt', 'published'],
  properties: {
    kid: { type: 'string' },
    alg: { type: 'string' },
    status: { type: 'string', enum: ['next', 'active', 'retired'] },
    createdAt: { type: 'integer', description: 'epoch seconds' },
    activatedAt: { type: ['integer', 'null'] },
    retiresAt: { type: ['integer', 'null'], description: 'when a retired key leaves the JWKS' },
    published: { type: 'boolean', description: 'whether the key is in the JWKS now' },
  },
} as const;
const listSchema = { type: 'object', required: ['keys'], properties: { keys: { type: 'array', items: summarySchema } } } as const;
const errorSchema = { type: 'object', properties: { error: { type: 'string' }, error_description: { type: 'string' } } } as const;

/** The optional rotate body `{ "algs": [...] }`: undefined means every configured algorithm. */
function readAlgs(body: unknown, configured: readonly SigningAlg[]): readonly SigningAlg[] | undefined {
  if (body === undefined || body === null) return undefined;
  const problem = `body must be {"algs": [...]} with configured algorithms (${configured.join(', ')})`;
  if (typeof body !== 'object' || Array.isArray(body)) throw OAuthError.invalidRequest(problem);
  const { algs, ...rest } = body as Record<string, unknown>;
  if (Object.keys(rest).length) throw OAuthError.invalidRequest(`unknown field: ${Object.keys(rest).join(', ')}`);
  if (algs === undefined) return undefined;
  if (!Array.isArray(algs) || algs.length === 0 || !algs.every((a) => configured.includes(a as SigningAlg))) throw OAuthError.invalidRequest(problem);
  return [...new Set(algs as SigningAlg[])];
}

/**
 * `GET /admin/api/keys` and `POST /admin/api/keys/rotate`, behind the admin bearer token. The
 * routes exist only when `adminToken` is configured (otherwise 404, like any unknown path).
 */
export async function registerAdminKeyRoutes(app: FastifyInstance, ctx: Pick<AppContext, 'keys' | 'config' | 'application'>): Promise<void> {
  if (!ctx.config.adminToken) return;
  const guard = adminBearerGuard(ctx.config);
  // Lifecycle only, never key material.
  const summaries = () => ({ keys: keySummaries(ctx.keys.list(), ctx.keys.jwks()) });

  await app.register(async (scope) => {
    // An empty body is a valid "rotate everything"; fastify's default parser would refuse it.
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
      const text = (body as string).trim();
      if (text === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text));
      } catch {
        done(OAuthError.invalidRequest('body is not valid JSON'), undefined);
      }
    });

    // The OpenAPI security scheme for the admin token (SECURITY.bearer in plugins/openapi.ts).
    const security = [{ bearerAuth: [] }];
    scope.get(
      '/admin/api/keys',
      {
        onRequest: guard,
        schema: { summary: 'List signing keys (no key material)', tags: ['admin'], security, response: { 200: listSchema, 401: errorSchema } },
      },
      async (_request, reply) => {
        // Read the store, not this instance's cache: another instance may have rotated.
        await ctx.keys.load();
        return reply.header('cache-control', 'no-store').send(summaries());
      },
    );

    scope.post(
      '/admin/api/keys/rotate',
      {
        onRequest: guard,
        schema: {
          summary: 'Rotate signing keys: next → active, active → retired (kept in the JWKS for keys.gracePeriod)',
          description:
            'Optional JSON body `{"algs": ["ES256"]}`; without it every configured algorithm rotates. Other instances pick the rotation up within keys.refreshInterval.',
          tags: ['admin'],
          security,
          response: { 200: listSchema, 400: errorSchema, 401: errorSchema },
        },
      },
      async (request, reply) => {
        const algs = readAlgs(request.body, ctx.config.keys.algorithms);
        // S18: the operator action is the application's keys.rotate (role check, key.rotated event).
        // The audit record names where the request came from (request.ip honours the trusted-proxy setting).
        await ctx.application.keys.rotate({ ...ADMIN_TOKEN_ACTOR, origin: request.ip }, algs ? { algs: [...algs] } : {});
        request.log.info({ algs: algs ?? ctx.config.keys.algorithms }, 'signing keys rotated');
        return reply.header('cache-control', 'no-store').send(summaries());
      },
    );
  });
}

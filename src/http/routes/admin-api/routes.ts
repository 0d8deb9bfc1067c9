import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasRole, type Actor } from '../../../app/index.ts';
import { GatehouseError } from '../../../core/errors.ts';
import { ADMIN_API_PATH, ADMIN_SCOPE, ADMIN_SCOPES } from '../../../core/tokens/admin-scopes.ts';
import { authenticateAdmin } from '../../admin-actor.ts';
import { consoleAccess } from '../../console/console-guard.ts';
import type { AppContext } from '../../context.ts';
import { SECURITY } from '../../plugins/openapi.ts';
import { createProtectedResource, registerProtectedResourceMetadata, type ProtectedResource } from '../../resource-server/index.ts';
import { ADMIN_BODY_LIMIT, adminOperations, etagOf, ifMatchHolds, type Params, singleValuedQuery } from './operations.ts';
import { PreconditionFailed, problemSchema, sendProblem, UnsupportedMediaType } from './problem.ts';

export { adminOperations, etagOf, listInput, type Operation } from './operations.ts';
const MERGE_PATCH = 'application/merge-patch+json';

/**
 * `/admin/api/v1/…` (issue #11): every operation runs `application.run(name, actor, input)` with
 * the actor from the access token, so role checks, validation, audit and events are exactly the
 * CLI's. Authentication: a Bearer or DPoP-bound (RFC 9449) access token this server issued for the audience
 * `{issuer}/admin/api/v1` with `gatehouse:admin` (admin role) or `gatehouse:admin.read` (viewer).
 */
export async function registerAdminApiRoutes(
  app: FastifyInstance,
  ctx: Pick<AppContext, 'config' | 'application' | 'accessTokenVerifier' | 'dpop' | 'console' | 'csrf'>,
): Promise<void> {
  const pr: ProtectedResource = createProtectedResource({
    issuer: ctx.config.issuer,
    path: ADMIN_API_PATH,
    scopes: ADMIN_SCOPES,
    name: 'Gatehouse admin API',
    verifier: ctx.accessTokenVerifier,
    dpop: ctx.dpop,
  });
  registerProtectedResourceMetadata(app, pr);
  const actors = new WeakMap<FastifyRequest, Actor>();
  const application = ctx.application;

  // RFC 9457: under /admin/api/v1 an unknown path or method is a problem too (the rest of the
  // server keeps its OAuth-style JSON 404).
  await app.register(
    async (scope) => {
      scope.setNotFoundHandler((request, reply) => {
        const path = request.url.split('?')[0]!.slice(0, 300);
        return sendProblem(reply, new GatehouseError('GH_NOT_FOUND', `no admin API route ${request.method} ${path} (the routes are in /openapi.json)`));
      });
    },
    { prefix: ADMIN_API_PATH },
  );

  await app.register(async (scope) => {
    // Schemas document; the use cases validate (zod, GH_INVALID_INPUT naming every path). The
    // serializer sends what the use case returned, never a schema-filtered copy.
    scope.setValidatorCompiler(() => () => true);
    scope.setSerializerCompiler(() => (data) => JSON.stringify(data));
    scope.setErrorHandler((error, request, reply) => {
      request.log.info({ err: error instanceof Error ? error.message : String(error) }, 'admin API request refused');
      // A body of a type no parser takes: say which types are taken (RFC 9457 "clear detail").
      if ((error as Partial<FastifyError>).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
        const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().slice(0, 100);
        return sendProblem(reply, new UnsupportedMediaType(`unsupported content type ${type}: send application/json (PATCH: ${MERGE_PATCH})`));
      }
      return sendProblem(reply, error);
    });
    // An empty body is "no input" (actions); JSON and JSON merge patch bodies parse alike.
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser(['application/json', MERGE_PATCH], { parseAs: 'string' }, (_req, text, done) => {
      const t = (text as string).trim();
      if (t === '') return done(null, undefined);
      try {
        done(null, JSON.parse(t));
      } catch {
        done(new GatehouseError('GH_INVALID_INPUT', 'the body is not valid JSON'), undefined);
      }
    });

    const authenticate = (needsFull: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
      const mutation = needsFull || (request.method !== 'GET' && request.method !== 'HEAD');
      // The console session (a signed-in operator's browser): no Authorization header, the
      // console's cookie; a mutation carries the console's CSRF token in `x-csrf-token`.
      if (request.headers.authorization === undefined && ctx.console) {
        const access = await consoleAccess(request, ctx.console, application);
        if (access.kind === 'forbidden') throw new GatehouseError('GH_FORBIDDEN', `${access.username} has neither the admin nor the auditor role`);
        if (access.kind === 'ok') {
          const header = request.headers['x-csrf-token'];
          if (mutation && !ctx.csrf.verify(request, typeof header === 'string' ? header : undefined)) {
            throw new GatehouseError('GH_FORBIDDEN', 'a console session call that changes something needs the x-csrf-token header (CSRF)');
          }
          if (mutation && !hasRole(access.actor, 'admin')) throw new GatehouseError('GH_FORBIDDEN', 'the auditor role is read-only');
          actors.set(request, access.actor);
          return;
        }
      }
      // A user's token acts as that user, with the weaker of scope and current role (admin-actor.ts).
      const { token, actor } = await authenticateAdmin(pr, request, reply);
      // Read-only tokens never mutate (checked here, before the use case's own role check).
      if (mutation && !hasRole(actor, 'admin')) throw pr.insufficientScope([ADMIN_SCOPE], token.scheme);
      actors.set(request, actor);
    };

    for (const op of adminOperations(application, { importBodyLimit: ctx.config.http.importBodyLimit })) {
      const url = `${ADMIN_API_PATH}${op.path}`;
      const uc = application.catalog.find((c) => c.name === op.useCase);
      const params = [...op.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
      const mutation = op.method !== 'GET';
      const headers =
        op.target && mutation
          ? { type: 'object', properties: { 'if-match': { type: 'string', description: 'RFC 9110 §13.1.1: the ETag of GET one' } } }
          : undefined;
      scope.route({
        method: op.method,
        url,
        onRequest: authenticate(op.adminScope === true),
        bodyLimit: op.bodyLimit ?? ADMIN_BODY_LIMIT,
        schema: {
          summary: op.summary ?? uc?.summary ?? op.useCase,
          description: `Use case \`${op.useCase}\` (role ${uc?.role ?? 'admin'}).`,
          tags: [`admin: ${op.tag}`],
          security: [{ [SECURITY.bearer]: [] }, { [SECURITY.dpop]: [] }],
          ...(params.length
            ? { params: { type: 'object', required: params, properties: Object.fromEntries(params.map((p) => [p, { type: 'string' }])) } }
            : {}),
          ...(op.query ? { querystring: { type: 'object', properties: op.query } } : {}),
          ...(op.body ? { body: op.body } : {}),
          ...(headers ? { headers } : {}),
          response: {
            [op.status ?? 200]: { description: 'Success', ...op.response },
            400: problemSchema,
            401: problemSchema,
            403: problemSchema,
            ...(mutation || op.target ? { 404: problemSchema } : {}),
            ...(op.target && mutation ? { 412: problemSchema } : {}),
          },
        },
        handler: async (request, reply) => {
          const actor = actors.get(request)!;
          const p = request.params as Params;
          const query = singleValuedQuery(request.query);
          if (op.method === 'PATCH' && !(request.headers['content-type'] ?? '').toLowerCase().startsWith(MERGE_PATCH)) {
            // RFC 5789 §2.2: a 415 to a PATCH names the patch formats in Accept-Patch.
            reply.header('accept-patch', MERGE_PATCH);
            throw new UnsupportedMediaType(`PATCH takes ${MERGE_PATCH} (RFC 7396)`);
          }
          const ifMatch = request.headers['if-match'];
          if (op.target && mutation && typeof ifMatch === 'string') {
            // RFC 9110 §13.1.1. Checked against the current object just before the write: a write
            // landing between this read and the use case's own is not detected (docs/admin-api.md).
            const current = await application.run(op.target.show, actor, op.target.input(p));
            if (!ifMatchHolds(ifMatch, etagOf(current))) throw new PreconditionFailed('If-Match does not match the current ETag');
          }
          const out = op.run
            ? await op.run(application, actor, request.body)
            : await application.run(op.useCase, actor, op.input ? await op.input({ params: p, query, body: request.body }, application, actor) : p);
          const view = op.output ? op.output(out) : out;
          reply.header('cache-control', 'no-store');
          if (op.target && op.method === 'GET') reply.header('etag', etagOf(view));
          return reply.code(op.status ?? 200).send(view);
        },
      });
    }
  });
}

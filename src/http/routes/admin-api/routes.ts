import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Actor, Application } from '../../../app/index.ts';
import { sha256 } from '../../../core/crypto.ts';
import { GatehouseError } from '../../../core/errors.ts';
import { ADMIN_API_PATH, ADMIN_READ_SCOPE, ADMIN_SCOPE, ADMIN_SCOPES } from '../../../core/tokens/admin-scopes.ts';
import type { AppContext } from '../../context.ts';
import { SECURITY } from '../../plugins/openapi.ts';
import { createProtectedResource, registerProtectedResourceMetadata, type ProtectedResource } from '../../resource-server/index.ts';
import { isObject, mergePatch } from './merge-patch.ts';
import { PreconditionFailed, problemSchema, sendProblem } from './problem.ts';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
type Params = Readonly<Record<string, string>>;
type Query = Readonly<Record<string, string | undefined>>;

/** The object a route acts on, for `ETag` / `If-Match`: the use case that shows it and its input. */
interface Target {
  readonly show: string;
  readonly input: (params: Params) => Record<string, unknown>;
}

/** One admin API operation: a path on top of one application use case (S18). */
interface Operation {
  readonly method: Method;
  readonly path: string;
  readonly useCase: string;
  readonly tag: string;
  /** The use case input from the request; default: the path parameters. */
  readonly input?: (req: { params: Params; query: Query; body: unknown }, app: Application, actor: Actor) => unknown | Promise<unknown>;
  /** Reshapes the use case output for the wire. */
  readonly output?: (out: unknown) => unknown;
  readonly status?: 200 | 201;
  /** GET one: answers with an ETag; mutations of it honour If-Match. */
  readonly target?: Target;
  /** Documented query parameters (lists). */
  readonly query?: Readonly<Record<string, { type: 'string' | 'integer'; description?: string }>>;
  /** Documented request body (JSON Schema); default: none. */
  readonly body?: Record<string, unknown>;
  readonly summary?: string;
  /** Instead of one run of `useCase`: several runs, or a use case chosen by the body (bulk operations). */
  readonly run?: (application: Application, actor: Actor, body: unknown) => Promise<unknown>;
}

const NUMERIC_QUERY = new Set(['limit', 'since', 'until']);
const LIST_QUERY = {
  limit: { type: 'integer', description: '1–500, default 50' },
  cursor: { type: 'string', description: 'next_cursor of the previous page' },
  q: { type: 'string', description: 'search (prefix)' },
  sort: { type: 'string', description: '`field` ascending or `-field` descending' },
} as const;

/**
 * `?limit=&cursor=&q=&sort=field|-field` (plus filters) as a list use case's input: numbers
 * parsed, `-field` split into sort and order. Unknown parameters reach the use case, whose
 * strict schema names them (GH_INVALID_INPUT).
 */
export function listInput(query: Query, sortable: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    if (k === 'sort') {
      const desc = v.startsWith('-');
      if (desc) out['order'] = 'desc';
      else if (!sortable) out['order'] = 'asc';
      if (sortable) out['sort'] = desc ? v.slice(1) : v;
    } else out[k] = NUMERIC_QUERY.has(k) && /^\d{1,15}$/.test(v) ? Number(v) : v;
  }
  return out;
}

/** `"…"`: a strong validator of the JSON view (RFC 9110 §8.8.3). */
export function etagOf(view: unknown): string {
  return `"${sha256(JSON.stringify(view)).slice(0, 32)}"`;
}

/** RFC 9110 §13.1.1: whether `If-Match` holds for the current representation's ETag. */
function ifMatchHolds(header: string, current: string): boolean {
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim() === current);
}

const flattenSecret = (out: unknown): unknown => {
  const o = out as { client: Record<string, unknown>; client_secret: string | null };
  return { ...o.client, ...(o.client_secret === null ? {} : { client_secret: o.client_secret }) };
};

const body = (req: { body: unknown }): Record<string, unknown> => (isObject(req.body) ? req.body : {});
const objectBody = { type: 'object', additionalProperties: true } as const;
const clientTarget: Target = { show: 'clients.show', input: (p) => ({ client_id: p['id'] }) };
const userTarget: Target = { show: 'users.show', input: (p) => ({ user: p['id'] }) };
const byClient = (p: Params) => ({ client_id: p['id'] });
const byUser = (p: Params) => ({ user: p['id'] });

/** Every admin API operation (issue #11 interface), each on its application use case. */
export function adminOperations(app: Application): readonly Operation[] {
  const schemaOf = (name: string): Record<string, unknown> => {
    const uc = app.catalog.find((c) => c.name === name);
    return uc ? (z.toJSONSchema(uc.input, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>) : objectBody;
  };
  /** The JSON Schema of one member of a use case's input (the PATCH body is `metadata` of clients.update). */
  const memberSchema = (name: string, member: string): Record<string, unknown> => {
    const props = schemaOf(name)['properties'] as Record<string, Record<string, unknown>> | undefined;
    return props?.[member] ?? objectBody;
  };
  return [
    // Clients (RFC 7591 metadata names in and out).
    { method: 'GET', path: '/clients', useCase: 'clients.list', tag: 'clients', query: LIST_QUERY, input: (r) => listInput(r.query, true) },
    { method: 'GET', path: '/clients/:id', useCase: 'clients.show', tag: 'clients', input: (r) => byClient(r.params), target: clientTarget },
    {
      method: 'POST',
      path: '/clients',
      useCase: 'clients.create',
      tag: 'clients',
      status: 201,
      body: schemaOf('clients.create'),
      input: (r) => r.body ?? {},
      output: flattenSecret,
      summary: 'Register a client (RFC 7591 metadata); 201 with the client and, once, its client_secret',
    },
    {
      method: 'PATCH',
      path: '/clients/:id',
      useCase: 'clients.update',
      tag: 'clients',
      target: clientTarget,
      body: { ...memberSchema('clients.update', 'metadata'), description: 'RFC 7396 JSON merge patch of the RFC 7591 metadata (null removes a member)' },
      // RFC 7396: each patched member is merged into its current value (null removes it).
      input: async (r, application, actor) => {
        if (!isObject(r.body)) throw new GatehouseError('GH_INVALID_INPUT', 'the merge patch must be a JSON object');
        const current = (await application.run('clients.show', actor, byClient(r.params))) as Record<string, unknown>;
        const metadata: Record<string, unknown> = {};
        for (const [m, v] of Object.entries(r.body)) metadata[m] = v === null ? null : mergePatch(current[m], v);
        return { client_id: r.params['id'], metadata };
      },
      output: (out) => (out as { client: unknown }).client,
    },
    { method: 'DELETE', path: '/clients/:id', useCase: 'clients.delete', tag: 'clients', input: (r) => byClient(r.params), target: clientTarget },
    { method: 'POST', path: '/clients/:id/disable', useCase: 'clients.disable', tag: 'clients', input: (r) => byClient(r.params), target: clientTarget },
    { method: 'POST', path: '/clients/:id/enable', useCase: 'clients.enable', tag: 'clients', input: (r) => byClient(r.params), target: clientTarget },
    {
      method: 'POST',
      path: '/clients/:id/rotate-secret',
      useCase: 'clients.rotate_secret',
      tag: 'clients',
      input: (r) => byClient(r.params),
      target: clientTarget,
      output: flattenSecret,
    },
    {
      method: 'POST',
      path: '/clients/disable',
      useCase: 'clients.disable',
      tag: 'clients',
      body: {
        type: 'object',
        required: ['client_ids'],
        properties: { client_ids: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: MAX_BULK } },
        additionalProperties: false,
      },
      summary: `Bulk: disable up to ${MAX_BULK} clients; one clients.disable (audit record, event) per client, each outcome reported`,
      run: (application, actor, b) => bulkDisable(application, actor, b),
    },
    {
      method: 'POST',
      path: '/clients/:id/revoke-tokens',
      useCase: 'grants.revoke_for_client',
      tag: 'clients',
      input: (r) => byClient(r.params),
      summary: 'Bulk: revoke every grant and token issued to the client',
    },
    // Users.
    { method: 'GET', path: '/users', useCase: 'users.list', tag: 'users', query: LIST_QUERY, input: (r) => listInput(r.query, true) },
    { method: 'GET', path: '/users/:id', useCase: 'users.show', tag: 'users', input: (r) => byUser(r.params), target: userTarget },
    { method: 'POST', path: '/users', useCase: 'users.create', tag: 'users', status: 201, body: schemaOf('users.create'), input: (r) => r.body ?? {} },
    {
      method: 'PATCH',
      path: '/users/:id',
      useCase: 'users.update',
      tag: 'users',
      target: userTarget,
      body: {
        ...withoutMember(schemaOf('users.update'), 'user'),
        description: 'RFC 7396 JSON merge patch: claims and attributes merge (null removes one), roles and groups replace',
      },
      input: (r) => ({ ...body(r), user: r.params['id'] }),
    },
    { method: 'DELETE', path: '/users/:id', useCase: 'users.delete', tag: 'users', input: (r) => byUser(r.params), target: userTarget },
    { method: 'POST', path: '/users/:id/disable', useCase: 'users.disable', tag: 'users', input: (r) => byUser(r.params), target: userTarget },
    { method: 'POST', path: '/users/:id/enable', useCase: 'users.enable', tag: 'users', input: (r) => byUser(r.params), target: userTarget },
    { method: 'POST', path: '/users/:id/unlock', useCase: 'users.unlock', tag: 'users', input: (r) => byUser(r.params), target: userTarget },
    {
      method: 'POST',
      path: '/users/:id/password',
      useCase: 'users.set_password',
      tag: 'users',
      target: userTarget,
      body: { type: 'object', required: ['password'], properties: { password: { type: 'string' } }, additionalProperties: false },
      input: (r) => ({ ...body(r), user: r.params['id'] }),
    },
    {
      method: 'POST',
      path: '/users/:id/revoke-tokens',
      useCase: 'grants.revoke_for_user',
      tag: 'users',
      input: (r) => byUser(r.params),
      summary: 'Bulk: revoke every grant and token of the user',
    },
    { method: 'POST', path: '/users/:id/end-sessions', useCase: 'sessions.end_all', tag: 'users', input: (r) => byUser(r.params) },
    // Grants (a grant groups the tokens of one authorization) and tokens.
    {
      method: 'GET',
      path: '/grants',
      useCase: 'grants.list',
      tag: 'grants',
      query: { ...LIST_QUERY, user: { type: 'string' }, client_id: { type: 'string' } },
      input: (r) => listInput(r.query, true),
    },
    { method: 'DELETE', path: '/grants/:id', useCase: 'grants.revoke', tag: 'grants', input: (r) => ({ grant_id: r.params['id'] }) },
    {
      method: 'GET',
      path: '/tokens',
      useCase: 'grants.list',
      tag: 'tokens',
      query: { ...LIST_QUERY, user: { type: 'string' }, client_id: { type: 'string' } },
      input: (r) => listInput(r.query, true),
      summary: 'Live tokens, grouped by grant (the same list as /grants)',
    },
    {
      method: 'POST',
      path: '/tokens/revoke',
      useCase: 'grants.revoke_for_user',
      tag: 'tokens',
      body: { type: 'object', properties: { user: { type: 'string' }, client_id: { type: 'string' } } },
      summary: 'Bulk: revoke every token of a user ({"user"}) or of a client ({"client_id"})',
      run: (application, actor, b) => {
        const { name, input } = bulkRevoke(b);
        return application.run(name, actor, input);
      },
    },
    // Sessions and consents.
    {
      method: 'GET',
      path: '/sessions',
      useCase: 'sessions.list',
      tag: 'sessions',
      query: { ...LIST_QUERY, user: { type: 'string' } },
      input: (r) => listInput(r.query, true),
    },
    { method: 'DELETE', path: '/sessions/:id', useCase: 'sessions.end', tag: 'sessions', input: (r) => ({ sid: r.params['id'] }) },
    {
      method: 'GET',
      path: '/consents',
      useCase: 'consents.list',
      tag: 'consents',
      query: { ...LIST_QUERY, user: { type: 'string' } },
      input: (r) => listInput(r.query, true),
    },
    {
      method: 'DELETE',
      path: '/consents/:user/:client_id',
      useCase: 'consents.revoke',
      tag: 'consents',
      input: (r) => ({ user: r.params['user'], client_id: r.params['client_id'] }),
    },
    // Keys and audit.
    { method: 'GET', path: '/keys', useCase: 'keys.list', tag: 'keys', query: LIST_QUERY, input: (r) => listInput(r.query, true) },
    { method: 'POST', path: '/keys/rotate', useCase: 'keys.rotate', tag: 'keys', body: schemaOf('keys.rotate'), input: (r) => r.body ?? {} },
    {
      method: 'GET',
      path: '/audit',
      useCase: 'audit.list',
      tag: 'audit',
      query: {
        limit: LIST_QUERY.limit,
        cursor: LIST_QUERY.cursor,
        sort: { type: 'string', description: '`seq` (oldest first) or `-seq` (newest first, the default)' },
        since: { type: 'integer', description: 'epoch ms' },
        until: { type: 'integer', description: 'epoch ms' },
        actor: { type: 'string' },
        action: { type: 'string' },
        object: { type: 'string' },
      },
      input: (r) => listInput(r.query, false),
    },
    { method: 'GET', path: '/audit/verify', useCase: 'audit.verify', tag: 'audit', input: () => ({}) },
  ];
}

const MAX_BULK = 100;

/**
 * `POST /clients/disable`: clients.disable for each id in turn (each its own audit record and
 * event, as if called one by one); a failure is reported for its id and the rest go on.
 */
async function bulkDisable(application: Application, actor: Actor, b: unknown): Promise<unknown> {
  const ids = isObject(b) ? b['client_ids'] : undefined;
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_BULK || !ids.every((i) => typeof i === 'string') || Object.keys(b as object).length !== 1) {
    throw new GatehouseError('GH_INVALID_INPUT', `client_ids: give 1 to ${MAX_BULK} client ids (and nothing else)`);
  }
  const items: Record<string, unknown>[] = [];
  for (const id of new Set(ids as string[])) {
    try {
      await application.run('clients.disable', actor, { client_id: id });
      items.push({ client_id: id, disabled: true });
    } catch (e) {
      // Only operator-facing codes are named; anything else (a store outage) stops the batch.
      if (!(e instanceof GatehouseError) || !['GH_NOT_FOUND', 'GH_INVALID_INPUT', 'GH_CONFLICT'].includes(e.code)) throw e;
      items.push({ client_id: id, disabled: false, code: e.code, detail: e.message });
    }
  }
  return { items };
}

/** A use case's input schema without a member the path supplies (`user` of users.update). */
function withoutMember(schema: Record<string, unknown>, member: string): Record<string, unknown> {
  const { [member]: _drop, ...properties } = (schema['properties'] ?? {}) as Record<string, unknown>;
  const required = Array.isArray(schema['required']) ? (schema['required'] as string[]).filter((r) => r !== member) : undefined;
  return { ...schema, properties, ...(required ? { required } : {}) };
}

/** Which use case `POST /tokens/revoke` runs: by user or by client. */
function bulkRevoke(b: unknown): { name: string; input: unknown } {
  const o = isObject(b) ? b : {};
  if (typeof o['user'] === 'string' && o['client_id'] === undefined) return { name: 'grants.revoke_for_user', input: { user: o['user'] } };
  if (typeof o['client_id'] === 'string' && o['user'] === undefined) return { name: 'grants.revoke_for_client', input: { client_id: o['client_id'] } };
  throw new GatehouseError('GH_INVALID_INPUT', 'give exactly one of user and client_id');
}

const MERGE_PATCH = 'application/merge-patch+json';

/**
 * `/admin/api/v1/…` (issue #11): every operation runs `application.run(name, actor, input)` with
 * the actor from the access token, so role checks, validation, audit and events are exactly the
 * CLI's. Authentication: a Bearer or DPoP-bound (RFC 9449) access token this server issued for the audience
 * `{issuer}/admin/api/v1` with `gatehouse:admin` (admin role) or `gatehouse:admin.read` (viewer).
 */
export async function registerAdminApiRoutes(app: FastifyInstance, ctx: Pick<AppContext, 'config' | 'application' | 'accessTokenVerifier' | 'dpop'>): Promise<void> {
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

  await app.register(async (scope) => {
    // Schemas document; the use cases validate (zod, GH_INVALID_INPUT naming every path). The
    // serializer sends what the use case returned, never a schema-filtered copy.
    scope.setValidatorCompiler(() => () => true);
    scope.setSerializerCompiler(() => (data) => JSON.stringify(data));
    scope.setErrorHandler((error, request, reply) => {
      request.log.info({ err: error instanceof Error ? error.message : String(error) }, 'admin API request refused');
      return sendProblem(reply, error);
    });
    // An empty body is "no input" (actions); JSON and JSON merge patch bodies parse alike.
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser(['application/json', MERGE_PATCH], { parseAs: 'string', bodyLimit: 256 * 1024 }, (_req, text, done) => {
      const t = (text as string).trim();
      if (t === '') return done(null, undefined);
      try {
        done(null, JSON.parse(t));
      } catch {
        done(new GatehouseError('GH_INVALID_INPUT', 'the body is not valid JSON'), undefined);
      }
    });

    const authenticate = async (request: FastifyRequest, _reply: FastifyReply) => {
      const token = await pr.authenticate({
        authorization: request.headers.authorization,
        dpop: request.headers.dpop,
        method: request.method,
        url: request.url,
      });
      const full = token.scope.includes(ADMIN_SCOPE);
      if (!full && !token.scope.includes(ADMIN_READ_SCOPE)) throw pr.insufficientScope(ADMIN_SCOPES, token.scheme);
      // Read-only tokens never mutate (checked here, before the use case's own role check).
      if (request.method !== 'GET' && request.method !== 'HEAD' && !full) throw pr.insufficientScope([ADMIN_SCOPE], token.scheme);
      actors.set(request, { kind: 'admin_client', id: token.clientId, roles: [full ? 'admin' : 'viewer'], origin: request.ip });
    };

    for (const op of adminOperations(application)) {
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
        onRequest: authenticate,
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
            [op.status ?? 200]: { description: op.query ? '{ items, next_cursor }' : 'The object', type: 'object', additionalProperties: true },
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
          if (op.method === 'PATCH' && !(request.headers['content-type'] ?? '').toLowerCase().startsWith(MERGE_PATCH)) {
            throw Object.assign(new Error(`PATCH takes ${MERGE_PATCH} (RFC 7396)`), { statusCode: 415 });
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
            : await application.run(
                op.useCase,
                actor,
                op.input ? await op.input({ params: p, query: request.query as Query, body: request.body }, application, actor) : p,
              );
          const view = op.output ? op.output(out) : out;
          reply.header('cache-control', 'no-store');
          if (op.target && op.method === 'GET') reply.header('etag', etagOf(view));
          return reply.code(op.status ?? 200).send(view);
        },
      });
    }
  });
}

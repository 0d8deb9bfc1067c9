import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../../core/errors.ts';
import type { RegistrationRequest } from '../../core/registration/registration-service.ts';
import { endpointUrl, type AppContext } from '../context.ts';

/** RFC 6750 §2.1: `Authorization: Bearer b64token`. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

function bearerToken(request: FastifyRequest): string | undefined {
  const h = request.headers.authorization;
  if (h === undefined) return undefined;
  const m = BEARER.exec(h);
  // A malformed or non-Bearer Authorization header is a wrong token, not an absent one.
  if (!m) throw OAuthError.invalidToken('malformed bearer token', 'authorization header is not a Bearer token');
  return m[1];
}

/** RFC 7591 §3.1: "The client sends an HTTP POST to the client registration endpoint with a content type of application/json". */
function jsonBody(request: FastifyRequest): unknown {
  const type = request.headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new OAuthError('invalid_request', 'content type must be application/json', { status: 415 });
  }
  return request.body;
}

/** RFC 7591 §3.2.1 / RFC 7592 §3: responses carry credentials, so they are never cached. */
function send(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').header('pragma', 'no-cache').type('application/json').send(body);
}

const params = { type: 'object', properties: { clientId: { type: 'string' } }, required: ['clientId'] } as const;
const tags = ['registration'];
const security = [{ bearerAuth: [] }];
const oauthError = { type: 'object', required: ['error'], properties: { error: { type: 'string' }, error_description: { type: 'string' } } } as const;
/** RFC 7591 §3.2.1 client information response; every registered metadata member is echoed. */
const clientInformation = {
  description: 'Client information response (RFC 7591 §3.2.1, RFC 7592 §3)',
  type: 'object',
  additionalProperties: true,
  required: ['client_id'],
  properties: {
    client_id: { type: 'string' },
    client_secret: { type: 'string' },
    client_id_issued_at: { type: 'integer' },
    client_secret_expires_at: { type: 'integer' },
    registration_access_token: { type: 'string' },
    registration_client_uri: { type: 'string' },
  },
} as const;
const errors = { 400: oauthError, 401: oauthError, 404: oauthError } as const;

/**
 * Dynamic Client Registration (RFC 7591) and its management protocol (RFC 7592). Off unless
 * `registration.enabled`: the routes are then not registered at all (404).
 */
export function registerRegistrationRoutes(app: FastifyInstance, ctx: Pick<AppContext, 'config' | 'registration'>): void {
  if (!ctx.config.registration.enabled) return;
  const { registration } = ctx;
  const endpoint = endpointUrl(ctx.config, '/register');
  const req = (request: FastifyRequest): RegistrationRequest => ({ endpoint, bearer: bearerToken(request) });
  const clientIdOf = (request: FastifyRequest) => (request.params as { clientId: string }).clientId;

  app.post(
    '/register',
    { schema: { tags, security, summary: 'Register a client (RFC 7591 §3.1)', response: { 201: clientInformation, ...errors } } },
    async (request, reply) => {
      const r = req(request);
      // RFC 7591 §3.2.1: "the authorization server responds with an HTTP 201 Created status code".
      return send(reply, 201, await registration.register(r, jsonBody(request)));
    },
  );

  app.get(
    '/register/:clientId',
    { schema: { tags, security, params, summary: 'Read a registration (RFC 7592 §2.1)', response: { 200: clientInformation, ...errors } } },
    async (request, reply) => send(reply, 200, await registration.read(clientIdOf(request), req(request))),
  );

  app.put(
    '/register/:clientId',
    { schema: { tags, security, params, summary: 'Replace a registration (RFC 7592 §2.2)', response: { 200: clientInformation, ...errors } } },
    async (request, reply) => {
      const r = req(request);
      return send(reply, 200, await registration.update(clientIdOf(request), r, jsonBody(request)));
    },
  );

  app.delete(
    '/register/:clientId',
    {
      schema: {
        tags,
        security,
        params,
        summary: 'Delete a registration (RFC 7592 §2.3)',
        response: { 204: { description: 'Deleted', type: 'null' }, ...errors },
      },
    },
    async (request, reply) => {
      await registration.delete(clientIdOf(request), req(request));
      // RFC 7592 §2.3: "the authorization server responds with an HTTP 204 No Content message".
      return reply.code(204).header('cache-control', 'no-store').send();
    },
  );
}

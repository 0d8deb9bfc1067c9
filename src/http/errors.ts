import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { GatehouseError, OAuthError } from '../core/errors.ts';
import type { EventPublisher } from '../core/events.ts';

/** Maps any thrown value to the error the wire may see (S7). Never leaks a stack or detail. */
export function toOAuthError(err: unknown): OAuthError {
  if (err instanceof OAuthError) return err;
  const fe = err as Partial<FastifyError> & { statusCode?: number };
  const code = typeof fe.code === 'string' ? fe.code : '';
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new OAuthError('invalid_request', 'request body too large', { status: 413, detail: code });
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new OAuthError('invalid_request', 'unsupported content type', { status: 415, detail: code });
  if (code.startsWith('FST_ERR_CTP_') || code === 'FST_ERR_VALIDATION' || fe.statusCode === 400) {
    return OAuthError.invalidRequest('malformed request', `${code}: ${fe.message ?? ''}`);
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new OAuthError('invalid_request', 'invalid request', { status: fe.statusCode, detail: `${code}: ${fe.message ?? ''}` });
  }
  // Input a store refused as such (e.g. a NUL PostgreSQL cannot hold): the request was malformed.
  if (err instanceof GatehouseError && err.code === 'GH_INVALID_INPUT') return OAuthError.invalidRequest('invalid request', `${err.code}: ${err.message}`);
  if (err instanceof GatehouseError && (err.code === 'GH_KEYS_NOT_LOADED' || err.code === 'GH_STORE_UNAVAILABLE')) {
    return new OAuthError('temporarily_unavailable', 'service temporarily unavailable', { detail: `${err.code}: ${err.message}` });
  }
  return OAuthError.serverError(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
}

export function sendOAuthError(reply: FastifyReply, err: OAuthError): FastifyReply {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  return reply.code(err.status).header('cache-control', 'no-store').type('application/json').send(err.toJSON());
}

/** The one renderer: every error becomes a JSON OAuth error; unexpected ones are logged. */
export function registerErrorHandling(app: FastifyInstance, events: EventPublisher): void {
  app.setErrorHandler((error, request, reply) => {
    const e = toOAuthError(error);
    if (e.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ error: e.code, detail: e.detail }, 'request refused');
    events.publish('request.failed', { route: request.routeOptions.url ?? 'unknown', code: e.code, detail: e.detail });
    return sendOAuthError(reply, e);
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not_found', error_description: 'no such endpoint' }));
}

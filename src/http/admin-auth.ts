import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../app/index.ts';
import type { Config } from '../config/schema.ts';
import { safeEqual, sha256 } from '../core/crypto.ts';
import { OAuthError } from '../core/errors.ts';
import { challenge } from '../core/www-authenticate.ts';

const REALM = 'gatehouse-admin';

/** Who acts when a request carries the static admin token: an admin client with every role. */
export const ADMIN_TOKEN_ACTOR: Actor = { kind: 'admin_client', id: 'admin-token', roles: ['admin'] };

/** `Authorization: Bearer <token>` (RFC 6750 §2.1); the scheme is case-insensitive (RFC 9110 §11.1). */
function bearerToken(header: string | undefined): string | null {
  const m = header ? /^bearer +(\S+) *$/i.exec(header) : null;
  return m ? m[1]! : null;
}

/**
 * Guard for `/admin/api/*`, used as an `onRequest` hook so it runs before the body is read.
 * Without `adminToken` configured the admin API does not exist: 404, as for any unknown path.
 * Otherwise it requires `Authorization: Bearer <adminToken>`, compared in constant time on
 * SHA-256 digests (equal lengths, so neither the value nor its length leaks).
 */
export function adminBearerGuard(config: Pick<Config, 'adminToken'>): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  const expected = config.adminToken ? sha256(config.adminToken) : null;
  return async (request, reply) => {
    if (expected === null) {
      reply.callNotFound();
      return reply;
    }
    const presented = bearerToken(request.headers.authorization);
    if (presented === null) {
      // RFC 6750 §3.1: "If the request lacks any authentication information …, the resource
      // server SHOULD NOT include an error code or other error information."
      throw new OAuthError('invalid_token', 'admin bearer token required', { headers: { 'www-authenticate': challenge('Bearer', { realm: REALM }) } });
    }
    if (!safeEqual(sha256(presented), expected)) {
      throw new OAuthError('invalid_token', 'invalid admin token', {
        detail: 'admin bearer token mismatch',
        headers: { 'www-authenticate': challenge('Bearer', { realm: REALM, error: 'invalid_token' }) },
      });
    }
    return undefined;
  };
}

import type { FastifyInstance } from 'fastify';
import { sha256 } from '../../core/crypto.ts';
import type { JsonWebKeySet } from '../../core/keys/key-ring.ts';
import type { AppContext } from '../context.ts';

/** RFC 7517 §8.5.1: the media type of a JWK Set; jose and oauth4webapi both accept it. */
export const JWKS_CONTENT_TYPE = 'application/jwk-set+json';

/** Longest cache lifetime we allow a JWKS response, whatever keys.refreshInterval says. */
const MAX_AGE_CAP = 300;

/** `If-None-Match` per RFC 9110 §13.1.2: `*` or a list of (weakly compared) entity tags. */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const opaque = etag.replace(/^W\//, '');
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === opaque);
}

const jwkSetSchema = {
  description: 'JWK Set (RFC 7517 §5): the active, next and still-in-grace retired signing keys',
  type: 'object',
  required: ['keys'],
  properties: { keys: { type: 'array', items: { type: 'object', additionalProperties: true } } },
} as const;

/**
 * `GET /jwks.json` (the `jwks_uri`): the public signing keys. Cached by clients for at most
 * keys.refreshInterval (capped at 300 s) with an ETag, so a rotation picked up by an instance
 * reaches verifiers within a bounded time; the next key is published ahead of its activation.
 */
export function registerJwksRoute(app: FastifyInstance, ctx: Pick<AppContext, 'keys' | 'config'>): void {
  const refresh = ctx.config.keys.refreshInterval;
  const cacheControl = `public, max-age=${refresh > 0 ? Math.min(refresh, MAX_AGE_CAP) : MAX_AGE_CAP}`;
  // KeyRing.jwks() returns the same object until the keys change: serialise and hash it once.
  const rendered = new WeakMap<JsonWebKeySet, { readonly body: string; readonly etag: string }>();

  app.get(
    '/jwks.json',
    {
      schema: {
        summary: 'Public signing keys (JWK Set)',
        tags: ['discovery'],
        response: { 200: jwkSetSchema, 304: { description: 'Not modified (If-None-Match matched the ETag)', type: 'null' } },
      },
    },
    async (request, reply) => {
      const set = ctx.keys.jwks();
      let r = rendered.get(set);
      if (!r) {
        const body = JSON.stringify(set);
        r = { body, etag: `"${sha256(body)}"` };
        rendered.set(set, r);
      }
      reply.header('cache-control', cacheControl).header('etag', r.etag);
      const inm = request.headers['if-none-match'];
      if (matchesIfNoneMatch(typeof inm === 'string' ? inm : undefined, r.etag)) return reply.code(304).send();
      return reply.type(JWKS_CONTENT_TYPE).send(r.body);
    },
  );
}

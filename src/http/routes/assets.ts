import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';

/** Pages link assets with `?v=<content hash>`, so a year of immutable caching is safe. */
const CACHE_CONTROL = 'public, max-age=31536000, immutable';

/**
 * GET /assets/<name>: the pages' stylesheet, generated theme, scripts and logo, from memory.
 * Nothing external is ever loaded (strict CSP: 'self' only).
 */
export function registerAssetRoutes(app: FastifyInstance, ctx: Pick<AppContext, 'pages'>): void {
  const { byName } = ctx.pages.assets;
  app.get<{ Params: { name: string } }>('/assets/:name', { schema: { hide: true } }, async (request, reply) => {
    const asset = byName.get(request.params.name);
    if (!asset) return reply.code(404).header('cache-control', 'no-store').send({ error: 'not_found', error_description: 'no such asset' });
    const etag = `"${asset.version}"`;
    reply.header('cache-control', CACHE_CONTROL).header('etag', etag);
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type(asset.contentType).send(asset.body);
  });
}

import cors, { type FastifyCorsOptions } from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../../config/schema.ts';

/**
 * Endpoints a browser-based client may call cross-origin. Everything else (/admin/*, /docs,
 * /metrics, pages) never gets CORS headers, whatever the configured origins.
 */
export const CORS_PUBLIC_PATHS: readonly string[] = ['/token', '/introspect', '/revoke', '/jwks.json', '/userinfo'];
export const CORS_PUBLIC_PREFIXES: readonly string[] = ['/.well-known/'];

const SHARED: FastifyCorsOptions = {
  methods: ['GET', 'POST'],
  allowedHeaders: ['Authorization', 'Content-Type', 'DPoP'],
  exposedHeaders: ['WWW-Authenticate', 'DPoP-Nonce'],
  // No cookies or HTTP auth carried on the browser's behalf: clients send explicit credentials.
  credentials: false,
  maxAge: 600,
  strictPreflight: true,
};
const CLOSED: FastifyCorsOptions = { ...SHARED, origin: false };

/** Matches `path` (no query) against the public endpoints, also under the issuer's own path. */
export function isCorsPublicPath(path: string, issuerPath = ''): boolean {
  const p = issuerPath && path.startsWith(`${issuerPath}/`) ? path.slice(issuerPath.length) : path;
  return CORS_PUBLIC_PATHS.includes(p) || CORS_PUBLIC_PREFIXES.some((prefix) => p.startsWith(prefix));
}

/**
 * CORS is closed unless `cors.origins` lists origins; then exactly those origins (string
 * equality, so `*` or a pattern never widens it), only on the public endpoints, without
 * credentials. A refused preflight gets no CORS headers (404), so the browser blocks the call.
 */
export async function registerCors(app: FastifyInstance, config: Pick<Config, 'cors' | 'issuer'>): Promise<void> {
  const origins: ReadonlySet<string> = new Set(config.cors.origins);
  if (origins.size === 0) return;
  const issuerPath = new URL(config.issuer).pathname.replace(/\/$/, '');
  const delegator = (req: FastifyRequest, cb: (err: Error | null, opts: FastifyCorsOptions) => void): void => {
    const origin = req.headers.origin;
    if (origin === undefined || !origins.has(origin)) return cb(null, CLOSED);
    const q = req.url.indexOf('?');
    if (!isCorsPublicPath(q < 0 ? req.url : req.url.slice(0, q), issuerPath)) return cb(null, CLOSED);
    cb(null, { ...SHARED, origin });
  };
  await app.register(cors, { delegator, hook: 'onRequest' });
}

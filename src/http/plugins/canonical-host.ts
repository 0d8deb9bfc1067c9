import type { FastifyInstance } from 'fastify';
import { DEVICE_VERIFICATION_PATH } from '../../core/device-authorization/device-authorization.ts';

/**
 * Browser pages: a user agent lands on these by following a link or a redirect, and their forms
 * post back to the issuer's origin (the page CSP's `form-action` and the session cookie are bound
 * to it). The JSON endpoints, /token, discovery, JWKS and health are not pages and never move.
 */
export const PAGE_PATHS: ReadonlySet<string> = new Set([
  '/authorize',
  '/login',
  '/consent',
  '/confirm',
  '/select-account',
  DEVICE_VERIFICATION_PATH,
  '/end_session',
]);

/**
 * A page opened on another host name of this server (`127.0.0.1` when the issuer says
 * `localhost`) would render, but its sign-in form could not be submitted: the browser blocks the
 * POST to the issuer's origin (CSP `form-action`) without telling the user. So a GET of a page on
 * any other host is answered `303 See Other` to the same path and query on the issuer's origin,
 * and the first request from each such host is logged as a warning, so the flow either works or
 * says why. Behind a proxy (`http.trustProxy`) the forwarded host is the one compared.
 */
export function registerCanonicalHost(app: FastifyInstance, issuer: string): void {
  const origin = new URL(issuer);
  const warned = new Set<string>();
  app.addHook('onRequest', (request, reply, done) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return done();
    const path = request.url.split('?', 1)[0]!;
    if (!PAGE_PATHS.has(path)) return done();
    const host = sameOriginHost(origin, request.host);
    if (host === origin.host) return done();
    if (!warned.has(host) && warned.size < 100) {
      warned.add(host);
      request.log.warn(
        { host, issuer: origin.origin },
        `page requested on host ${host}, which is not the issuer's host ${origin.host}: redirecting to the issuer (open ${origin.origin} instead)`,
      );
    }
    reply.code(303).header('location', `${origin.origin}${request.url}`).header('cache-control', 'no-store').send();
  });
}

/** The request's host as the URL parser writes it for the issuer's scheme (`:443` on https drops). */
function sameOriginHost(origin: URL, host: string): string {
  try {
    return new URL(`${origin.protocol}//${host}`).host;
  } catch {
    return host.toLowerCase();
  }
}

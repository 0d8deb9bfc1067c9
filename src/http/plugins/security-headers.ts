import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config/schema.ts';

/**
 * CSP for API and JSON responses: nothing may load, nothing may frame us. Pages and /docs send
 * their own policy, which replaces this one (a handler's header wins over the default).
 */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * The headers every response carries, computed once per app (the token endpoint is the hot path:
 * per request this is one `reply.headers()` with a prebuilt object).
 */
export function securityHeaders(config: Pick<Config, 'issuer'>): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'content-security-policy': API_CSP,
    'cross-origin-resource-policy': 'same-origin',
  };
  // RFC 6797 §7.2: "An HSTS Host MUST NOT include the STS header field in HTTP responses
  // conveyed over non-secure transport." The issuer's scheme is the transport clients use (TLS
  // may end at a proxy in front of us), so the header goes out only for an https issuer.
  if (new URL(config.issuer).protocol === 'https:') {
    headers['strict-transport-security'] = 'max-age=31536000; includeSubDomains';
  }
  return Object.freeze(headers);
}

/**
 * Sets the security headers and `x-request-id` in one `onRequest` hook, before anything can
 * answer: routes, 404s, errors, CORS preflights and body-parser failures all carry them. A
 * handler or a later hook that sets one of these headers itself (a page's own CSP) overrides it.
 */
export function registerResponseHeaders(app: FastifyInstance, headers: Readonly<Record<string, string>>): void {
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(headers).header('x-request-id', request.id);
    done();
  });
}

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

/**
 * CSP of the server-rendered pages (login, consent, chooser, device, logout, error): only our own
 * stylesheet, images and scripts, no inline script or style, never framed. `formAction` lists
 * where the page's forms may go, including the origins of redirects that follow a submission
 * (browsers check form-action on those too); empty means `'none'`.
 */
export function pageCsp(formAction: readonly string[]): string {
  const actions = formAction.length ? [...new Set(formAction)].join(' ') : "'none'";
  return `default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; form-action ${actions}; frame-ancestors 'none'; base-uri 'none'`;
}

/**
 * The CSP source expression that admits a redirect to `uri`: its origin for http(s), its scheme
 * for a private-use scheme of a native app (RFC 8252 §7.1, e.g. `com.example.app:`). Null when
 * the value cannot be expressed safely (never put raw input into a header).
 */
export function cspSourceFor(uri: string): string | null {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return null;
  }
  if (u.protocol === 'https:' || u.protocol === 'http:') return u.origin;
  return /^[a-z][a-z0-9+.-]*:$/.test(u.protocol) ? u.protocol : null;
}

import { createHmac } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/schema.ts';
import { randomToken, safeEqual } from '../core/crypto.ts';
import { deriveKey } from '../core/keys/kek.ts';
import { isHttpsIssuer, readCookie, setCookie } from './session-cookie.ts';

/**
 * CSRF protection for every form (OWASP "signed double-submit cookie"): each browser gets a
 * random HttpOnly cookie; a form carries `nonce.HMAC(key, cookie|nonce)` with a key derived from
 * the KEK by HKDF, so a token is valid only together with the cookie it was made for, on any
 * instance sharing the KEK, without storage. With an https issuer the cookie has the `__Host-`
 * prefix (Secure, Path=/, no Domain), so a sibling subdomain cannot plant one. A POST whose
 * `Origin` header names another origin is refused as well.
 */
export interface Csrf {
  /** The token for this browser's forms (sets the cookie when the browser has none yet). */
  issue(request: FastifyRequest, reply: FastifyReply): CsrfIssued;
  /** True when `token` matches this browser's cookie and the request is not cross-origin. */
  verify(request: FastifyRequest, token: string | undefined): boolean;
  /** Opaque per-browser value the sealed interaction is bound to (undefined without a cookie). */
  binding(request: FastifyRequest): string | undefined;
}

export interface CsrfIssued {
  readonly token: string;
  /** Same value as `binding(request)` once the cookie is set. */
  readonly binding: string;
}

const COOKIE_BYTES = 32;
const NONCE_BYTES = 16;

function csrfCookieName(config: Pick<Config, 'issuer'>): string {
  return isHttpsIssuer(config) ? '__Host-gh_csrf' : 'gh_csrf';
}

export function createCsrf(config: Pick<Config, 'issuer'>, kek: Buffer): Csrf {
  const key = deriveKey(kek, 'gatehouse csrf v1');
  const name = csrfCookieName(config);
  const origin = new URL(config.issuer).origin;
  const pending = new WeakMap<FastifyRequest, string>();
  const mac = (cookie: string, nonce: string) => createHmac('sha256', key).update(`${cookie}|${nonce}`).digest('base64url');
  const bind = (cookie: string) => createHmac('sha256', key).update(`interaction-binding|${cookie}`).digest('base64url');
  const cookieOf = (request: FastifyRequest) => pending.get(request) ?? readCookie(request, name);

  return {
    issue(request, reply) {
      let cookie = cookieOf(request);
      if (cookie === undefined || cookie.length < 43) {
        cookie = randomToken(COOKIE_BYTES);
        pending.set(request, cookie);
        setCookie(reply, config, name, cookie);
      }
      const nonce = randomToken(NONCE_BYTES);
      return { token: `${nonce}.${mac(cookie, nonce)}`, binding: bind(cookie) };
    },
    verify(request, token) {
      // A foreign Origin is refused outright. `null` is what browsers send under the pages'
      // `Referrer-Policy: no-referrer`, so it is left to the token (the real check).
      const sent = request.headers.origin;
      if (sent !== undefined && sent !== 'null' && sent !== origin) return false;
      const cookie = readCookie(request, name);
      if (cookie === undefined || typeof token !== 'string') return false;
      const dot = token.indexOf('.');
      if (dot < 1) return false;
      return safeEqual(token.slice(dot + 1), mac(cookie, token.slice(0, dot)));
    },
    binding(request) {
      const cookie = cookieOf(request);
      return cookie === undefined ? undefined : bind(cookie);
    },
  };
}

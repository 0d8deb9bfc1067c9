import { parse as parseCookie, serialize } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/schema.ts';
import { browserStateOf } from '../core/session/session-service.ts';
import type { SessionRecord } from '../core/model/session.ts';

/**
 * The browser session cookie (config `session.cookieName`): HttpOnly, SameSite=Lax, Path=/,
 * Secure when the issuer is https. Its value is ≥ 256 random bits; the store keeps only the
 * SHA-256 (core/session). It lives until the session's absolute end (the idle end is judged on
 * the server).
 *
 * `gh_browser_state` is the OIDC Session Management 1.0 browser state: NOT HttpOnly, because the
 * OP's check_session iframe reads it from JavaScript. It is an opaque value derived from the
 * session and changes on every sign-in, account switch and sign-out. The iframe is loaded by the
 * RP, so it is a third-party context: with an https issuer the cookie is SameSite=None (Secure);
 * over plain http (development) browsers refuse SameSite=None without Secure, so it is Lax.
 */
export const BROWSER_STATE_COOKIE = 'gh_browser_state';

/**
 * The session cookie's name: `session.cookieName`, with the `__Host-` prefix on an https issuer
 * so that only this exact origin can set it (no sibling subdomain can plant a session; RFC 6265bis
 * §4.1.3.2: Secure, Path=/, no Domain).
 */
export function sessionCookieName(config: Pick<Config, 'issuer' | 'session'>): string {
  const name = config.session.cookieName;
  return isHttpsIssuer(config) && !name.startsWith('__Host-') ? `__Host-${name}` : name;
}

/**
 * The recognised-device cookie (core/users/device-cookie.ts): `gh_device`, `__Host-gh_device` on an
 * https issuer; HttpOnly, SameSite=Lax, Path=/, `login.deviceCookieTtl` long; it names no user.
 */
export function deviceCookieName(config: Pick<Config, 'issuer'>): string {
  return isHttpsIssuer(config) ? '__Host-gh_device' : 'gh_device';
}

const cache = new WeakMap<FastifyRequest, Record<string, string | undefined>>();

/** The value of cookie `name` on the request (first one wins), or undefined. */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  let jar = cache.get(request);
  if (jar === undefined) {
    const header = request.headers.cookie;
    try {
      jar = header ? parseCookie(header) : {};
    } catch {
      jar = {};
    }
    cache.set(request, jar);
  }
  const v = jar[name];
  return v === undefined || v === '' ? undefined : v;
}

export function isHttpsIssuer(config: Pick<Config, 'issuer'>): boolean {
  return new URL(config.issuer).protocol === 'https:';
}

export interface CookieOptions {
  readonly httpOnly?: boolean;
  /** Seconds; omitted: a browser-session cookie; 0: delete. */
  readonly maxAge?: number;
  readonly sameSite?: 'lax' | 'none';
}

/** Appends one Set-Cookie (Path=/, Secure on https issuers; HttpOnly and Lax unless told). */
export function setCookie(reply: FastifyReply, config: Pick<Config, 'issuer'>, name: string, value: string, opts: CookieOptions = {}): void {
  const secure = isHttpsIssuer(config);
  const sameSite = opts.sameSite === 'none' && secure ? 'none' : 'lax';
  reply.header(
    'set-cookie',
    serialize(name, value, {
      path: '/',
      httpOnly: opts.httpOnly ?? true,
      secure,
      sameSite,
      ...(opts.maxAge !== undefined ? { maxAge: opts.maxAge } : {}),
    }),
  );
}

/** Sets the session cookie for `cookie` (the raw value) and the matching browser state. */
export function setSessionCookies(reply: FastifyReply, config: Pick<Config, 'issuer' | 'session'>, cookie: string, session: SessionRecord, now: number): void {
  const maxAge = Math.max(0, session.expiresAt - now);
  setCookie(reply, config, sessionCookieName(config), cookie, { maxAge });
  setBrowserState(reply, config, session, maxAge);
}

/** Refreshes `gh_browser_state` after a change to the session (switch, sign-out of one account). */
export function setBrowserState(reply: FastifyReply, config: Pick<Config, 'issuer'>, session: SessionRecord | undefined, maxAge: number): void {
  const state = browserStateOf(session);
  if (state === null) setCookie(reply, config, BROWSER_STATE_COOKIE, '', { httpOnly: false, maxAge: 0, sameSite: 'none' });
  else setCookie(reply, config, BROWSER_STATE_COOKIE, state, { httpOnly: false, maxAge, sameSite: 'none' });
}

/** Ends the session in the browser (both cookies deleted). */
export function clearSessionCookies(reply: FastifyReply, config: Pick<Config, 'issuer' | 'session'>): void {
  setCookie(reply, config, sessionCookieName(config), '', { maxAge: 0 });
  setBrowserState(reply, config, undefined, 0);
}

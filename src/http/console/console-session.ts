import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/schema.ts';
import { randomToken, sha256 } from '../../core/crypto.ts';
import { decryptWithKek, deriveKey, encryptWithKek } from '../../core/keys/kek.ts';
import { epochSeconds, type Clock } from '../../core/ports/clock.ts';
import { isHttpsIssuer, readCookie, setCookie } from '../session-cookie.ts';

/**
 * The console's own cookies, separate from the end-user session (`gh_session`): the console is a
 * relying party of this server, so signing in to Gatehouse is not signing in to the console.
 *
 * - `gh_console` (`__Host-gh_console` on https): the console session, `{ user id, session
 *   generation, sign-in time, end }` sealed with AES-256-GCM under a key derived from the KEK (any instance sharing the KEK
 *   opens it, nothing is stored). HttpOnly, SameSite=Lax, ends after `console.sessionTtl`. It
 *   says only who signed in and in which session generation: the user is read again on every
 *   request, so a disabled user, a removed role or a new generation (every session of the user
 *   ended, a new password) takes effect at once.
 * - `gh_console_flow` (`__Host-` on https): the pending sign-in (OAuth `state`, OIDC `nonce`, the
 *   PKCE verifier and where to return), sealed the same way, 10 minutes, deleted by the callback.
 */
export interface ConsoleSessions {
  /** Starts a sign-in: sets the flow cookie, returns the /authorize URL (PKCE S256, state, nonce). */
  begin(reply: FastifyReply, returnTo: string): string;
  /** The pending sign-in of this browser when `state` matches it, else null. The flow cookie is deleted. */
  takeFlow(request: FastifyRequest, reply: FastifyReply, state: string | undefined): ConsoleFlow | null;
  /** Sets the session cookie for `userId`, in the user's session generation `epoch` (users.session_epoch). */
  start(reply: FastifyReply, userId: string, epoch: number): void;
  /** The signed-in user id and the generation the session began in, or null (no cookie, altered, expired). */
  current(request: FastifyRequest): ConsoleSession | null;
  /** Deletes the session cookie. */
  end(reply: FastifyReply): void;
}

export interface ConsoleSession {
  readonly userId: string;
  /** The user's session generation at sign-in; the guard refuses the session once it changed. */
  readonly epoch: number;
}

export interface ConsoleFlow {
  readonly nonce: string;
  readonly verifier: string;
  readonly returnTo: string;
}

/** The built-in client the console signs in with (provisioned at start, docs/console.md). */
import { CONSOLE_CLIENT_ID } from '../../core/clients/built-in-clients.ts';

export { CONSOLE_CLIENT_ID };
export const CONSOLE_PATH = '/admin';
export const CONSOLE_CALLBACK_PATH = '/admin/callback';
const FLOW_TTL = 600;
const AAD_SESSION = 'gatehouse-console-session-v1';
const AAD_FLOW = 'gatehouse-console-flow-v1';

function cookieNames(config: Pick<Config, 'issuer'>): { session: string; flow: string } {
  const p = isHttpsIssuer(config) ? '__Host-' : '';
  return { session: `${p}gh_console`, flow: `${p}gh_console_flow` };
}

/** A path under /admin (no scheme, no `//`, no backslash): where the browser goes after signing in. */
export function consoleReturnPath(v: unknown): string {
  return typeof v === 'string' && /^\/admin(\/[\w./?=&%-]*)?$/.test(v) && !v.includes('//') && v.length <= 512 ? v : CONSOLE_PATH;
}

export function createConsoleSessions(config: Pick<Config, 'issuer' | 'console'>, kek: Buffer, clock: Clock): ConsoleSessions {
  const key = deriveKey(kek, 'gatehouse console v1');
  const names = cookieNames(config);
  const base = config.issuer.replace(/\/+$/, '');
  const seal = (v: unknown, aad: string) => encryptWithKek(key, JSON.stringify(v), aad);
  const open = (sealed: string | undefined, aad: string): Record<string, unknown> | null => {
    if (sealed === undefined || sealed.length > 4096) return null;
    try {
      const v = JSON.parse(decryptWithKek(key, sealed, aad)) as unknown;
      return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  };
  return {
    begin(reply, returnTo) {
      const state = randomToken(16);
      const nonce = randomToken(16);
      const verifier = randomToken(32);
      const exp = epochSeconds(clock) + FLOW_TTL;
      setCookie(reply, config, names.flow, seal({ s: state, n: nonce, v: verifier, r: consoleReturnPath(returnTo), e: exp }, AAD_FLOW), { maxAge: FLOW_TTL });
      const url = new URL(`${base}/authorize`);
      // RFC 7636 §4.2: S256 challenge; OIDC Core §3.1.2.1: state and nonce.
      url.search = new URLSearchParams({
        response_type: 'code',
        client_id: CONSOLE_CLIENT_ID,
        redirect_uri: `${base}${CONSOLE_CALLBACK_PATH}`,
        scope: 'openid',
        state,
        nonce,
        code_challenge: sha256(verifier),
        code_challenge_method: 'S256',
      }).toString();
      return url.href;
    },
    takeFlow(request, reply, state) {
      const f = open(readCookie(request, names.flow), AAD_FLOW);
      setCookie(reply, config, names.flow, '', { maxAge: 0 });
      if (!f || typeof state !== 'string' || f['s'] !== state || typeof f['e'] !== 'number' || f['e'] < epochSeconds(clock)) return null;
      if (typeof f['n'] !== 'string' || typeof f['v'] !== 'string') return null;
      return { nonce: f['n'], verifier: f['v'], returnTo: consoleReturnPath(f['r']) };
    },
    start(reply, userId, epoch) {
      const now = epochSeconds(clock);
      setCookie(reply, config, names.session, seal({ u: userId, g: epoch, i: now, e: now + config.console.sessionTtl }, AAD_SESSION), {
        maxAge: config.console.sessionTtl,
      });
    },
    current(request) {
      const s = open(readCookie(request, names.session), AAD_SESSION);
      if (!s || typeof s['u'] !== 'string' || typeof s['e'] !== 'number' || s['e'] <= epochSeconds(clock)) return null;
      // A cookie sealed before the generation was carried (no `g`) counts as generation 0.
      const g = s['g'] ?? 0;
      if (typeof g !== 'number' || !Number.isSafeInteger(g)) return null;
      return { userId: s['u'], epoch: g };
    },
    end(reply) {
      setCookie(reply, config, names.session, '', { maxAge: 0 });
    },
  };
}

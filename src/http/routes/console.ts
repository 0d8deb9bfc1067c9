import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeJwt } from 'jose';
import type { Actor } from '../../app/index.ts';
import { GatehouseError, gatehouseErrorStatus } from '../../core/errors.ts';
import type { AppContext } from '../context.ts';
import { CSRF_FIELD } from '../pages/layout.ts';
import { pageCsp } from '../plugins/security-headers.ts';
import { html, type SafeHtml } from '../pages/html.ts';
import { loadConsoleAssets } from '../console/console-assets.ts';
import { CONSOLE_READER, consoleAccess } from '../console/console-guard.ts';
import { BTN, CARD, consoleLayout, type ConsoleFrame, type ConsoleViewer } from '../console/console-layout.ts';
import { CONSOLE_CALLBACK_PATH, CONSOLE_CLIENT_ID, CONSOLE_PATH, consoleReturnPath } from '../console/console-session.ts';
import { registerConsolePages } from '../console/console-pages.ts';
import { registerPeoplePages } from '../console/console-people.ts';
import { registerRecordPages } from '../console/console-records.ts';

const CACHE_CONTROL = 'public, max-age=31536000, immutable';

/** The CSRF token of a form body (the form parser keeps every value as a list: the first one). */
function csrfTokenOf(body: unknown): string | undefined {
  const v = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[CSRF_FIELD] : undefined;
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === 'string' ? first : undefined;
}

/** What a console page handler gets: who acts, their CSRF token, and how to render. */
export interface ConsoleRequest {
  readonly viewer: ConsoleViewer;
  readonly actor: Actor;
  readonly csrfToken: string;
  /** Renders a page in the console frame with status 200 (or `status`). */
  page(reply: FastifyReply, title: string, active: string, main: SafeHtml, status?: number): FastifyReply;
}

export type ConsoleHandler = (request: FastifyRequest, reply: FastifyReply, c: ConsoleRequest) => Promise<unknown>;

/**
 * The admin console at /admin (issue #11): server-rendered pages over the application use
 * cases, for people who sign in through this server's own OpenID Connect flow (the built-in
 * `gatehouse-console` client, authorization code + PKCE S256) and hold the `admin` or `auditor`
 * user role. Every form carries the CSRF token; every change is one `application.run` as the
 * signed-in person (audited). docs/console.md.
 */
export async function registerConsoleRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  if (!ctx.config.console.enabled || !ctx.console) return;
  const sessions = ctx.console;
  const base = ctx.config.issuer.replace(/\/+$/, '');
  const assets = loadConsoleAssets();
  const frame: ConsoleFrame = { base, productName: ctx.config.theme.productName, assets, favicon: ctx.pages.assetUrl(ctx.pages.assets.favicon) };
  const origin = new URL(base).origin;

  // The pages' CSP plus connect-src 'self': the dashboard reloads its tiles from /admin/dashboard.json.
  const csp = `${pageCsp([origin])}; connect-src 'self'`;
  const send = (reply: FastifyReply, status: number, body: string) =>
    reply
      .code(status)
      .header('content-security-policy', csp)
      .header('cache-control', 'no-store')
      .header('pragma', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(body);
  const message = (request: FastifyRequest, reply: FastifyReply, status: number, title: string, text: string, extra?: SafeHtml) => {
    const csrfToken = ctx.csrf.issue(request, reply).token;
    return send(
      reply,
      status,
      consoleLayout(frame, {
        title,
        active: '',
        viewer: null,
        csrfToken,
        main: html`<div class="${CARD} max-w-xl"><p>${text}</p>${extra ?? ''}</div>`,
      }),
    );
  };
  const signInLink = (returnTo = CONSOLE_PATH) =>
    html`<p class="mt-4"><a class="${BTN}" href="${base}/admin/sign-in?return_to=${encodeURIComponent(returnTo)}">Sign in to the console</a></p>`;

  app.get<{ Params: { name: string } }>('/admin/assets/:name', { schema: { hide: true } }, async (request, reply) => {
    const a = assets.byName.get(request.params.name);
    if (!a) return reply.code(404).header('cache-control', 'no-store').send({ error: 'not_found', error_description: 'no such asset' });
    return reply.header('cache-control', CACHE_CONTROL).header('etag', `"${a.version}"`).type(a.contentType).send(a.body);
  });

  // Sign-in: a fresh state, nonce and PKCE verifier in the sealed flow cookie, then /authorize.
  app.get<{ Querystring: { return_to?: string } }>('/admin/sign-in', { schema: { hide: true } }, async (request, reply) => {
    const to = sessions.begin(reply, consoleReturnPath(request.query.return_to));
    return reply.header('cache-control', 'no-store').redirect(to, 303);
  });

  app.get<{ Querystring: Record<string, string | undefined> }>(CONSOLE_CALLBACK_PATH, { schema: { hide: true } }, async (request, reply) => {
    const q = request.query;
    const flow = sessions.takeFlow(request, reply, q['state']);
    if (!flow) return message(request, reply, 400, 'Sign-in expired', 'This sign-in was not started here or took too long. Please start again.', signInLink());
    // RFC 9207 §2.4: the authorization response must come from this issuer.
    if (q['iss'] !== ctx.config.issuer) return message(request, reply, 400, 'Sign-in failed', 'The response came from another issuer.', signInLink());
    if (q['error'] !== undefined || typeof q['code'] !== 'string')
      return message(request, reply, 400, 'Sign-in cancelled', 'You did not sign in to the console.', signInLink(flow.returnTo));
    // The server is the relying party: the code is redeemed at our own token endpoint, in
    // process, with the PKCE verifier (RFC 7636 §4.5); nothing reaches the browser.
    const res = await app.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        grant_type: 'authorization_code',
        code: q['code'],
        redirect_uri: `${base}${CONSOLE_CALLBACK_PATH}`,
        client_id: CONSOLE_CLIENT_ID,
        code_verifier: flow.verifier,
      }).toString(),
    });
    const body = res.statusCode === 200 ? (res.json() as { id_token?: unknown }) : {};
    const claims = typeof body.id_token === 'string' ? decodeJwt(body.id_token) : null;
    // OIDC Core §3.1.3.7: iss, aud and (since we sent one) nonce must match.
    if (!claims || claims.iss !== ctx.config.issuer || claims.aud !== CONSOLE_CLIENT_ID || claims['nonce'] !== flow.nonce || typeof claims.sub !== 'string') {
      request.log.warn({ status: res.statusCode }, 'console sign-in: code exchange failed');
      return message(request, reply, 400, 'Sign-in failed', 'The sign-in could not be completed. Please start again.', signInLink(flow.returnTo));
    }
    // The session begins in the user's current session generation (read through the application
    // layer, as every console request reads the user); a later change ends it.
    let epoch: number;
    try {
      epoch = (await ctx.application.users.show(CONSOLE_READER, { user: claims.sub })).session_epoch;
    } catch (e) {
      if (!(e instanceof GatehouseError) || e.code !== 'GH_NOT_FOUND') throw e;
      return message(request, reply, 400, 'Sign-in failed', 'The sign-in could not be completed. Please start again.', signInLink(flow.returnTo));
    }
    sessions.start(reply, claims.sub, epoch);
    return reply.header('cache-control', 'no-store').redirect(`${base}${flow.returnTo}`, 303);
  });

  app.post('/admin/sign-out', { schema: { hide: true } }, async (request, reply) => {
    if (!ctx.csrf.verify(request, csrfTokenOf(request.body)))
      return message(request, reply, 403, 'Request refused', 'The form was stale or came from elsewhere. Reload the page and try again.');
    sessions.end(reply);
    return message(request, reply, 200, 'Signed out', 'You signed out of the console.', signInLink());
  });

  /** Wraps a console page: sign-in redirect, the 403 page, CSRF on POST, errors as pages. */
  const guarded =
    (handler: ConsoleHandler, opts: { readonly mutation?: boolean } = {}) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const access = await consoleAccess(request, sessions, ctx.application);
      if (access.kind === 'anonymous') {
        // A session that no longer counts is deleted, as an expired one would be.
        if (access.ended) sessions.end(reply);
        if (request.method !== 'GET') return message(request, reply, 401, 'Signed out', 'Your console session ended. Please sign in again.', signInLink());
        return reply.header('cache-control', 'no-store').redirect(`${base}/admin/sign-in?return_to=${encodeURIComponent(request.url.split('#')[0]!)}`, 303);
      }
      if (access.kind === 'forbidden') {
        return message(
          request,
          reply,
          403,
          'Access denied',
          `${access.username} is signed in but has neither the admin nor the auditor role, which the console needs. Sign out and sign in with another account, or ask an administrator.`,
        );
      }
      const csrfToken = ctx.csrf.issue(request, reply).token;
      const c: ConsoleRequest = {
        viewer: access.viewer,
        actor: access.actor,
        csrfToken,
        page: (r, title, active, main, status = 200) => send(r, status, consoleLayout(frame, { title, active, viewer: access.viewer, csrfToken, main })),
      };
      if (opts.mutation && !ctx.csrf.verify(request, csrfTokenOf(request.body))) {
        return c.page(reply, 'Request refused', '', html`<p role="alert">The form was stale or came from elsewhere. Reload the page and try again.</p>`, 403);
      }
      try {
        return await handler(request, reply, c);
      } catch (e) {
        if (!(e instanceof GatehouseError)) throw e;
        const status = gatehouseErrorStatus(e.code);
        if (status >= 500) throw e;
        const text = e.code === 'GH_FORBIDDEN' ? 'Your role (auditor) may look but not change anything.' : e.message;
        return c.page(
          reply,
          status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : 'Not accepted',
          '',
          html`<p role="alert" class="${CARD}">${text}</p>`,
          status,
        );
      }
    };

  registerConsolePages(app, ctx, guarded);
  registerPeoplePages(app, ctx, guarded);
  registerRecordPages(app, ctx, guarded);
}

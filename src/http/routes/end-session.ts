import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { END_SESSION_PARAMS, type EndSessionDecision, type EndSessionParams, type EndSessionRequest } from '../../core/end-session/types.ts';
import { OAuthError } from '../../core/errors.ts';
import type { SessionRecord } from '../../core/model/session.ts';
import type { AppContext } from '../context.ts';
import { readOAuthForm } from '../form.ts';
import { csrfErrorPage, oauthErrorPage, pageErrorHandler } from '../pages/error-page.ts';
import { CSRF_FIELD, sendPage, type PageKit } from '../pages/layout.ts';
import { LOGOUT_DECISION_FIELD, logoutConfirmPage } from '../pages/logout-confirm-page.ts';
import { sendFramedPage, signedOutPage, stillSignedInPage } from '../pages/logout-done-page.ts';
import { LOGOUT_RESUBMIT_FIELD, logoutResubmitPage } from '../pages/logout-resubmit-page.ts';
import { cspSourceFor } from '../plugins/security-headers.ts';
import { clearSessionCookies, readCookie, sessionCookieName } from '../session-cookie.ts';

export type EndSessionContext = Pick<AppContext, 'config' | 'endSession' | 'accountViews' | 'events' | 'sessions' | 'pages' | 'csrf'>;

/** Picks the RP-Initiated Logout §2 parameters; a repeated one is refused, an empty one omitted. */
function readParams(source: Readonly<Record<string, unknown>>): EndSessionParams {
  const out: Partial<Record<(typeof END_SESSION_PARAMS)[number], string>> = {};
  for (const name of END_SESSION_PARAMS) {
    const v = source[name];
    if (Array.isArray(v)) throw OAuthError.invalidRequest(`parameter '${name}' is included more than once`);
    if (typeof v === 'string' && v !== '') out[name] = v;
  }
  return out;
}

/**
 * GET and POST /end_session (OIDC RP-Initiated Logout 1.0 §2: "The OP MUST support the use of
 * the HTTP GET and POST methods"). Parse here, decide in core/end-session, render here. Every
 * validation failure is an error page: nobody is redirected anywhere. The confirmation page posts
 * back here with `gh_logout=yes|no` and a CSRF token; its hidden fields are the original
 * parameters, validated again. Back-channel delivery runs in the background (never awaited).
 */
export function registerEndSessionRoutes(app: FastifyInstance, ctx: EndSessionContext): void {
  const kit = ctx.pages;
  // HEAD is not routed: a link checker's HEAD must never sign anyone out.
  const options = { schema: { hide: true }, errorHandler: pageErrorHandler(kit), exposeHeadRoute: false };
  const { endSession } = ctx;

  /** form-action of a page whose form posts here: also governs the redirect to the RP that follows. */
  function formAction(req: EndSessionRequest): string[] {
    const target = req.postLogoutRedirectUri ? cspSourceFor(req.postLogoutRedirectUri) : null;
    return target ? ["'self'", target] : ["'self'"];
  }

  async function confirm(
    page: PageKit,
    request: FastifyRequest,
    reply: FastifyReply,
    req: EndSessionRequest,
    session: SessionRecord | undefined,
    reason: string,
  ): Promise<FastifyReply> {
    request.log.info({ reason }, 'end_session: asking the user to confirm');
    const { token } = ctx.csrf.issue(request, reply);
    return sendPage(
      reply,
      logoutConfirmPage(page, {
        csrfToken: token,
        params: req.params,
        clientName: req.client?.clientName ?? null,
        usernames: await ctx.accountViews.usernames(session),
        formAction: formAction(req),
      }),
    );
  }

  /**
   * `rpPost`: an RP's POST that may have lost the (SameSite=Lax) session cookie on the
   * way; without the cookie it is posted again from our own origin before anything is decided.
   */
  async function handle(
    request: FastifyRequest,
    reply: FastifyReply,
    params: EndSessionParams,
    answer: 'yes' | 'no' | null,
    rpPost = false,
  ): Promise<FastifyReply> {
    // RP-Initiated Logout §2 ui_locales, as at /authorize (then Accept-Language, then the default).
    const page = kit.forRequest(
      request,
      (params.ui_locales ?? '')
        .split(' ')
        .filter((t) => t !== '')
        .slice(0, 16),
    );
    let req: EndSessionRequest;
    try {
      req = await endSession.resolve(params);
    } catch (e) {
      if (!(e instanceof OAuthError)) throw e;
      request.log.info({ error: e.code, detail: e.detail }, 'end_session refused');
      return sendPage(reply, oauthErrorPage(page, e));
    }
    if (answer === 'no') return sendPage(reply, stillSignedInPage(page));
    const cookie = readCookie(request, sessionCookieName(ctx.config));
    if (rpPost && cookie === undefined) return sendPage(reply, logoutResubmitPage(page, req.params, formAction(req)));
    const session = cookie === undefined ? undefined : await ctx.sessions.read(cookie);
    const decision: EndSessionDecision = answer === 'yes' ? (session ? { kind: 'logout' } : { kind: 'no_session' }) : endSession.decide(req, session);
    if (decision.kind === 'confirm') return confirm(page, request, reply, req, session, decision.reason);

    const result = await endSession.perform({ sessionHash: decision.kind === 'logout' && session ? session.hash : null, request: req });
    // Both cookies go: the session value and the Session Management browser state (which thereby
    // changes, so RPs polling check_session_iframe see "changed").
    clearSessionCookies(reply, ctx.config);
    if (result.redirectTo !== null && result.frontchannel.length === 0) {
      return reply.code(303).header('location', result.redirectTo).header('cache-control', 'no-store').send();
    }
    return sendFramedPage(
      reply,
      signedOutPage(page, { frontchannel: result.frontchannel, continueTo: result.redirectTo, clientName: req.client?.clientName ?? null }),
    );
  }

  app.get<{ Querystring: Record<string, unknown> }>('/end_session', options, async (request, reply) => {
    return handle(request, reply, readParams(request.query), null);
  });

  app.post('/end_session', options, async (request, reply) => {
    const { single } = readOAuthForm(request.body);
    const answer = single[LOGOUT_DECISION_FIELD];
    if (answer !== undefined) {
      // The confirmation form: only with this browser's CSRF token (a forged form changes nothing).
      if (!ctx.csrf.verify(request, single[CSRF_FIELD])) return sendPage(reply, csrfErrorPage(kit.forRequest(request)));
      if (answer !== 'yes' && answer !== 'no') throw OAuthError.invalidRequest('unknown answer');
    }
    return handle(request, reply, readParams(single), answer ?? null, answer === undefined && single[LOGOUT_RESUBMIT_FIELD] !== '1');
  });

  // Operators see undelivered Logout Tokens in the log (never the token itself).
  const off = ctx.events.on('backchannel_logout.failed', (e) => {
    app.log.warn({ clientId: e.clientId, jti: e.jti, attempts: e.attempts, reason: e.reason }, 'back-channel logout not delivered');
  });
  app.addHook('onClose', (_instance, done) => {
    off();
    done();
  });
}

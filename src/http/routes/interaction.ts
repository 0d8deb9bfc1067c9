import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthorizationRequest } from '../../core/authorize/types.ts';
import { currentAccount } from '../../core/session/session-service.ts';
import { asFailure, nowSeconds, proceed, readSession, sendDenied, sendFailure, showInteraction, type FlowContext } from '../authorization-flow.ts';
import type { AppContext } from '../context.ts';
import { readOAuthForm } from '../form.ts';
import type { Interaction } from '../interaction.ts';
import { csrfErrorPage, errorPage, pageErrorHandler } from '../pages/error-page.ts';
import { CSRF_FIELD, sendPage } from '../pages/layout.ts';
import { LOGIN_BUSY, LOGIN_FAILED, LOGIN_INCOMPLETE, LOGIN_THROTTLED, loginPage } from '../pages/login-page.ts';
import type { MessageKey } from '../pages/messages/catalogue.ts';
import { deviceCookieName, readCookie, setBrowserState, setCookie, setSessionCookies, sessionCookieName } from '../session-cookie.ts';

/**
 * A same-origin path to return to after the standalone sign-in (the /device page uses it).
 * Strict, so it is never an open redirect: one leading "/", no "//", no backslash, no control
 * characters (browsers strip tabs and newlines, turning "/\t/evil" into "//evil"), no scheme.
 */
export function safeReturnTo(value: string | undefined): string | null {
  if (value === undefined || value.length > 2048) return null;
  if (!value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return null;
  if (/[\u0000-\u001f\u007f]/.test(value)) return null;
  try {
    if (new URL(value, 'http://gatehouse.invalid').origin !== 'http://gatehouse.invalid') return null;
  } catch {
    return null;
  }
  return value;
}

type Opened = { readonly interaction: Interaction; readonly req: AuthorizationRequest };

/**
 * POST /login, /consent, /confirm, /select-account: the pages' forms. Each checks the CSRF token first
 * (forged or missing: 403, nothing written), opens the sealed interaction, re-resolves the
 * request it carries and continues the flow with what the page added to `InteractionProgress`.
 * GET/POST /login?return_to=/path is the standalone sign-in for other pages (device flow).
 */
export function registerInteractionRoutes(app: FastifyInstance, ctx: FlowContext & Pick<AppContext, 'signIn'>): void {
  const fc: FlowContext = ctx;
  const kit = ctx.pages;
  const options = { schema: { hide: true }, errorHandler: pageErrorHandler(kit) };

  /** Opens and re-resolves the sealed request; on failure the reply is already sent. */
  async function open(request: FastifyRequest, reply: FastifyReply, sealed: string | undefined): Promise<Opened | null> {
    const opened = fc.interactions.open(sealed, ctx.csrf.binding(request));
    if (!opened.ok) {
      const expired = opened.reason === 'expired';
      sendPage(
        reply,
        errorPage(kit.forRequest(request), {
          code: expired ? 'interaction_expired' : 'interaction_invalid',
          title: expired ? 'error.interactionExpiredTitle' : 'error.interactionInvalidTitle',
          message: 'error.startAgain',
          status: 400,
        }),
      );
      return null;
    }
    // Every page of this sign-in (and its error pages) in the language it started in.
    if (opened.interaction.locale !== null) kit.pin(request, opened.interaction.locale);
    try {
      // Validated again (client still enabled, redirect URI still registered), as a sealed
      // interaction: require-PAR is satisfied and request/request_uri were already used.
      return { interaction: opened.interaction, req: await ctx.authorization.resolve(opened.interaction.params, { via: 'interaction' }) };
    } catch (e) {
      const failure = asFailure(e);
      if (!failure) throw e;
      sendFailure(reply, fc, failure);
      return null;
    }
  }

  function standaloneLogin(
    request: FastifyRequest,
    reply: FastifyReply,
    returnTo: string,
    extra: { username?: string; error?: MessageKey | null; status?: number } = {},
  ) {
    const { token } = ctx.csrf.issue(request, reply);
    return sendPage(
      reply,
      loginPage(kit.forRequest(request), {
        csrfToken: token,
        interaction: null,
        returnTo,
        clientName: null,
        formAction: ["'self'"],
        username: extra.username ?? '',
        error: extra.error ?? null,
        ...(extra.status ? { status: extra.status } : {}),
      }),
    );
  }

  app.get<{ Querystring: Record<string, unknown> }>('/login', options, async (request, reply) => {
    const returnTo = safeReturnTo(typeof request.query.return_to === 'string' ? request.query.return_to : undefined);
    if (!returnTo) return sendPage(reply, errorPage(kit.forRequest(request), { code: 'invalid_request', message: 'error.startFromApp', status: 400 }));
    return standaloneLogin(request, reply, returnTo);
  });

  app.post('/login', options, async (request, reply) => {
    const { single: form } = readOAuthForm(request.body);
    if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return sendPage(reply, csrfErrorPage(kit.forRequest(request)));
    let opened: Opened | null = null;
    let returnTo: string | null = null;
    if (form['interaction'] !== undefined) {
      opened = await open(request, reply, form['interaction']);
      if (!opened) return reply;
      if (form['action'] === 'cancel') return sendDenied(reply, fc, opened.req);
    } else {
      returnTo = safeReturnTo(form['return_to']);
      if (!returnTo) return sendPage(reply, errorPage(kit.forRequest(request), { code: 'invalid_request', message: 'error.startFromApp', status: 400 }));
    }
    const username = (form['username'] ?? '').trim();
    const password = form['password'] ?? '';
    const again = (error: MessageKey, status: number) =>
      opened
        ? showInteraction(
            fc,
            request,
            reply,
            { req: opened.req, session: undefined, progress: opened.interaction.progress, expiresAt: opened.interaction.expiresAt },
            'login',
            { username, error, status },
          )
        : standaloneLogin(request, reply, returnTo!, { username, error, status });
    // Brute force (NIST SP 800-63B §5.2.2) is core's policy (core/users/password-sign-in.ts):
    // throttled, busy and failed read the same whether or not the user exists.
    const device = readCookie(request, deviceCookieName(ctx.config));
    const result = await ctx.signIn.attempt({ username, password, address: request.ip, device });
    if (result.kind === 'incomplete') return again(LOGIN_INCOMPLETE, 400);
    if (result.kind !== 'ok') {
      // Never the password, nor the username (it may not exist): the user id when there is one.
      request.log.info({ reason: result.reason, ...(result.userId ? { userId: result.userId } : {}) }, 'sign-in refused');
      if (result.kind === 'failed') return again(LOGIN_FAILED, 200);
      reply.header('retry-after', String(result.retryAfter));
      return result.kind === 'busy' ? again(LOGIN_BUSY, 503) : again(LOGIN_THROTTLED, 429);
    }
    setCookie(reply, ctx.config, deviceCookieName(ctx.config), result.device, { maxAge: ctx.config.login.deviceCookieTtl });
    // Session fixation: a new session value on every sign-in (core/session).
    const signedIn = await ctx.sessions.signIn(readCookie(request, sessionCookieName(ctx.config)), {
      userId: result.user.id,
      amr: result.amr,
      acr: result.acr,
    });
    setSessionCookies(reply, ctx.config, signedIn.cookie, signedIn.session, nowSeconds(fc));
    if (!opened) return reply.code(303).header('location', returnTo!).header('cache-control', 'no-store').send();
    const progress = { ...opened.interaction.progress, loginAt: signedIn.account.authTime };
    return proceed(fc, request, reply, { req: opened.req, session: signedIn.session, progress, expiresAt: opened.interaction.expiresAt });
  });

  app.post('/consent', options, async (request, reply) => {
    const { single: form } = readOAuthForm(request.body);
    if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return sendPage(reply, csrfErrorPage(kit.forRequest(request)));
    const opened = await open(request, reply, form['interaction']);
    if (!opened) return reply;
    // OIDC Core §3.1.2.6: "access_denied" when the End-User denies the request.
    if (form['decision'] === 'deny') return sendDenied(reply, fc, opened.req);
    if (form['decision'] !== 'allow')
      return sendPage(reply, errorPage(kit.forRequest(request), { code: 'invalid_request', message: 'consent.chooseAllowOrDeny', status: 400 }));
    const session = await readSession(fc, request, reply);
    // The consent counts only for the account it was given by (the current one now): decide()
    // ignores it if another account is current when the flow continues.
    const progress = { ...opened.interaction.progress, consentedSid: currentAccount(session)?.sid ?? null };
    return proceed(fc, request, reply, { req: opened.req, session, progress, expiresAt: opened.interaction.expiresAt });
  });

  // RFC 8252 §8.6: the one-click confirm page of a first-party client whose identity cannot be
  // proven. Continue is this interaction's user interaction, bound to the account it was given by.
  app.post('/confirm', options, async (request, reply) => {
    const { single: form } = readOAuthForm(request.body);
    if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return sendPage(reply, csrfErrorPage(kit.forRequest(request)));
    const opened = await open(request, reply, form['interaction']);
    if (!opened) return reply;
    if (form['decision'] === 'cancel') return sendDenied(reply, fc, opened.req);
    if (form['decision'] !== 'continue')
      return sendPage(reply, errorPage(kit.forRequest(request), { code: 'invalid_request', message: 'confirm.chooseContinueOrCancel', status: 400 }));
    const session = await readSession(fc, request, reply);
    const progress = { ...opened.interaction.progress, confirmedSid: currentAccount(session)?.sid ?? null };
    return proceed(fc, request, reply, { req: opened.req, session, progress, expiresAt: opened.interaction.expiresAt });
  });

  app.post('/select-account', options, async (request, reply) => {
    const { single: form } = readOAuthForm(request.body);
    if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return sendPage(reply, csrfErrorPage(kit.forRequest(request)));
    const opened = await open(request, reply, form['interaction']);
    if (!opened) return reply;
    let session = await readSession(fc, request, reply);
    const progress = { ...opened.interaction.progress, accountChosen: true };
    const base = { req: opened.req, progress, expiresAt: opened.interaction.expiresAt };
    const account = session?.accounts.find((a) => a.sid === form['account']);
    // "Use another account", or an account no longer in this browser's session: sign in.
    if (form['action'] === 'login' || !session || !account) return showInteraction(fc, request, reply, { ...base, session }, 'login');
    if (session.currentUserId !== account.userId) {
      session = await ctx.sessions.switchAccount(session, account.userId);
      setBrowserState(reply, ctx.config, session, session ? session.expiresAt - nowSeconds(fc) : 0);
    }
    return proceed(fc, request, reply, { ...base, session });
  });
}

import type { FastifyReply, FastifyRequest } from 'fastify';
import { metadataDocumentHost } from '../core/clients/metadata-document-client.ts';
import { authorizationErrorResponse } from '../core/authorize/authorization-error.ts';
import type { AuthorizationFailure, AuthorizationRequest, AuthorizationResponse, InteractionPage, InteractionProgress } from '../core/authorize/types.ts';
import { OAuthError } from '../core/errors.ts';
import type { SessionRecord } from '../core/model/session.ts';
import { epochSeconds } from '../core/ports/clock.ts';
import { browserStateOf, currentAccount } from '../core/session/session-service.ts';
import { appendQuery } from '../core/url-query.ts';
import type { AppContext } from './context.ts';
import { accountChooserPage, type ChooserAccount } from './pages/account-chooser-page.ts';
import { confirmPage } from './pages/confirm-page.ts';
import { consentPage } from './pages/consent-page.ts';
import { oauthErrorPage } from './pages/error-page.ts';
import { formPostPage } from './pages/form-post-page.ts';
import { sendPage } from './pages/layout.ts';
import { loginPage } from './pages/login-page.ts';
import type { MessageKey } from './pages/messages/catalogue.ts';
import { cspSourceFor } from './plugins/security-headers.ts';
import { clearSessionCookies, readCookie, sessionCookieName } from './session-cookie.ts';

/*
 * The steps shared by GET/POST /authorize and the interaction routes (/login, /consent,
 * /confirm, /select-account): decide against the browser session, show a page with the request
 * sealed into it, or complete and render the authorization response (query, fragment, form_post).
 */
/** What the authorization and interaction route modules need (S6). */
export type FlowContext = Pick<AppContext, 'config' | 'clock' | 'sessions' | 'accountViews' | 'pages' | 'csrf' | 'interactions' | 'authorization'>;

/** The AuthorizationFailure inside anything `resolve`/`decide`/`complete` threw, or null. */
export function asFailure(e: unknown): AuthorizationFailure | null {
  if (e instanceof OAuthError) return { error: e, redirect: null };
  if (typeof e !== 'object' || e === null) return null;
  const f = e as Partial<AuthorizationFailure>;
  return f.error instanceof OAuthError && 'redirect' in f ? { error: f.error, redirect: f.redirect ?? null } : null;
}

/** The live session of this browser; stale cookies are removed. */
export async function readSession(fc: FlowContext, request: FastifyRequest, reply: FastifyReply): Promise<SessionRecord | undefined> {
  const cookie = readCookie(request, sessionCookieName(fc.config));
  if (cookie === undefined) return undefined;
  const session = await fc.sessions.read(cookie);
  if (!session) clearSessionCookies(reply, fc.config);
  return session;
}

/** `'self'` plus the origin (or private-use scheme) of the request's redirect URI. */
export function interactionFormAction(redirectUri: string): string[] {
  const source = cspSourceFor(redirectUri);
  return source ? ["'self'", source] : ["'self'"];
}

/** Encodes response parameters (RFC 6749 Appendix B, application/x-www-form-urlencoded). */
const encode = (params: Readonly<Record<string, string>>) => new URLSearchParams(Object.entries(params)).toString();

/**
 * Renders the authorization response. RFC 6749 §3.1.2: the redirection endpoint's query
 * component "MUST be retained when adding additional query parameters" (appended, never
 * re-encoded). OAuth 2.0 Multiple Response Type Encoding Practices §2.1 fragment encoding;
 * Form Post Response Mode §2 auto-submitting page.
 */
export function sendAuthorizationResponse(reply: FastifyReply, fc: Pick<FlowContext, 'pages'>, res: AuthorizationResponse): FastifyReply {
  if (res.responseMode === 'form_post') return sendPage(reply, formPostPage(fc.pages.forRequest(reply.request), res.redirectUri, res.params));
  // Registered redirect URIs never carry a fragment (RFC 6749 §3.1.2); drop one defensively.
  const location =
    res.responseMode === 'fragment' ? `${res.redirectUri.split('#')[0]!}#${encode(res.params)}` : appendQuery(res.redirectUri, encode(res.params));
  // RFC 9700 §4.12: "If an HTTP redirection [...] is used for such a request, AS SHOULD use HTTP
  // status code 303 "See Other"" — this often answers the sign-in form (POST with the password).
  return reply.code(303).header('location', location).header('cache-control', 'no-store').header('pragma', 'no-cache').send();
}

/**
 * An error goes back to the client only when `redirect` is set, i.e. once the client and the
 * redirect URI are validated (RFC 6749 §4.1.2.1): with `state` as received and, RFC 9207 §2,
 * "the iss parameter [...] MUST be included in the authorization response" (errors too).
 * Otherwise the person sees the error page and nothing is sent anywhere.
 */
export function sendFailure(reply: FastifyReply, fc: Pick<FlowContext, 'pages' | 'config'>, failure: AuthorizationFailure): FastifyReply {
  const res = authorizationErrorResponse(failure, fc.config.issuer);
  return res ? sendAuthorizationResponse(reply, fc, res) : sendPage(reply, oauthErrorPage(fc.pages.forRequest(reply.request), failure.error));
}

/** access_denied to the client (the person pressed Deny or Cancel). */
export function sendDenied(reply: FastifyReply, fc: FlowContext, req: AuthorizationRequest): FastifyReply {
  return sendFailure(reply, fc, {
    error: OAuthError.accessDenied('the user denied the request'),
    redirect: { redirectUri: req.redirectUri, responseMode: req.responseMode, state: req.state },
  });
}

export interface Proceed {
  readonly req: AuthorizationRequest;
  readonly session: SessionRecord | undefined;
  readonly progress: InteractionProgress;
  /** Expiry of the interaction already under way (kept when re-sealing); undefined: a new one. */
  readonly expiresAt?: number;
}

/** decide → page, or complete → response. Failures are rendered (client or error page). */
export async function proceed(fc: FlowContext, request: FastifyRequest, reply: FastifyReply, p: Proceed): Promise<FastifyReply> {
  try {
    const decision = await fc.authorization.decide(p.req, p.session, p.progress);
    if (decision.kind === 'interaction') return await showInteraction(fc, request, reply, p, decision.page);
    // `complete` also records the client on the session's account (front/back-channel logout).
    const res = await fc.authorization.complete(p.req, decision, { browserState: browserStateOf(p.session), session: p.session });
    return sendAuthorizationResponse(reply, fc, res);
  } catch (e) {
    const failure = asFailure(e);
    if (!failure) throw e;
    return sendFailure(reply, fc, failure);
  }
}

/**
 * Renders the login, consent, confirm or account chooser page with the request sealed into it.
 * The page's language is chosen once, when the interaction starts (ui_locales, then
 * Accept-Language: PageKit.forRequest), and sealed with it, so every later page of the same
 * sign-in speaks it (the interaction routes pin it when they open the interaction). */
export async function showInteraction(
  fc: FlowContext,
  request: FastifyRequest,
  reply: FastifyReply,
  p: Proceed,
  page: InteractionPage,
  extra: { readonly username?: string; readonly error?: MessageKey | null; readonly status?: number } = {},
): Promise<FastifyReply> {
  const { token, binding } = fc.csrf.issue(request, reply);
  const kit = fc.pages.pin(request, fc.pages.forRequest(request, p.req.uiLocales).lang);
  const interaction = fc.interactions.seal(
    { params: p.req.params, progress: p.progress, locale: kit.lang, ...(p.expiresAt !== undefined ? { expiresAt: p.expiresAt } : {}) },
    binding,
  );
  const formAction = interactionFormAction(p.req.redirectUri);
  const clientName = p.req.client.clientName || p.req.client.clientId;
  if (page === 'login') {
    return sendPage(
      reply,
      loginPage(kit, {
        csrfToken: token,
        interaction,
        returnTo: null,
        clientName,
        formAction,
        username: extra.username ?? p.req.loginHint ?? '',
        error: extra.error ?? null,
        ...(extra.status ? { status: extra.status } : {}),
      }),
    );
  }
  if (page === 'consent' || page === 'confirm') {
    const who = await fc.accountViews.signedIn(p.session);
    const common = { csrfToken: token, interaction, clientName, formAction, redirectHost: redirectLabel(p.req.redirectUri), username: who?.username ?? '' };
    return sendPage(
      reply,
      page === 'confirm'
        ? confirmPage(kit, common)
        : consentPage(kit, { ...common, scope: p.req.scope, claims: p.req.claims, documentHost: metadataDocumentHost(p.req.client) }),
    );
  }
  const accounts: ChooserAccount[] = await fc.accountViews.accounts(p.session);
  if (accounts.length === 0) return showInteraction(fc, request, reply, p, 'login', extra);
  return sendPage(reply, accountChooserPage(kit, { csrfToken: token, interaction, clientName, formAction, accounts }));
}

/** Host (or scheme for a native app) the person will be sent back to. */
function redirectLabel(uri: string): string {
  try {
    const u = new URL(uri);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.host : u.protocol.replace(/:$/, '');
  } catch {
    return uri;
  }
}

export function nowSeconds(fc: Pick<FlowContext, 'clock'>): number {
  return epochSeconds(fc.clock);
}

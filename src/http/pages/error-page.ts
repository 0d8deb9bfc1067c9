import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OAuthError } from '../../core/errors.ts';
import { toOAuthError } from '../errors.ts';
import { html } from './html.ts';
import { layout, sendPage, type Page, type PageKit } from './layout.ts';
import { MESSAGE_KEYS, type MessageKey } from './messages/catalogue.ts';

const TITLE_KEYS: ReadonlySet<string> = new Set(MESSAGE_KEYS.filter((k) => k.startsWith('error.title.')));

export interface ErrorPageData {
  /** An OAuth error code or a page error code (e.g. `csrf_failed`, `interaction_expired`). */
  readonly code: string;
  /** What happened and what to do, in the page's language. */
  readonly message?: MessageKey | null;
  /**
   * The protocol's `error_description` (RFC 6749 §4.1.2.1: "Human-readable ASCII text [...] to
   * assist the client developer"): English, safe, for the application's developers; marked
   * `lang="en"`. Never a stack trace or internal detail.
   */
  readonly details?: string | null;
  readonly status: number;
  readonly title?: MessageKey;
}

/** The error page: a title, a safe explanation, the error code; nothing else (no stack, no detail). */
export function errorPage(kit: PageKit, d: ErrorPageData): Page {
  const titleKey = d.title ?? (TITLE_KEYS.has(`error.title.${d.code}`) ? (`error.title.${d.code}` as MessageKey) : 'error.title.default');
  const title = kit.text(titleKey);
  const details = d.details ? html`<span lang="en">${d.details}</span>` : null;
  const main = html`<h1 id="title">${title}</h1>
${d.message ? html`<p>${kit.t(d.message)}</p>` : ''}
${details ? html`<p class="gh-muted">${kit.t('error.details', { details })}</p>` : ''}
<p class="gh-muted">${kit.t('error.code', { code: html`<span class="gh-code">${d.code}</span>` })}</p>
<p class="gh-muted">${kit.t('error.closeHint')}</p>`;
  return { status: d.status, body: layout(kit, { title, main }), formAction: [] };
}

/** The error page for an OAuthError that cannot go back to the client. */
export function oauthErrorPage(kit: PageKit, e: OAuthError): Page {
  return errorPage(kit, { code: e.code, details: e.description ?? null, status: e.status });
}

/** A forged, missing or stale CSRF token: 403, nothing was written. */
export function csrfErrorPage(kit: PageKit): Page {
  return errorPage(kit, { code: 'csrf_failed', title: 'error.csrfTitle', message: 'error.csrfDescription', status: 403 });
}

/**
 * Route-level error handler for page routes (`{ errorHandler: pageErrorHandler(kit) }`): anything
 * thrown — a malformed body, a wrong content type, a store failure — becomes the error page with
 * the right status, in the request's language, never JSON or a stack trace. Server errors are
 * logged with their detail.
 */
export function pageErrorHandler(kit: PageKit) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const e = toOAuthError(error);
    if (e.status >= 500) request.log.error({ err: error }, 'page request failed');
    else request.log.info({ error: e.code, detail: e.detail }, 'page request refused');
    return sendPage(reply, oauthErrorPage(kit.forRequest(request), e));
  };
}

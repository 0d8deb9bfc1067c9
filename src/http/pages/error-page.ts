import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OAuthError } from '../../core/errors.ts';
import { toOAuthError } from '../errors.ts';
import { html } from './html.ts';
import { layout, sendPage, type Page, type PageKit } from './layout.ts';

const TITLES: Readonly<Record<string, string>> = {
  invalid_request: 'This request cannot be completed',
  invalid_client: 'Unknown application',
  unauthorized_client: 'This application is not allowed to do that',
  access_denied: 'Access denied',
  server_error: 'Something went wrong on our side',
  temporarily_unavailable: 'The service is temporarily unavailable',
  invalid_request_uri: 'This request has expired or was already used',
  invalid_request_object: 'This request cannot be completed',
};

export interface ErrorPageData {
  /** An OAuth error code or a page error code (e.g. `csrf_failed`, `interaction_expired`). */
  readonly code: string;
  /** Safe text for people (never a stack trace or internal detail). */
  readonly description: string | null;
  readonly status: number;
  readonly title?: string;
}

/** The error page: the error code and a safe description, nothing else (no stack, no detail). */
export function errorPage(kit: PageKit, d: ErrorPageData): Page {
  const title = d.title ?? TITLES[d.code] ?? 'This request cannot be completed';
  const main = html`<h1 id="title">${title}</h1>
${d.description ? html`<p>${d.description}</p>` : ''}
<p class="gh-muted">Error code: <span class="gh-code">${d.code}</span></p>
<p class="gh-muted">You can close this page, return to the application and try again.</p>`;
  return { status: d.status, body: layout(kit, { title, main }), formAction: [] };
}

/** The error page for an OAuthError that cannot go back to the client. */
export function oauthErrorPage(kit: PageKit, e: OAuthError): Page {
  return errorPage(kit, { code: e.code, description: e.description ?? null, status: e.status });
}

/** A forged, missing or stale CSRF token: 403, nothing was written. */
export function csrfErrorPage(kit: PageKit): Page {
  return errorPage(kit, {
    code: 'csrf_failed',
    title: 'This form has expired',
    description: 'The form could not be verified, so nothing was changed. Go back to the application and start again.',
    status: 403,
  });
}

/**
 * Route-level error handler for page routes (`{ errorHandler: pageErrorHandler(kit) }`): anything
 * thrown — a malformed body, a wrong content type, a store failure — becomes the error page with
 * the right status, never JSON or a stack trace. Server errors are logged with their detail.
 */
export function pageErrorHandler(kit: PageKit) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const e = toOAuthError(error);
    if (e.status >= 500) request.log.error({ err: error }, 'page request failed');
    else request.log.info({ error: e.code, detail: e.detail }, 'page request refused');
    return sendPage(reply, oauthErrorPage(kit, e));
  };
}

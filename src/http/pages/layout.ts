import type { FastifyReply } from 'fastify';
import type { Config } from '../../config/schema.ts';
import type { Asset, PageAssets } from '../assets/page-assets.ts';
import { endpointUrl } from '../context.ts';
import { pageCsp } from '../plugins/security-headers.ts';
import { html, type SafeHtml } from './html.ts';

/**
 * What every page needs, built once at start (AppContext.pages): product name, asset URLs, the
 * issuer base for form actions. Device (E) and logout (F) pages render through the same
 * `layout`, `form`, `field` and `button` helpers and send with `sendPage`.
 */
export interface PageKit {
  readonly productName: string;
  /** `lang` of every page. ui_locales: only English is available today (docs/sessions-and-pages.md). */
  readonly lang: string;
  readonly assets: PageAssets;
  /** Consent words for the scopes configured in `claims.scopes` (their `description`). */
  readonly scopeDescriptions: ReadonlyMap<string, string>;
  /** Absolute URL under the issuer (form actions, links). */
  url(path: string): string;
  /** Versioned URL of an asset (`/assets/<name>?v=<hash>`, cached immutably). */
  assetUrl(asset: Asset): string;
}

export function createPageKit(config: Pick<Config, 'issuer' | 'theme'> & { readonly claims?: Pick<Config['claims'], 'scopes'> }, assets: PageAssets): PageKit {
  return {
    productName: config.theme.productName,
    lang: 'en',
    assets,
    scopeDescriptions: new Map(Object.entries(config.claims?.scopes ?? {}).map(([scope, d]) => [scope, d.description])),
    url: (path) => endpointUrl(config, path),
    assetUrl: (a) => `${endpointUrl(config, `/assets/${a.name}`)}?v=${a.version}`,
  };
}

/** A page ready to send: status, the HTML document, and where its forms may submit to. */
export interface Page {
  readonly status: number;
  readonly body: string;
  /**
   * CSP form-action sources. Browsers apply form-action to the redirects that follow a form
   * submission, so a page whose form ends in a redirect to the client lists the client's origin.
   */
  readonly formAction: readonly string[];
}

export interface LayoutOptions {
  readonly title: string;
  readonly main: SafeHtml;
  /** Same-origin scripts (no inline script anywhere). */
  readonly scripts?: readonly Asset[];
}

/** The one page frame: skip link, product header with optional logo, main card, one stylesheet. */
export function layout(kit: PageKit, opts: LayoutOptions): string {
  const { assets } = kit;
  const doc = html`<!DOCTYPE html>
<html lang="${kit.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>${opts.title} · ${kit.productName}</title>
<link rel="icon" href="${kit.assetUrl(assets.favicon)}">
<link rel="stylesheet" href="${kit.assetUrl(assets.theme)}">
<link rel="stylesheet" href="${kit.assetUrl(assets.css)}">
</head>
<body>
<a class="gh-skip" href="#main">Skip to content</a>
<header class="gh-header">
${assets.logo ? html`<img class="gh-logo" src="${kit.assetUrl(assets.logo)}" alt="">` : ''}
<p class="gh-product">${kit.productName}</p>
</header>
<main id="main" class="gh-main">
<div class="gh-card">
${opts.main}
</div>
</main>
${(opts.scripts ?? []).map((s) => html`<script src="${kit.assetUrl(s)}" defer></script>`)}
</body>
</html>
`;
  return doc.value;
}

/** A POST form carrying the CSRF token (and any hidden fields, e.g. the sealed interaction). */
export function form(opts: {
  readonly action: string;
  readonly csrfToken: string;
  readonly hidden?: Readonly<Record<string, string>>;
  readonly body: SafeHtml;
  readonly id?: string;
  readonly label?: string;
}): SafeHtml {
  const hidden = Object.entries(opts.hidden ?? {}).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`);
  return html`<form method="post" action="${opts.action}"${opts.id ? html` id="${opts.id}"` : ''}${opts.label ? html` aria-label="${opts.label}"` : ''}>
<input type="hidden" name="${CSRF_FIELD}" value="${opts.csrfToken}">
${hidden}
${opts.body}
</form>`;
}

export const CSRF_FIELD = 'csrf_token';

/** A labelled input (`<label for>`); `autofocus` for the first field of a page. */
export function field(opts: {
  readonly id: string;
  readonly name: string;
  readonly label: string;
  readonly type?: string;
  readonly value?: string;
  readonly autocomplete?: string;
  readonly autofocus?: boolean;
  readonly required?: boolean;
  readonly inputmode?: string;
  readonly describedBy?: string;
}): SafeHtml {
  return html`<div class="gh-field">
<label for="${opts.id}">${opts.label}</label>
<input id="${opts.id}" name="${opts.name}" type="${opts.type ?? 'text'}"${opts.value !== undefined ? html` value="${opts.value}"` : ''}${opts.autocomplete ? html` autocomplete="${opts.autocomplete}"` : ''}${opts.inputmode ? html` inputmode="${opts.inputmode}"` : ''}${opts.describedBy ? html` aria-describedby="${opts.describedBy}"` : ''}${opts.autofocus ? html` autofocus` : ''}${opts.required === false ? '' : html` required`}>
</div>`;
}

/** A submit button; the first one in a form is what Enter presses. */
export function button(opts: {
  readonly label: string;
  readonly name?: string;
  readonly value?: string;
  readonly kind?: 'primary' | 'secondary';
  readonly formnovalidate?: boolean;
  readonly autofocus?: boolean;
}): SafeHtml {
  return html`<button type="submit" class="gh-button gh-button-${opts.kind ?? 'primary'}"${opts.name ? html` name="${opts.name}" value="${opts.value ?? ''}"` : ''}${opts.formnovalidate ? html` formnovalidate` : ''}${opts.autofocus ? html` autofocus` : ''}>${opts.label}</button>`;
}

/** A paragraph in the alert style, announced to screen readers. */
export function alert(text: string): SafeHtml {
  return html`<p class="gh-alert" role="alert">${text}</p>`;
}

/**
 * Sends a page with its own CSP (replacing the API default set in onRequest), no caching
 * (pages carry CSRF tokens and sealed requests) and no referrer.
 */
export function sendPage(reply: FastifyReply, page: Page): FastifyReply {
  return reply
    .code(page.status)
    .header('content-security-policy', pageCsp(page.formAction))
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .type('text/html; charset=utf-8')
    .send(page.body);
}

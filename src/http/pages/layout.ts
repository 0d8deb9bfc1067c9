import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/schema.ts';
import type { Asset, PageAssets } from '../assets/page-assets.ts';
import { endpointUrl } from '../context.ts';
import { pageCsp } from '../plugins/security-headers.ts';
import { html, type SafeHtml } from './html.ts';
import { buildCatalogues, DEFAULT_LOCALE_SETTINGS, type LocaleSettings, type MessageKey } from './messages/catalogue.ts';
import { negotiateLocale } from './messages/negotiate.ts';

/**
 * What every page needs, built once at start (AppContext.pages): product name, asset URLs, the
 * issuer base for form actions, and the texts of one language. There is one kit per enabled
 * locale (`pages.locales`); a route picks one with `forRequest` (ui_locales, then
 * Accept-Language, then `pages.defaultLocale`: messages/negotiate.ts) and every page renders
 * through the same `layout`, `form`, `field` and `button` helpers and sends with `sendPage`.
 */
export interface PageKit {
  readonly productName: string;
  /** This kit's locale: the pages' `<html lang>`. */
  readonly lang: string;
  /** Every enabled locale (discovery's `ui_locales_supported`). */
  readonly locales: readonly string[];
  readonly assets: PageAssets;
  /** Consent words for the scopes configured in `claims.scopes` (their `description`, as the operator wrote it). */
  readonly scopeDescriptions: ReadonlyMap<string, string>;
  /** Absolute URL under the issuer (form actions, links). */
  url(path: string): string;
  /** Versioned URL of an asset (`/assets/<name>?v=<hash>`, cached immutably). */
  assetUrl(asset: Asset): string;
  /**
   * The text of `key` in this kit's language, placeholders filled in: strings are escaped,
   * `SafeHtml` (e.g. html`<strong>${name}</strong>`) is kept. Operator texts are escaped too.
   */
  t(key: MessageKey, vars?: Readonly<Record<string, unknown>>): SafeHtml;
  /** Plain text of `key` (for `<title>`, labels, attributes): placeholders filled with strings. */
  text(key: MessageKey, vars?: Readonly<Record<string, string>>): string;
  /** The kit of one enabled locale (`lang` as listed in `locales`; anything else: the default kit). */
  forLocale(locale: string): PageKit;
  /**
   * The kit for this request: the locale pinned to it (`pin`, e.g. the interaction's), else
   * `uiLocales` (or the query's `ui_locales`), else Accept-Language, else the default.
   */
  forRequest(request: FastifyRequest, uiLocales?: readonly string[]): PageKit;
  /** Fixes this request's locale (the one its interaction was started in) and returns its kit. */
  pin(request: FastifyRequest, locale: string): PageKit;
}

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** A text split at its placeholders: literal parts and the values of `vars` (a missing one stays as written). */
function fill(text: string, vars: Readonly<Record<string, unknown>> | undefined): unknown[] {
  const parts: unknown[] = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    parts.push(text.slice(last, m.index), vars && Object.hasOwn(vars, m[1]!) ? vars[m[1]!] : m[0]);
    last = m.index + m[0].length;
  }
  parts.push(text.slice(last));
  return parts;
}

/** `ui_locales` of a GET request's query (an error page shown before the request is resolved). */
function queryUiLocales(request: FastifyRequest): string[] {
  const q = request.query as Record<string, unknown> | undefined;
  const v = q && typeof q === 'object' ? q['ui_locales'] : undefined;
  return typeof v === 'string' && v.length <= 256
    ? v
        .split(' ')
        .filter((t) => t !== '')
        .slice(0, 16)
    : [];
}

export function createPageKit(
  config: Pick<Config, 'issuer' | 'theme'> & { readonly pages?: LocaleSettings; readonly claims?: Pick<Config['claims'], 'scopes'> },
  assets: PageAssets,
): PageKit {
  const scopeDescriptions: ReadonlyMap<string, string> = new Map(Object.entries(config.claims?.scopes ?? {}).map(([scope, d]) => [scope, d.description]));
  const settings = config.pages ?? DEFAULT_LOCALE_SETTINGS;
  const catalogues = buildCatalogues(settings);
  const locales = [...catalogues.keys()];
  const defaultLocale = locales.find((l) => l.toLowerCase() === settings.defaultLocale.toLowerCase()) ?? locales[0]!;
  const pinned = new WeakMap<FastifyRequest, PageKit>();
  const kits = new Map<string, PageKit>();
  const url = (path: string) => endpointUrl(config, path);
  const assetUrl = (a: Asset) => `${endpointUrl(config, `/assets/${a.name}`)}?v=${a.version}`;
  const byLocale = (locale: string): PageKit => kits.get(locale) ?? kits.get(locales.find((l) => l.toLowerCase() === locale.toLowerCase()) ?? '') ?? fallback;
  for (const [lang, messages] of catalogues) {
    kits.set(lang, {
      productName: config.theme.productName,
      lang,
      locales,
      assets,
      scopeDescriptions,
      url,
      assetUrl,
      t: (key, vars) => html`${fill(messages[key], vars)}`,
      text: (key, vars) => fill(messages[key], vars).join(''),
      forLocale: byLocale,
      forRequest(request, uiLocales) {
        const pin = pinned.get(request);
        if (pin) return pin;
        const header = request.headers['accept-language'];
        return byLocale(negotiateLocale(locales, defaultLocale, uiLocales ?? queryUiLocales(request), typeof header === 'string' ? header : undefined));
      },
      pin(request, locale) {
        const kit = byLocale(locale);
        pinned.set(request, kit);
        return kit;
      },
    });
  }
  // Assigned before any kit method can run (byLocale only runs once a kit is in use).
  const fallback = kits.get(defaultLocale)!;
  return fallback;
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

/** The one page frame: skip link, product header with optional logo, main card; theme, our stylesheet, then the operator's. */
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
${assets.custom ? html`<link rel="stylesheet" href="${kit.assetUrl(assets.custom)}">\n` : ''}</head>
<body>
<a class="gh-skip" href="#main">${kit.t('layout.skip')}</a>
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

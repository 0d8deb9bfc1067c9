import { CSRF_FIELD } from '../pages/layout.ts';
import { html, type SafeHtml } from '../pages/html.ts';
import type { ConsoleAsset, ConsoleAssets } from './console-assets.ts';

/** Who is signed in to the console, as the pages show them. */
export interface ConsoleViewer {
  readonly username: string;
  /** `admin` (everything) or `auditor` (read-only). */
  readonly role: 'admin' | 'auditor';
}

export interface ConsoleFrame {
  readonly base: string;
  readonly productName: string;
  readonly assets: ConsoleAssets;
  /** The pages' generated icon (/assets/favicon.svg). */
  readonly favicon: string;
}

export const NAV: readonly { readonly path: string; readonly label: string }[] = [
  { path: '/admin', label: 'Dashboard' },
  { path: '/admin/clients', label: 'Clients' },
  { path: '/admin/users', label: 'Users' },
  { path: '/admin/grants', label: 'Grants and tokens' },
  { path: '/admin/consents', label: 'Consents' },
  { path: '/admin/keys', label: 'Keys' },
  { path: '/admin/audit', label: 'Audit log' },
  { path: '/admin/events', label: 'Events' },
  { path: '/admin/device-codes', label: 'Device codes' },
  { path: '/admin/settings', label: 'Settings' },
];

const assetUrl = (f: ConsoleFrame, a: ConsoleAsset) => `${f.base}/admin/assets/${a.name}?v=${a.version}`;

export const BTN =
  'inline-flex items-center gap-1 rounded-md px-3 py-1.5 text-sm font-medium bg-indigo-700 text-white hover:bg-indigo-800 dark:bg-indigo-500 dark:text-slate-950 dark:hover:bg-indigo-400';
export const BTN_SECONDARY =
  'inline-flex items-center gap-1 rounded-md px-3 py-1.5 text-sm font-medium border border-slate-400 text-slate-800 hover:bg-slate-100 dark:border-slate-500 dark:text-slate-100 dark:hover:bg-slate-800';
export const BTN_DANGER =
  'inline-flex items-center gap-1 rounded-md px-3 py-1.5 text-sm font-medium bg-red-700 text-white hover:bg-red-800 dark:bg-red-400 dark:text-slate-950 dark:hover:bg-red-300';
export const INPUT =
  'mt-1 block w-full rounded-md border border-slate-400 bg-white px-2 py-1.5 text-sm text-slate-900 dark:border-slate-500 dark:bg-slate-900 dark:text-slate-100';
export const LABEL = 'block text-sm font-medium text-slate-800 dark:text-slate-200';
export const CARD = 'rounded-lg border border-slate-300 bg-white p-4 dark:border-slate-700 dark:bg-slate-900';

/** The console frame: nav, header (user, role, theme toggle, sign-out), main; only same-origin assets with SRI. */
export function consoleLayout(
  f: ConsoleFrame,
  opts: { readonly title: string; readonly active: string; readonly viewer: ConsoleViewer | null; readonly csrfToken: string; readonly main: SafeHtml },
): string {
  const { assets } = f;
  const v = opts.viewer;
  const doc = html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>${opts.title} · ${f.productName} console</title>
<link rel="icon" href="${f.favicon}">
<link rel="stylesheet" href="${assetUrl(f, assets.css)}" integrity="${assets.css.integrity}">
<script src="${assetUrl(f, assets.theme)}" integrity="${assets.theme.integrity}"></script>
<script src="${assetUrl(f, assets.js)}" integrity="${assets.js.integrity}" defer></script>
<script src="${assetUrl(f, assets.alpine)}" integrity="${assets.alpine.integrity}" defer></script>
</head>
<body class="min-h-screen bg-slate-50 text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">
<a href="#main" class="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:text-slate-900">Skip to content</a>
<div class="flex min-h-screen">
${
  v
    ? html`<nav aria-label="Console" class="w-52 shrink-0 border-r border-slate-300 bg-white p-4 dark:border-slate-800 dark:bg-slate-900">
<p class="mb-4 text-base font-semibold">${f.productName}</p>
<ul class="space-y-1">
${NAV.map(
  (n) =>
    html`<li><a href="${f.base}${n.path}" class="block rounded-md px-2 py-1.5 text-sm ${n.path === opts.active ? 'bg-indigo-100 font-semibold text-indigo-900 dark:bg-indigo-950 dark:text-indigo-100' : 'text-slate-800 hover:bg-slate-100 dark:text-slate-200 dark:hover:bg-slate-800'}"${n.path === opts.active ? html` aria-current="page"` : ''}>${n.label}</a></li>`,
)}
</ul>
</nav>`
    : ''
}
<div class="flex min-w-0 flex-1 flex-col">
<header class="flex items-center justify-between gap-4 border-b border-slate-300 bg-white px-6 py-3 dark:border-slate-800 dark:bg-slate-900">
<h1 class="text-lg font-semibold">${opts.title}</h1>
<div class="flex items-center gap-3 text-sm">
${v ? html`<span>${v.username} <span class="rounded bg-slate-200 px-1.5 py-0.5 text-xs font-medium text-slate-800 dark:bg-slate-700 dark:text-slate-100">${v.role}</span></span>` : ''}
<span x-data="theme"><button type="button" id="theme-toggle" class="${BTN_SECONDARY}" x-on:click="toggle" x-bind:aria-pressed="dark" aria-label="Dark mode">Dark mode</button></span>
<form method="post" action="${f.base}/admin/sign-out"><input type="hidden" name="${CSRF_FIELD}" value="${opts.csrfToken}"><button type="submit" class="${BTN_SECONDARY}">Sign out</button></form>
</div>
</header>
<main id="main" class="flex-1 p-6">
${opts.main}
</main>
</div>
</div>
</body>
</html>
`;
  return doc.value;
}

/** A POST form with the CSRF token. */
export function postForm(action: string, csrfToken: string, body: SafeHtml, attrs: { readonly id?: string; readonly className?: string } = {}): SafeHtml {
  return html`<form method="post" action="${action}"${attrs.id ? html` id="${attrs.id}"` : ''}${attrs.className ? html` class="${attrs.className}"` : ''}>
<input type="hidden" name="${CSRF_FIELD}" value="${csrfToken}">
${body}
</form>`;
}

/**
 * A destructive action behind a confirmation dialog: the button opens a native modal <dialog>
 * (focus stays inside, Escape and a backdrop click dismiss it); only its Confirm button posts.
 */
export function confirmAction(opts: {
  readonly id: string;
  readonly label: string;
  readonly title: string;
  readonly text: string;
  readonly action: string;
  readonly csrfToken: string;
  readonly confirmLabel: string;
  readonly danger?: boolean;
  /** Hidden fields the confirmed form posts (besides the CSRF token). */
  readonly hidden?: Readonly<Record<string, string>>;
}): SafeHtml {
  return html`<div x-data="modal" class="inline">
<button type="button" id="${opts.id}-open" class="${opts.danger === false ? BTN_SECONDARY : BTN_DANGER}" x-on:click="open">${opts.label}</button>
<dialog x-ref="dialog" x-on:click="backdrop" id="${opts.id}-dialog" aria-labelledby="${opts.id}-title" class="m-auto w-full max-w-md rounded-lg bg-white p-0 text-slate-900 shadow-xl dark:bg-slate-900 dark:text-slate-100">
<div class="p-6">
<h2 id="${opts.id}-title" class="text-lg font-semibold">${opts.title}</h2>
<p class="mt-2 text-sm">${opts.text}</p>
${postForm(
  opts.action,
  opts.csrfToken,
  html`${Object.entries(opts.hidden ?? {}).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}<button type="button" class="${BTN_SECONDARY}" x-on:click="close" autofocus>Cancel</button>
<button type="submit" id="${opts.id}-confirm" class="${opts.danger === false ? BTN : BTN_DANGER}">${opts.confirmLabel}</button>`,
  { className: 'mt-6 flex justify-end gap-2' },
)}
</div>
</dialog>
</div>`;
}

/** An edit drawer: a modal <dialog> along the right edge, opened by its button. */
export function drawer(opts: { readonly id: string; readonly label: string; readonly title: string; readonly body: SafeHtml }): SafeHtml {
  return html`<div x-data="modal" class="inline">
<button type="button" id="${opts.id}-open" class="${BTN_SECONDARY}" x-on:click="open">${opts.label}</button>
<dialog x-ref="dialog" x-on:click="backdrop" id="${opts.id}-dialog" aria-labelledby="${opts.id}-title" class="fixed inset-y-0 right-0 left-auto m-0 h-full max-h-none w-full max-w-lg bg-white p-0 text-slate-900 shadow-xl dark:bg-slate-900 dark:text-slate-100">
<div class="p-6">
<div class="flex items-center justify-between"><h2 id="${opts.id}-title" class="text-lg font-semibold">${opts.title}</h2>
<button type="button" class="${BTN_SECONDARY}" x-on:click="close">Close</button></div>
${opts.body}
</div>
</dialog>
</div>`;
}

/** A text input with its label. */
export function textField(o: {
  readonly id: string;
  readonly name: string;
  readonly label: string;
  readonly value?: string;
  readonly hint?: string;
  readonly required?: boolean;
  readonly type?: string;
}): SafeHtml {
  return html`<div class="mt-4"><label for="${o.id}" class="${LABEL}">${o.label}</label>
<input id="${o.id}" name="${o.name}" type="${o.type ?? 'text'}" class="${INPUT}"${o.value !== undefined ? html` value="${o.value}"` : ''}${o.required ? html` required` : ''}${o.hint ? html` aria-describedby="${o.id}-hint"` : ''}>
${o.hint ? html`<p id="${o.id}-hint" class="mt-1 text-xs text-slate-600 dark:text-slate-400">${o.hint}</p>` : ''}</div>`;
}

/** A notice at the top of a page (after a change), announced to screen readers. */
export function notice(text: string | null, kind: 'ok' | 'error' = 'ok'): SafeHtml {
  if (!text) return html``;
  const cls =
    kind === 'ok'
      ? 'border-emerald-600 bg-emerald-50 text-emerald-900 dark:bg-emerald-950 dark:text-emerald-100'
      : 'border-red-600 bg-red-50 text-red-900 dark:bg-red-950 dark:text-red-100';
  return html`<p role="${kind === 'ok' ? 'status' : 'alert'}" class="mb-4 rounded-md border-l-4 px-4 py-2 text-sm ${cls}">${text}</p>`;
}

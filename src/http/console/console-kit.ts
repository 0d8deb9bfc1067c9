import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../../core/errors.ts';
import { html, type SafeHtml } from '../pages/html.ts';
import type { ConsoleHandler } from '../routes/console.ts';
import { BTN_SECONDARY, INPUT, LABEL } from './console-layout.ts';

/** Shared pieces of the console's list pages: query parsing, sortable headers, search, paging. */
export type Guard = (handler: ConsoleHandler, opts?: { readonly mutation?: boolean }) => (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
export type ConsoleCtx = Parameters<ConsoleHandler>[2];
export type Query = Record<string, string | undefined>;
export type Form = Record<string, string | string[] | undefined>;

export const PAGE_SIZE = 25;
export const TH = 'px-3 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-700 dark:text-slate-300';
export const TD = 'px-3 py-2 text-sm';
export const LINK = 'text-indigo-800 underline hover:no-underline dark:text-indigo-300';

/**
 * A page's query string, one string per name. Fastify parses a repeated key (`?sort=a&sort=b`)
 * into an array; every console parameter is single-valued, so that is bad input: the console's
 * 400 page naming the parameter (the guard renders GH_INVALID_INPUT), never a 500.
 */
export function queryOf(request: { readonly query: unknown }): Query {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((request.query ?? {}) as Record<string, unknown>)) {
    if (typeof v !== 'string') throw new GatehouseError('GH_INVALID_INPUT', `${k}: give this query parameter once`);
    out[k] = v;
  }
  return out;
}

export const str = (v: unknown): string => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '');
export const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' && v !== '' ? [v] : [];
export const lines = (v: string) =>
  v
    .split(/[\r\n]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
export const date = (epoch: number) => new Date(epoch * 1000).toISOString().replace('T', ' ').slice(0, 16);

/** `?sort=` of a list page: `field` or `-field`, only the use case's sortable fields. */
export function sortOf(q: Query, fields: readonly string[], fallback: string): { sort: string; order: 'asc' | 'desc'; raw: string } {
  const raw = q['sort'] ?? fallback;
  const desc = raw.startsWith('-');
  const field = desc ? raw.slice(1) : raw;
  return fields.includes(field)
    ? { sort: field, order: desc ? 'desc' : 'asc', raw }
    : { sort: fallback.replace(/^-/, ''), order: fallback.startsWith('-') ? 'desc' : 'asc', raw: fallback };
}

/** A sortable column header: a link that sorts by it (and flips the order when it is the current sort). */
export function sortHeader(path: string, label: string, field: string, current: { sort: string; order: string }, q: string): SafeHtml {
  const active = current.sort === field;
  const next = active && current.order === 'asc' ? `-${field}` : field;
  const params = new URLSearchParams({ sort: next, ...(q ? { q } : {}) });
  return html`<th scope="col" class="${TH}"${active ? html` aria-sort="${current.order === 'asc' ? 'ascending' : 'descending'}"` : ''}><a class="${LINK}" href="${path}?${params.toString()}">${label}${active ? (current.order === 'asc' ? ' ▲' : ' ▼') : ''}</a></th>`;
}

export function searchForm(path: string, q: string, sort: string, label: string): SafeHtml {
  return html`<form method="get" action="${path}" role="search" class="mb-4 flex items-end gap-2">
<div><label for="q" class="${LABEL}">${label}</label><input id="q" name="q" type="search" value="${q}" class="${INPUT}"></div>
<input type="hidden" name="sort" value="${sort}">
<button type="submit" class="${BTN_SECONDARY}">Search</button>
</form>`;
}

export function pager(path: string, q: string, sort: string, next: string | null, hasCursor: boolean): SafeHtml {
  const params = (cursor?: string) => new URLSearchParams({ sort, ...(q ? { q } : {}), ...(cursor ? { cursor } : {}) }).toString();
  return html`<nav aria-label="Pages" class="mt-4 flex gap-2">
${hasCursor ? html`<a class="${BTN_SECONDARY}" href="${path}?${params()}">First page</a>` : ''}
${next ? html`<a class="${BTN_SECONDARY}" id="next-page" rel="next" href="${path}?${params(next)}">Next page</a>` : ''}
</nav>`;
}

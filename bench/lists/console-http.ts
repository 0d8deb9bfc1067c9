/**
 * The console's server-side render time (issue #11 goal: every console page renders in ≤ 15 ms
 * p99): against the same production `gatehouse serve` process as the admin API cell, this
 * process signs in to /admin as a user with the `admin` role through the real OpenID Connect
 * flow (/admin/sign-in → /authorize → login form → /admin/callback, the test user agent's cookie
 * jar), then times sequential GETs of each console page with that session (one keep-alive
 * connection: one operator's latency, not throughput). Every page must answer 200 HTML.
 */
import { performance } from 'node:perf_hooks';
import { UserAgent } from '../../test/support/user-agent.ts';

export interface ConsolePageCase {
  readonly path: string;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly bytes: number;
}

export interface ConsoleResult {
  readonly reps: number;
  readonly pages: Readonly<Record<string, ConsolePageCase>>;
  /** The worst page's p99 (the goal applies to every page). */
  readonly worstP99: number;
}

/** The issue's goal for every console page. */
export const CONSOLE_GOAL_P99_MS = 15;

/** The href of a console list's "Next page" link (console-kit.ts `pager`), HTML entities undone; null on the last page. */
export function nextPageHref(page: string): string | null {
  const a = /<a\b[^>]*\brel="next"[^>]*>/.exec(page)?.[0];
  const href = a ? /\bhref="([^"]*)"/.exec(a)?.[1] : undefined;
  if (href === undefined) return null;
  return href.replace(/&(amp|quot|#39|lt|gt);/g, (_, e: string) => ({ amp: '&', quot: '"', '#39': "'", lt: '<', gt: '>' })[e]!);
}

const pct = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
const round = (ms: number) => Math.round(ms * 100) / 100;

export async function benchConsolePages(
  base: string,
  user: { readonly username: string; readonly password: string; readonly id: string },
  client: { readonly client_id: string },
  reps: number,
): Promise<ConsoleResult> {
  const ua = new UserAgent(base, { maxSteps: 30 });
  const out = await ua.authorize(`${base}/admin/sign-in?return_to=%2Fadmin`, { username: user.username, password: user.password });
  if (out.kind !== 'page' || out.page.status !== 200 || new URL(out.page.url).pathname !== '/admin')
    throw new Error(
      `console sign-in did not reach /admin: ${out.kind === 'page' ? `${out.page.status} ${out.page.url} ${out.page.text.slice(0, 200)}` : out.kind}`,
    );
  const cookie = [...ua.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const get = async (path: string): Promise<string> => {
    const res = await fetch(`${base}${path}`, { headers: { cookie, accept: 'text/html' }, redirect: 'manual' });
    const body = await res.text();
    if (res.status !== 200 || !(res.headers.get('content-type') ?? '').startsWith('text/html')) throw new Error(`${path}: ${res.status} ${body.slice(0, 200)}`);
    return body;
  };
  const after = nextPageHref(await get('/admin/clients'));
  if (!after) throw new Error('/admin/clients has no next page: seed more than 50 clients');
  const paths: Record<string, string> = {
    'dashboard /admin': '/admin',
    'clients (first page)': '/admin/clients',
    'clients (page after 50)': new URL(after, base).pathname + new URL(after, base).search,
    'clients (name prefix search)': '/admin/clients?sort=client_name&q=bench+client+005',
    'one client': `/admin/clients/${encodeURIComponent(client.client_id)}`,
    users: '/admin/users',
    'one user': `/admin/users/${encodeURIComponent(user.id)}`,
    consents: '/admin/consents',
    'grants of a user': `/admin/grants?user=${encodeURIComponent(user.username)}`,
    keys: '/admin/keys',
    audit: '/admin/audit',
    events: '/admin/events',
    'device codes': '/admin/device-codes',
    settings: '/admin/settings',
  };
  const pages: Record<string, ConsolePageCase> = {};
  for (const [name, path] of Object.entries(paths)) {
    let bytes = 0;
    for (let i = 0; i < 20; i++) bytes = (await get(path)).length;
    const times: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t = performance.now();
      await get(path);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    pages[name] = { path, p50: round(pct(times, 0.5)), p95: round(pct(times, 0.95)), p99: round(pct(times, 0.99)), bytes };
  }
  return { reps, pages, worstP99: Math.max(...Object.values(pages).map((p) => p.p99)) };
}

/**
 * A small HTTP "browser" for flow tests (the real-browser tests drive Chromium): a cookie jar,
 * redirects followed only within the server's own origin, and a stop at anything else (the
 * client's redirect_uri), whose URL is returned unvisited. Pages are classified by their forms:
 * a password field is the login page, a form posting to /confirm the confirm page (RFC 8252
 * §8.6 "Continue as …"), allow/deny buttons the consent page, several account
 * buttons the chooser, and a POST form aimed off-origin is a form_post auto-submit page (OAuth 2.0
 * Form Post Response Mode §2), whose parameters are returned instead of being posted.
 *
 *   const ua = new UserAgent(s.url);
 *   const out = await ua.authorize(authUrl, { username: 'alice', password: 'pw' });
 *   out.kind === 'redirect' ? out.url : out.kind === 'form_post' ? out.params : out.page
 */
import { formValues, parseForms, textOf, type FormSubmitter, type HtmlForm } from './html-forms.ts';

export type PageKind = 'login' | 'consent' | 'confirm' | 'select_account' | 'error' | 'other';

export interface Page {
  readonly url: string;
  readonly status: number;
  readonly html: string;
  readonly text: string;
  readonly forms: readonly HtmlForm[];
  readonly kind: PageKind;
  readonly headers: Headers;
}

export type Outcome =
  /** Stopped at an off-origin Location (the client's redirect_uri): the URL, not visited. */
  | { readonly kind: 'redirect'; readonly url: URL; readonly trail: readonly PageKind[] }
  /** A form_post auto-submit page aimed at `action`, with the parameters it would post. */
  | {
      readonly kind: 'form_post';
      readonly action: string;
      readonly params: Readonly<Record<string, string>>;
      readonly trail: readonly PageKind[];
      readonly html: string;
      readonly headers: Headers;
    }
  /** A page of the server (login, consent, chooser, error, …). */
  | { readonly kind: 'page'; readonly page: Page; readonly trail: readonly PageKind[] };

const ALLOW = /\b(allow|approve|accept|authori[sz]e|grant|consent|yes|continue)\b/i;
const DENY = /\b(deny|decline|reject|cancel|refuse|no)\b/i;

const submitterLabel = (s: FormSubmitter): string => `${s.name ?? ''} ${s.value} ${s.text}`;

function classify(status: number, forms: readonly HtmlForm[]): PageKind {
  if (forms.some((f) => f.fields.some((x) => x.type === 'password'))) return 'login';
  if (forms.some((f) => new URL(f.action).pathname.endsWith('/confirm'))) return 'confirm';
  const subs = forms.flatMap((f) => f.submitters.map(submitterLabel));
  if (subs.some((l) => DENY.test(l)) && subs.some((l) => ALLOW.test(l))) return 'consent';
  if (
    forms.some((f) => f.fields.some((x) => /account|user|sub/i.test(x.name)) || f.submitters.some((s) => /account|user|sub/i.test(s.name ?? ''))) &&
    subs.length > 1
  )
    return 'select_account';
  return status >= 400 ? 'error' : 'other';
}

export class UserAgent {
  readonly origin: string;
  /** name → value of cookies the server set (one origin, so no domain/path bookkeeping). */
  readonly cookies = new Map<string, string>();
  readonly maxSteps: number;
  /** Sent with every request (e.g. `X-Forwarded-For` to stand at another address behind `http.trustProxy`). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(serverUrl: string, opts: { maxSteps?: number; headers?: Readonly<Record<string, string>> } = {}) {
    this.origin = new URL(serverUrl).origin;
    this.maxSteps = opts.maxSteps ?? 20;
    this.headers = opts.headers ?? {};
  }

  private isOwn(url: string | URL): boolean {
    return new URL(url).origin === this.origin;
  }

  private store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      if (eq < 1) continue;
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => {
        const [k, v] = a.split('=').map((x) => x.trim());
        if (k!.toLowerCase() === 'max-age') return Number(v) <= 0;
        if (k!.toLowerCase() === 'expires') return Date.parse(v ?? '') < Date.now();
        return false;
      });
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  private cookieHeader(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** One request, no redirect following. Only the server's own origin is ever fetched. */
  async request(url: string | URL, init: { method?: 'GET' | 'POST'; body?: URLSearchParams; headers?: Record<string, string> } = {}): Promise<Response> {
    if (!this.isOwn(url)) throw new Error(`user agent refuses to fetch off-origin ${String(url)}`);
    const headers: Record<string, string> = { accept: 'text/html', ...this.headers, ...init.headers };
    const cookie = this.cookieHeader();
    if (cookie) headers['cookie'] = cookie;
    if (init.body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(url, { method: init.method ?? 'GET', headers, redirect: 'manual', ...(init.body ? { body: init.body } : {}) });
    this.store(res);
    return res;
  }

  /** Requests `url` and follows same-origin redirects until a page or an off-origin stop. */
  async navigate(url: string | URL, init: { method?: 'GET' | 'POST'; body?: URLSearchParams } = {}, trail: PageKind[] = []): Promise<Outcome> {
    let current = new URL(url);
    let res = await this.request(current, init);
    for (let i = 0; i < this.maxSteps && res.status >= 300 && res.status < 400; i++) {
      const location = res.headers.get('location');
      if (!location) break;
      await res.arrayBuffer();
      const next = new URL(location, current);
      if (!this.isOwn(next)) return { kind: 'redirect', url: next, trail };
      current = next;
      res = await this.request(current);
    }
    const html = await res.text();
    const forms = parseForms(html, current.href);
    const offsite = forms.find((f) => f.method === 'POST' && !this.isOwn(f.action));
    if (offsite && forms.length === 1) {
      return { kind: 'form_post', action: offsite.action, params: Object.fromEntries(formValues(offsite)), trail, html, headers: res.headers };
    }
    const page: Page = { url: current.href, status: res.status, html, text: textOf(html), forms, kind: classify(res.status, forms), headers: res.headers };
    return { kind: 'page', page, trail: [...trail, page.kind] };
  }

  /** Submits `form` as a browser would (with `submitter` and field `overrides`). */
  submit(form: HtmlForm, overrides: Readonly<Record<string, string>> = {}, submitter?: FormSubmitter, trail: PageKind[] = []): Promise<Outcome> {
    const values = formValues(form, overrides, submitter);
    if (form.method === 'GET') {
      const u = new URL(form.action);
      for (const [k, v] of values) u.searchParams.append(k, v);
      return this.navigate(u, {}, trail);
    }
    return this.navigate(form.action, { method: 'POST', body: values }, trail);
  }

  /** Fills the login form (the one with a password field) and submits it. */
  login(page: Page, username: string, password: string, trail: PageKind[] = []): Promise<Outcome> {
    const form = page.forms.find((f) => f.fields.some((x) => x.type === 'password'));
    if (!form) throw new Error(`no login form on ${page.url}: ${page.text.slice(0, 200)}`);
    const pw = form.fields.find((x) => x.type === 'password')!;
    const user =
      form.fields.find((x) => /user|login|email|name/i.test(x.name) && x.type !== 'hidden' && x.type !== 'password') ??
      form.fields.find((x) => ['text', 'email'].includes(x.type));
    if (!user) throw new Error(`no username field on ${page.url}`);
    const submitter = form.submitters.find((s) => !DENY.test(submitterLabel(s))) ?? form.submitters[0];
    return this.submit(form, { [user.name]: username, [pw.name]: password }, submitter, trail);
  }

  /** Presses the allow or deny button of the consent page (Continue or Cancel on the confirm page). */
  consent(page: Page, decision: 'allow' | 'deny', trail: PageKind[] = []): Promise<Outcome> {
    const want = decision === 'allow' ? ALLOW : DENY;
    const other = decision === 'allow' ? DENY : ALLOW;
    for (const form of page.forms) {
      const s = form.submitters.find((x) => want.test(submitterLabel(x)) && !other.test(submitterLabel(x)));
      if (s) return this.submit(form, {}, s, trail);
    }
    throw new Error(`no ${decision} button on ${page.url}: ${page.text.slice(0, 200)}`);
  }

  /** On the account chooser, picks the account whose form/button mentions `username` (or "another account" with null). */
  selectAccount(page: Page, username: string | null, trail: PageKind[] = []): Promise<Outcome> {
    const match = username === null ? /another|different|new|add/i : new RegExp(username.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
    for (const form of page.forms) {
      const s = form.submitters.find((x) => match.test(submitterLabel(x)));
      if (s) return this.submit(form, {}, s, trail);
      if (match.test(textOf(form.html)) && form.submitters.length <= 1) return this.submit(form, {}, form.submitters[0], trail);
    }
    throw new Error(`no account ${username ?? '(another)'} on ${page.url}: ${page.text.slice(0, 300)}`);
  }

  /**
   * Drives an authorization request to its end: signs in with `username`/`password` when the
   * login page appears, answers consent (and the confirm page) with `consent` (default allow),
   * picks `username` on the chooser. Returns the redirect / form_post outcome or the first page it cannot answer.
   */
  async authorize(url: string | URL, opts: { username?: string; password?: string; consent?: 'allow' | 'deny' } = {}): Promise<Outcome> {
    let out = await this.navigate(url);
    for (let i = 0; i < this.maxSteps && out.kind === 'page'; i++) {
      const { page, trail } = out;
      if (page.kind === 'login' && opts.username !== undefined && opts.password !== undefined)
        out = await this.login(page, opts.username, opts.password, [...trail]);
      else if (page.kind === 'consent' || page.kind === 'confirm') out = await this.consent(page, opts.consent ?? 'allow', [...trail]);
      else if (page.kind === 'select_account' && opts.username !== undefined) out = await this.selectAccount(page, opts.username, [...trail]);
      else return out;
      if (out.kind === 'page' && out.page.kind === 'login' && page.kind === 'login') return out; // sign-in refused: stop
    }
    return out;
  }
}

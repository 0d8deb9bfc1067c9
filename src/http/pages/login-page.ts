import { html } from './html.ts';
import { alert, button, field, form, layout, type Page, type PageKit } from './layout.ts';

/** Shown for a wrong username or a wrong password alike: it never says which (or whether the user exists). */
export const LOGIN_FAILED = 'The username or password is incorrect.';
/** Shown when the attempt limit is reached (same text whether or not the user exists). */
export const LOGIN_THROTTLED = 'Too many sign-in attempts. Please try again later.';
/** Shown when password checking is saturated (503): neutral, says nothing about the account. */
export const LOGIN_BUSY = 'Signing in is busy right now. Please try again shortly.';

export interface LoginPageData {
  readonly csrfToken: string;
  /** The sealed interaction, or null for the standalone sign-in (`return_to`). */
  readonly interaction: string | null;
  readonly returnTo: string | null;
  /** Client name ("to continue to …"), when signing in for an application. */
  readonly clientName: string | null;
  readonly username: string;
  readonly error: string | null;
  readonly status?: number;
  /** form-action sources: 'self' plus the origin of the client's redirect URI (cancel redirects there). */
  readonly formAction: readonly string[];
}

export function loginPage(kit: PageKit, d: LoginPageData): Page {
  const hidden: Record<string, string> = {};
  if (d.interaction !== null) hidden['interaction'] = d.interaction;
  if (d.returnTo !== null) hidden['return_to'] = d.returnTo;
  const focusPassword = d.username !== '';
  const main = html`<h1 id="title">Sign in</h1>
${d.clientName ? html`<p class="gh-muted">to continue to <strong>${d.clientName}</strong></p>` : ''}
${d.error ? alert(d.error) : ''}
${form({
  action: kit.url('/login'),
  csrfToken: d.csrfToken,
  hidden,
  label: 'Sign in',
  body: html`${field({ id: 'username', name: 'username', label: 'Username', value: d.username, autocomplete: 'username', autofocus: !focusPassword })}
${field({ id: 'password', name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', autofocus: focusPassword })}
<div class="gh-actions">
${button({ label: 'Sign in' })}
${d.interaction !== null ? button({ label: 'Cancel', name: 'action', value: 'cancel', kind: 'secondary', formnovalidate: true }) : ''}
</div>`,
})}`;
  return { status: d.status ?? 200, body: layout(kit, { title: 'Sign in', main }), formAction: d.formAction };
}

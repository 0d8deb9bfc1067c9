import { html } from './html.ts';
import { alert, button, field, form, layout, type Page, type PageKit } from './layout.ts';
import type { MessageKey } from './messages/catalogue.ts';

/** Shown for a wrong username or a wrong password alike: it never says which (or whether the user exists). */
export const LOGIN_FAILED: MessageKey = 'login.failed';
/** Shown when the attempt limit is reached (same text whether or not the user exists). */
export const LOGIN_THROTTLED: MessageKey = 'login.throttled';
/** Shown when password checking is saturated (503): neutral, says nothing about the account. */
export const LOGIN_BUSY: MessageKey = 'login.busy';
/** Shown when the username or the password is empty. */
export const LOGIN_INCOMPLETE: MessageKey = 'login.incomplete';

export interface LoginPageData {
  readonly csrfToken: string;
  /** The sealed interaction, or null for the standalone sign-in (`return_to`). */
  readonly interaction: string | null;
  readonly returnTo: string | null;
  /** Client name ("to continue to …"), when signing in for an application. */
  readonly clientName: string | null;
  readonly username: string;
  readonly error: MessageKey | null;
  readonly status?: number;
  /** form-action sources: 'self' plus the origin of the client's redirect URI (cancel redirects there). */
  readonly formAction: readonly string[];
}

export function loginPage(kit: PageKit, d: LoginPageData): Page {
  const hidden: Record<string, string> = {};
  if (d.interaction !== null) hidden['interaction'] = d.interaction;
  if (d.returnTo !== null) hidden['return_to'] = d.returnTo;
  const focusPassword = d.username !== '';
  const title = kit.text('login.title');
  const main = html`<h1 id="title">${title}</h1>
${d.clientName ? html`<p class="gh-muted">${kit.t('common.continueTo', { client: html`<strong>${d.clientName}</strong>` })}</p>` : ''}
${d.error ? alert(kit.text(d.error)) : ''}
${form({
  action: kit.url('/login'),
  csrfToken: d.csrfToken,
  hidden,
  label: title,
  body: html`${field({ id: 'username', name: 'username', label: kit.text('login.username'), value: d.username, autocomplete: 'username', autofocus: !focusPassword })}
${field({ id: 'password', name: 'password', label: kit.text('login.password'), type: 'password', autocomplete: 'current-password', autofocus: focusPassword })}
<div class="gh-actions">
${button({ label: kit.text('login.submit') })}
${d.interaction !== null ? button({ label: kit.text('common.cancel'), name: 'action', value: 'cancel', kind: 'secondary', formnovalidate: true }) : ''}
</div>`,
})}`;
  return { status: d.status ?? 200, body: layout(kit, { title, main }), formAction: d.formAction };
}

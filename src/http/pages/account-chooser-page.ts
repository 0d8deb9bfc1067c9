import { html } from './html.ts';
import { button, form, layout, type Page, type PageKit } from './layout.ts';

export interface ChooserAccount {
  /** The account's `sid` (public; identifies the account within this browser session). */
  readonly sid: string;
  readonly username: string;
  /** A second line (name or email), or null. */
  readonly detail: string | null;
}

export interface AccountChooserData {
  readonly csrfToken: string;
  readonly interaction: string;
  readonly clientName: string;
  readonly accounts: readonly ChooserAccount[];
  readonly formAction: readonly string[];
}

/** OIDC Core §3.1.2.1 prompt=select_account: the accounts of this browser, plus another account. */
export function accountChooserPage(kit: PageKit, d: AccountChooserData): Page {
  const title = kit.text('chooser.title');
  const main = html`<h1 id="title">${title}</h1>
<p class="gh-muted">${kit.t('common.continueTo', { client: html`<strong>${d.clientName}</strong>` })}</p>
${form({
  action: kit.url('/select-account'),
  csrfToken: d.csrfToken,
  hidden: { interaction: d.interaction },
  label: title,
  body: html`<ul class="gh-accounts">
${d.accounts.map(
  (a, i) => html`<li><button type="submit" class="gh-account" name="account" value="${a.sid}"${i === 0 ? html` autofocus` : ''}>
<span class="gh-account-name">${a.username}</span>${a.detail ? html`<span class="gh-account-detail">${a.detail}</span>` : ''}
</button></li>`,
)}
</ul>
<div class="gh-actions">
${button({ label: kit.text('common.useAnotherAccount'), name: 'action', value: 'login', kind: 'secondary' })}
</div>`,
})}`;
  return { status: 200, body: layout(kit, { title, main }), formAction: d.formAction };
}

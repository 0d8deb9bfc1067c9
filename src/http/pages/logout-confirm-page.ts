import { html } from './html.ts';
import { button, form, layout, type Page, type PageKit } from './layout.ts';

/** The field the confirmation form's buttons send (`yes` signs out, `no` stays signed in). */
export const LOGOUT_DECISION_FIELD = 'gh_logout';

export interface LogoutConfirmPageData {
  readonly csrfToken: string;
  /** The logout request's own parameters, carried through the form and validated again on POST. */
  readonly params: Readonly<Record<string, string>>;
  /** The RP that asked, when identified. */
  readonly clientName: string | null;
  /** Usernames signed in to this browser session. */
  readonly usernames: readonly string[];
  readonly formAction: readonly string[];
}

/**
 * RP-Initiated Logout §2: "the OP MUST ask the End-User this question if an id_token_hint was not
 * provided or if the supplied ID Token does not belong to the current OP session". A POST form
 * with a CSRF token, so another site cannot sign the person out by itself.
 */
export function logoutConfirmPage(kit: PageKit, d: LogoutConfirmPageData): Page {
  const product = kit.productName;
  const title = kit.text('logout.confirmTitle', { product });
  const main = html`<h1 id="title">${title}</h1>
${d.clientName ? html`<p>${kit.t('logout.askedBy', { client: html`<strong>${d.clientName}</strong>` })}</p>` : ''}
${
  d.usernames.length === 1
    ? html`<p class="gh-muted">${kit.t('common.signedInAs', { user: html`<strong>${d.usernames[0]}</strong>` })}</p>`
    : d.usernames.length > 1
      ? html`<p id="accounts-intro" class="gh-muted">${kit.t('logout.signedInAsList')}</p><ul class="gh-list" aria-labelledby="accounts-intro">${d.usernames.map((u) => html`<li><strong>${u}</strong></li>`)}</ul>`
      : ''
}
<p>${kit.t(d.usernames.length > 1 ? 'logout.explainAll' : 'logout.explainOne', { product })}</p>
${form({
  action: kit.url('/end_session'),
  csrfToken: d.csrfToken,
  hidden: d.params,
  label: kit.text('logout.submit'),
  body: html`<div class="gh-actions">
${button({ label: kit.text('logout.submit'), name: LOGOUT_DECISION_FIELD, value: 'yes', autofocus: true })}
${button({ label: kit.text('logout.stay'), name: LOGOUT_DECISION_FIELD, value: 'no', kind: 'secondary' })}
</div>`,
})}`;
  return { status: 200, body: layout(kit, { title, main }), formAction: d.formAction };
}

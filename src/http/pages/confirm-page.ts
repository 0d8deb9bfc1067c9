import { html } from './html.ts';
import { button, form, layout, type Page, type PageKit } from './layout.ts';

export interface ConfirmPageData {
  readonly csrfToken: string;
  readonly interaction: string;
  readonly clientName: string;
  /** Host of the redirect URI (or the app's URI scheme), so the person knows where they go. */
  readonly redirectHost: string;
  readonly username: string;
  readonly formAction: readonly string[];
}

/**
 * RFC 8252 §8.6: a first-party app whose identity cannot be proven (loopback or private-use
 * redirect URI) is not authorized without an interaction, even though it needs no consent text.
 * One click: Continue as the signed-in account, or Cancel (access_denied to the client).
 */
export function confirmPage(kit: PageKit, d: ConfirmPageData): Page {
  const title = kit.text('confirm.title');
  const main = html`<h1 id="title">${kit.t('confirm.heading', { client: html`<strong>${d.clientName}</strong>` })}</h1>
<p class="gh-muted">${kit.t('common.signedInAs', { user: html`<strong>${d.username}</strong>` })}</p>
<p>${kit.t('confirm.warning', { client: d.clientName, host: html`<strong>${d.redirectHost}</strong>` })}</p>
${form({
  action: kit.url('/confirm'),
  csrfToken: d.csrfToken,
  hidden: { interaction: d.interaction },
  label: title,
  body: html`<div class="gh-actions">
${button({ label: kit.text('confirm.continueAs', { user: d.username }), name: 'decision', value: 'continue', autofocus: true })}
${button({ label: kit.text('common.cancel'), name: 'decision', value: 'cancel', kind: 'secondary' })}
</div>`,
})}`;
  return { status: 200, body: layout(kit, { title, main }), formAction: d.formAction };
}

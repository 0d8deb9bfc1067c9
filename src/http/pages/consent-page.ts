import { html } from './html.ts';
import { button, form, layout, type Page, type PageKit } from './layout.ts';
import { describeScope, extraClaimWords } from './scope-words.ts';
import type { ClaimsRequest } from '../../core/model/authorization-code.ts';

export interface ConsentPageData {
  readonly csrfToken: string;
  readonly interaction: string;
  readonly clientName: string;
  /** Host of the redirect URI, so the person knows where they will be sent. */
  readonly redirectHost: string;
  readonly username: string;
  readonly scope: readonly string[];
  readonly claims: ClaimsRequest | null;
  readonly formAction: readonly string[];
  /**
   * The host of a client known only by its metadata document (draft-ietf-oauth-client-id-metadata-
   * document): nobody registered it, so the page says where it comes from.
   */
  readonly documentHost?: string | null;
}

/** OIDC Core §3.1.2.4: the consent page, in plain words; Allow / Deny. */
export function consentPage(kit: PageKit, d: ConsentPageData): Page {
  const scopeWords = [...new Set(d.scope.map((s) => describeScope(kit, s)))];
  const claimWords = extraClaimWords(kit, d.scope, d.claims);
  const main = html`<h1 id="title">${kit.t('consent.heading', { client: html`<strong>${d.clientName}</strong>` })}</h1>
<p class="gh-muted">${kit.t('common.signedInAs', { user: html`<strong>${d.username}</strong>` })}</p>
${d.documentHost ? html`<p id="client-host" class="gh-alert">${kit.t('consent.metadataDocument', { host: html`<strong>${d.documentHost}</strong>` })}</p>` : ''}
${
  scopeWords.length
    ? html`<p id="scopes-intro">${kit.t('common.scopesIntro', { client: d.clientName })}</p>
<ul class="gh-list" aria-labelledby="scopes-intro">${scopeWords.map((w) => html`<li>${w}</li>`)}</ul>`
    : ''
}
${
  claimWords.length
    ? html`<p id="claims-intro">${kit.t('consent.claimsIntro')}</p>
<ul class="gh-list" aria-labelledby="claims-intro">${claimWords.map((w) => html`<li>${w}</li>`)}</ul>`
    : ''
}
<p class="gh-muted">${kit.t('consent.returnTo', { host: html`<strong>${d.redirectHost}</strong>` })}</p>
${form({
  action: kit.url('/consent'),
  csrfToken: d.csrfToken,
  hidden: { interaction: d.interaction },
  label: kit.text('consent.formLabel'),
  body: html`<div class="gh-actions">
${button({ label: kit.text('common.allow'), name: 'decision', value: 'allow', autofocus: true })}
${button({ label: kit.text('common.deny'), name: 'decision', value: 'deny', kind: 'secondary' })}
</div>`,
})}`;
  return { status: 200, body: layout(kit, { title: kit.text('consent.title'), main }), formAction: d.formAction };
}

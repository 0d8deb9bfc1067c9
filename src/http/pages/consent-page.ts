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
}

/** OIDC Core §3.1.2.4: the consent page, in plain words; Allow / Deny. */
export function consentPage(kit: PageKit, d: ConsentPageData): Page {
  const scopeWords = [...new Set(d.scope.map((s) => describeScope(s, kit.scopeDescriptions)))];
  const claimWords = extraClaimWords(d.scope, d.claims);
  const main = html`<h1 id="title"><strong>${d.clientName}</strong> wants to access your account</h1>
<p class="gh-muted">Signed in as <strong>${d.username}</strong></p>
${
  scopeWords.length
    ? html`<p id="scopes-intro">This will allow ${d.clientName} to use:</p>
<ul class="gh-list" aria-labelledby="scopes-intro">${scopeWords.map((w) => html`<li>${w}</li>`)}</ul>`
    : ''
}
${
  claimWords.length
    ? html`<p id="claims-intro">It also asks for:</p>
<ul class="gh-list" aria-labelledby="claims-intro">${claimWords.map((w) => html`<li>${w}</li>`)}</ul>`
    : ''
}
<p class="gh-muted">Either way you will return to <strong>${d.redirectHost}</strong>.</p>
${form({
  action: kit.url('/consent'),
  csrfToken: d.csrfToken,
  hidden: { interaction: d.interaction },
  label: 'Consent',
  body: html`<div class="gh-actions">
${button({ label: 'Allow', name: 'decision', value: 'allow', autofocus: true })}
${button({ label: 'Deny', name: 'decision', value: 'deny', kind: 'secondary' })}
</div>`,
})}`;
  return { status: 200, body: layout(kit, { title: 'Allow access', main }), formAction: d.formAction };
}

import { cspSourceFor } from '../plugins/security-headers.ts';
import { html } from './html.ts';
import { layout, type Page, type PageKit } from './layout.ts';

/**
 * OAuth 2.0 Form Post Response Mode §2: "the Authorization Server [...] returns an HTML form to
 * the User Agent that auto-submits [...] the Authorization Response parameters [...] using the
 * HTTP POST method to the Client's redirection endpoint". The submit runs from the same-origin
 * /assets/form-post.js (no inline script); without JavaScript a Continue button is shown.
 */
export function formPostPage(kit: PageKit, redirectUri: string, params: Readonly<Record<string, string>>): Page {
  const main = html`<h1 id="title">${kit.t('formPost.heading')}</h1>
<form id="gh-form-post" method="post" action="${redirectUri}">
${Object.entries(params).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
<noscript>
<p>${kit.t('formPost.noscript')}</p>
<div class="gh-actions"><button type="submit" class="gh-button gh-button-primary">${kit.t('common.continue')}</button></div>
</noscript>
</form>`;
  const source = cspSourceFor(redirectUri);
  return {
    status: 200,
    body: layout(kit, { title: kit.text('formPost.title'), main, scripts: [kit.assets.formPost] }),
    formAction: source ? [source] : [],
  };
}

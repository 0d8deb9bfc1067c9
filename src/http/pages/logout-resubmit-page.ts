import { html } from './html.ts';
import { layout, type Page, type PageKit } from './layout.ts';

/** Marks the resubmitted request, so a browser without a session is not bounced twice. */
export const LOGOUT_RESUBMIT_FIELD = 'gh_resubmit';

/**
 * RP-Initiated Logout §2 lets an RP POST the logout request. A cross-site POST arrives without
 * the session cookie (SameSite=Lax), so the server cannot tell whether this browser is signed in.
 * This page posts the same parameters again from our own origin — a same-site request that
 * carries the cookie — through the same-origin /assets/form-post.js (no inline script); without
 * JavaScript a Continue button is shown. The parameters are validated again on arrival.
 */
export function logoutResubmitPage(kit: PageKit, params: Readonly<Record<string, string>>, formAction: readonly string[]): Page {
  const main = html`<h1 id="title">${kit.t('logout.resubmitHeading')}</h1>
<form id="gh-form-post" method="post" action="${kit.url('/end_session')}">
${Object.entries(params).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
<input type="hidden" name="${LOGOUT_RESUBMIT_FIELD}" value="1">
<noscript>
<p>${kit.t('logout.resubmitNoscript')}</p>
<div class="gh-actions"><button type="submit" class="gh-button gh-button-primary">${kit.t('common.continue')}</button></div>
</noscript>
</form>`;
  return { status: 200, body: layout(kit, { title: kit.text('logout.resubmitTitle'), main, scripts: [kit.assets.formPost] }), formAction };
}

import { html } from './html.ts';
import { button, form, layout, type Page, type PageKit } from './layout.ts';
import { describeScope } from './scope-words.ts';

export interface DeviceConfirmPageData {
  readonly csrfToken: string;
  /** The code as shown on the device (`XXXX-XXXX`), so the person can check it matches. */
  readonly userCode: string;
  readonly clientName: string;
  readonly username: string;
  readonly scope: readonly string[];
}

/**
 * RFC 8628 §5.4 (remote phishing): the page names the application and repeats the code, so a
 * person who was sent a code by someone else sees what they would connect. Allow / Deny.
 */
export function deviceConfirmPage(kit: PageKit, d: DeviceConfirmPageData): Page {
  const words = [...new Set(d.scope.map((s) => describeScope(s, kit.scopeDescriptions)))];
  const main = html`<h1 id="title">Connect <strong>${d.clientName}</strong>?</h1>
<p class="gh-muted">Signed in as <strong>${d.username}</strong> · <a href="${kit.url(`/login?${new URLSearchParams({ return_to: `/device?${new URLSearchParams({ user_code: d.userCode })}` })}`)}">Use another account</a></p>
<p>Check that your device shows the code <strong class="gh-code">${d.userCode}</strong>. Only continue if you started this on your own device.</p>
${
  words.length
    ? html`<p id="scopes-intro">This will allow ${d.clientName} to use:</p>
<ul class="gh-list" aria-labelledby="scopes-intro">${words.map((w) => html`<li>${w}</li>`)}</ul>`
    : ''
}
${form({
  action: kit.url('/device'),
  csrfToken: d.csrfToken,
  hidden: { user_code: d.userCode },
  label: 'Connect the device',
  body: html`<div class="gh-actions">
${button({ label: 'Allow', name: 'decision', value: 'allow', autofocus: true })}
${button({ label: 'Deny', name: 'decision', value: 'deny', kind: 'secondary' })}
</div>`,
})}`;
  return { status: 200, body: layout(kit, { title: 'Connect a device', main }), formAction: ["'self'"] };
}

/** RFC 8628 §3.3: the interaction is over; the device learns the outcome by polling. */
export function deviceDonePage(kit: PageKit, d: { readonly approved: boolean; readonly clientName: string }): Page {
  const title = d.approved ? 'Device connected' : 'Access denied';
  const main = d.approved
    ? html`<h1 id="title">${title}</h1>
<p><strong>${d.clientName}</strong> is now connected to your account. You can return to your device.</p>`
    : html`<h1 id="title">${title}</h1>
<p><strong>${d.clientName}</strong> was not connected. You can close this page.</p>`;
  return { status: 200, body: layout(kit, { title, main }), formAction: [] };
}

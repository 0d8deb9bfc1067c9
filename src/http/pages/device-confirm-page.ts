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
  const words = [...new Set(d.scope.map((s) => describeScope(kit, s)))];
  const another = kit.url(`/login?${new URLSearchParams({ return_to: `/device?${new URLSearchParams({ user_code: d.userCode })}` })}`);
  const main = html`<h1 id="title">${kit.t('device.confirmHeading', { client: html`<strong>${d.clientName}</strong>` })}</h1>
<p class="gh-muted">${kit.t('common.signedInAs', { user: html`<strong>${d.username}</strong>` })} · <a href="${another}">${kit.t('common.useAnotherAccount')}</a></p>
<p>${kit.t('device.checkCode', { code: html`<strong class="gh-code">${d.userCode}</strong>` })}</p>
${
  words.length
    ? html`<p id="scopes-intro">${kit.t('common.scopesIntro', { client: d.clientName })}</p>
<ul class="gh-list" aria-labelledby="scopes-intro">${words.map((w) => html`<li>${w}</li>`)}</ul>`
    : ''
}
${form({
  action: kit.url('/device'),
  csrfToken: d.csrfToken,
  hidden: { user_code: d.userCode },
  label: kit.text('device.confirmFormLabel'),
  body: html`<div class="gh-actions">
${button({ label: kit.text('common.allow'), name: 'decision', value: 'allow', autofocus: true })}
${button({ label: kit.text('common.deny'), name: 'decision', value: 'deny', kind: 'secondary' })}
</div>`,
})}`;
  return { status: 200, body: layout(kit, { title: kit.text('device.title'), main }), formAction: ["'self'"] };
}

/** RFC 8628 §3.3: the interaction is over; the device learns the outcome by polling. */
export function deviceDonePage(kit: PageKit, d: { readonly approved: boolean; readonly clientName: string }): Page {
  const title = kit.text(d.approved ? 'device.connectedTitle' : 'device.deniedTitle');
  const client = html`<strong>${d.clientName}</strong>`;
  const main = html`<h1 id="title">${title}</h1>
<p>${kit.t(d.approved ? 'device.connectedBody' : 'device.deniedBody', { client })}</p>`;
  return { status: 200, body: layout(kit, { title, main }), formAction: [] };
}

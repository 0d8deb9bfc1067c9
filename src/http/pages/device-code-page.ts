import { html } from './html.ts';
import { alert, button, field, form, layout, type Page, type PageKit } from './layout.ts';
import type { MessageKey } from './messages/catalogue.ts';

/** One neutral text for unknown, mistyped, expired and already used codes (RFC 8628 §5.1). */
export const DEVICE_CODE_INVALID: MessageKey = 'device.invalid';
/** Shown when the per-address attempt limit is reached (RFC 8628 §5.1 brute force). */
export const DEVICE_CODE_THROTTLED: MessageKey = 'device.throttled';

export interface DeviceCodePageData {
  readonly csrfToken: string;
  /** Prefilled from `verification_uri_complete` or the previous attempt. */
  readonly userCode: string;
  /** Who is signed in, or null (the person signs in after entering the code). */
  readonly username: string | null;
  readonly error: MessageKey | null;
  readonly status?: number;
}

/**
 * RFC 8628 §3.3: "the end user [...] is prompted to enter the user code". The code is typed
 * (or prefilled by verification_uri_complete, §3.3.1) and confirmed on the next page.
 */
export function deviceCodePage(kit: PageKit, d: DeviceCodePageData): Page {
  const title = kit.text('device.title');
  const main = html`<h1 id="title">${title}</h1>
<p id="code-help">${kit.t('device.codeHelp')}</p>
${d.username ? html`<p class="gh-muted">${kit.t('common.signedInAs', { user: html`<strong>${d.username}</strong>` })}</p>` : ''}
${d.error ? alert(kit.text(d.error)) : ''}
${form({
  action: kit.url('/device'),
  csrfToken: d.csrfToken,
  hidden: { action: 'continue' },
  label: kit.text('device.formLabel'),
  body: html`${field({
    id: 'user_code',
    name: 'user_code',
    label: kit.text('device.codeLabel'),
    value: d.userCode,
    autocomplete: 'one-time-code',
    autofocus: true,
    describedBy: 'code-help',
  })}
<div class="gh-actions">
${button({ label: kit.text('common.continue') })}
</div>`,
})}`;
  return { status: d.status ?? 200, body: layout(kit, { title, main }), formAction: ["'self'"] };
}

import { html } from './html.ts';
import { alert, button, field, form, layout, type Page, type PageKit } from './layout.ts';

/** One neutral text for unknown, mistyped, expired and already used codes (RFC 8628 §5.1). */
export const DEVICE_CODE_INVALID = 'That code is not valid. Check the code shown on your device and try again; codes expire after a few minutes.';
/** Shown when the per-address attempt limit is reached (RFC 8628 §5.1 brute force). */
export const DEVICE_CODE_THROTTLED = 'Too many attempts. Please wait a minute and try again.';

export interface DeviceCodePageData {
  readonly csrfToken: string;
  /** Prefilled from `verification_uri_complete` or the previous attempt. */
  readonly userCode: string;
  /** Who is signed in, or null (the person signs in after entering the code). */
  readonly username: string | null;
  readonly error: string | null;
  readonly status?: number;
}

/**
 * RFC 8628 §3.3: "the end user [...] is prompted to enter the user code". The code is typed
 * (or prefilled by verification_uri_complete, §3.3.1) and confirmed on the next page.
 */
export function deviceCodePage(kit: PageKit, d: DeviceCodePageData): Page {
  const main = html`<h1 id="title">Connect a device</h1>
<p id="code-help">Enter the code shown on your TV, console or other device.</p>
${d.username ? html`<p class="gh-muted">Signed in as <strong>${d.username}</strong></p>` : ''}
${d.error ? alert(d.error) : ''}
${form({
  action: kit.url('/device'),
  csrfToken: d.csrfToken,
  hidden: { action: 'continue' },
  label: 'Device code',
  body: html`${field({
    id: 'user_code',
    name: 'user_code',
    label: 'Code',
    value: d.userCode,
    autocomplete: 'one-time-code',
    autofocus: true,
    describedBy: 'code-help',
  })}
<div class="gh-actions">
${button({ label: 'Continue' })}
</div>`,
})}`;
  return { status: d.status ?? 200, body: layout(kit, { title: 'Connect a device', main }), formAction: ["'self'"] };
}

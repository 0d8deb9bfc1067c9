import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { OAuthError } from '../../core/errors.ts';
import { loadPageAssets } from '../assets/page-assets.ts';
import { accountChooserPage } from './account-chooser-page.ts';
import { confirmPage } from './confirm-page.ts';
import { consentPage } from './consent-page.ts';
import { deviceCodePage } from './device-code-page.ts';
import { deviceConfirmPage, deviceDonePage } from './device-confirm-page.ts';
import { csrfErrorPage, errorPage, oauthErrorPage } from './error-page.ts';
import { formPostPage } from './form-post-page.ts';
import { createPageKit, type PageKit } from './layout.ts';
import { loginPage } from './login-page.ts';
import { logoutConfirmPage } from './logout-confirm-page.ts';
import { signedOutPage, stillSignedInPage } from './logout-done-page.ts';
import { logoutResubmitPage } from './logout-resubmit-page.ts';

const theme = { productName: 'Zentrale', primaryColor: '#1d4ed8', backgroundColor: '#f4f6fb' };
const common = { csrfToken: 't', interaction: 'i', clientName: 'Zeta', formAction: ["'self'"], redirectHost: 'zeta.example', username: 'ute' };

/** Every page with every optional part shown (errors, lists, links), as its route renders it. */
function everyPage(kit: PageKit): Record<string, string> {
  const claims = { userinfo: { phone_number: null, x_custom: null } };
  return {
    login: loginPage(kit, { ...common, returnTo: null, error: 'login.failed' }).body,
    chooser: accountChooserPage(kit, { ...common, accounts: [{ sid: 's', username: 'ute', detail: null }] }).body,
    consent: consentPage(kit, { ...common, scope: ['openid', 'email', 'x.read'], claims }).body,
    confirm: confirmPage(kit, common).body,
    deviceCode: deviceCodePage(kit, { csrfToken: 't', userCode: '', username: 'ute', error: 'device.invalid' }).body,
    deviceConfirm: deviceConfirmPage(kit, { csrfToken: 't', userCode: 'BCDF-GHJK', clientName: 'Zeta', username: 'ute', scope: ['profile'] }).body,
    deviceDone: deviceDonePage(kit, { approved: true, clientName: 'Zeta' }).body,
    deviceDenied: deviceDonePage(kit, { approved: false, clientName: 'Zeta' }).body,
    error: errorPage(kit, { code: 'interaction_expired', title: 'error.interactionExpiredTitle', message: 'error.startAgain', status: 400 }).body,
    oauthError: oauthErrorPage(kit, OAuthError.accessDenied()).body,
    csrf: csrfErrorPage(kit).body,
    formPost: formPostPage(kit, 'https://zeta.example/cb', { code: 'c' }).body,
    logoutConfirm: logoutConfirmPage(kit, { csrfToken: 't', params: {}, clientName: 'Zeta', usernames: ['ute', 'udo'], formAction: ["'self'"] }).body,
    signedOut: signedOutPage(kit, {
      frontchannel: [{ clientId: 'z', url: 'https://zeta.example/fc', origin: 'https://zeta.example' }],
      continueTo: 'https://zeta.example/',
      clientName: 'Zeta',
    }).body,
    stillSignedIn: stillSignedInPage(kit).body,
    resubmit: logoutResubmitPage(kit, { state: 's' }, ["'self'"]).body,
  };
}

/** Visible text and the attributes people read (title, aria-label), without the test's own names. */
function readable(html: string): string {
  const attrs = Array.from(html.matchAll(/\s(?:title|aria-label)="([^"]*)"/g), (m) => m[1]).join(' ');
  const text = html.replace(/<span lang="en">[^<]*<\/span>/g, '').replace(/<[^>]+>/g, ' ');
  return `${text} ${attrs}`.replace(/\b(Zeta|Zentrale|ute|udo|zeta\.example|BCDF-GHJK|x\.read|x_custom|JavaScript)\b/g, ' ');
}

/** Common words of the English texts that are no word of German, French or Spanish ("code", "error" and "page" are, so they are not probed). */
const ENGLISH = /\b(the|your|you|and|to|of|is|sign|signed|continue|allow|deny|cancel|account|device|password|username|close|access)\b/i;

describe('no English on a page in another language', () => {
  let kits: PageKit;
  before(async () => {
    kits = createPageKit({ issuer: 'https://id.example', theme }, await loadPageAssets({ theme }));
  });

  test('the English pages are caught by the probe (the check itself works)', () => {
    for (const [name, html] of Object.entries(everyPage(kits.forLocale('en')))) assert.match(readable(html), ENGLISH, name);
  });

  for (const locale of ['de', 'fr', 'es']) {
    test(`${locale}: every page, every optional part, <html lang="${locale}">`, () => {
      const kit = kits.forLocale(locale);
      assert.equal(kit.lang, locale);
      for (const [name, html] of Object.entries(everyPage(kit))) {
        assert.match(html, new RegExp(`<html lang="${locale}">`), name);
        const hit = ENGLISH.exec(readable(html));
        assert.equal(hit, null, `${locale} ${name}: English word "${hit?.[0]}" in: ${readable(html).replace(/\s+/g, ' ').slice(0, 400)}`);
      }
    });
  }
});

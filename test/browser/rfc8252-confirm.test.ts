/**
 * RFC 8252 §8.6 in real Chromium: a first-party native app (public client, loopback redirect URI)
 * is never authorized silently; after the first sign-in, each request shows the one-click
 * "Continue as …" page. Keyboard only: Continue has focus, Tab reaches Cancel. A console error or
 * a CSP violation (no inline script or style) fails the test.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { focused, launchBrowser, waitForExpression, waitForFocus, type Chromium, type Tab } from '../support/browser.ts';
import { startBrowserSite, type BrowserSite } from '../support/browser-site.ts';
import { createTestClient } from '../support/server.ts';

const PASSWORD = 'native-app-browser-pw';
const APP_NAME = 'First-Party Native App';

describe('RFC 8252 §8.6 the Continue page of a first-party native app in Chromium (whole server)', () => {
  let site: BrowserSite;
  let chromium: Chromium | { skip: string };
  let alice: string;
  let appId: string;
  before(async () => {
    chromium = await launchBrowser();
    site = await startBrowserSite();
    alice = await site.addUser('alice', PASSWORD, 'Alice Example');
    ({ client_id: appId } = await createTestClient(site.server.gh, {
      client_name: APP_NAME,
      application_type: 'native',
      first_party: true,
      token_endpoint_auth_method: 'none',
      redirect_uris: [site.rp.redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      scope: 'openid profile',
    }));
  });
  after(async () => {
    if ('browser' in chromium) await chromium.close();
    await site.close();
  });

  async function withTab(name: string, fn: (tab: Tab) => Promise<void>): Promise<void> {
    if ('skip' in chromium) throw new Error('unreachable');
    const tab = await chromium.open(name);
    try {
      await fn(tab);
      tab.assertClean();
    } finally {
      await tab.close();
    }
  }

  /** First request: keyboard sign-in, which is this request's interaction (no Continue page). */
  async function signInByKeyboard(page: Page): Promise<void> {
    await page.goto(site.authorizeUrl({ client_id: appId, state: 'first' }));
    await waitForFocus(page, 'username');
    await page.keyboard.type('alice');
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await Promise.all([page.waitForURL(`${site.rp.origin}/**`), page.keyboard.press('Enter')]);
    assert.equal(new URL(page.url()).searchParams.get('state'), 'first', 'a sign-in needs no extra click');
  }

  /** A later request stops at the Continue page, with Continue focused. */
  async function continuePage(page: Page, state: string): Promise<void> {
    await page.goto(site.authorizeUrl({ client_id: appId, state }));
    await page.getByRole('heading', { name: `Continue to ${APP_NAME}?` }).waitFor();
    await waitForExpression(page, "document.activeElement && document.activeElement.tagName === 'BUTTON'");
    const f = await focused(page);
    assert.equal(f.text, 'Continue as alice', 'Continue has focus');
    assert.notEqual(f.outline, 'none', 'focus is visible');
  }

  test('RFC 8252 §8.6 keyboard only: Enter on the focused Continue returns a code for the signed-in account', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    await withTab('rfc8252-continue', async ({ page, shot }) => {
      await signInByKeyboard(page);
      await continuePage(page, 'again');
      assert.match(await page.locator('main').innerText(), /Signed in as alice/);
      await shot('continue');
      await Promise.all([page.waitForURL(`${site.rp.origin}/**`), page.keyboard.press('Enter')]);
      const cb = new URL(page.url());
      assert.equal(cb.searchParams.get('state'), 'again');
      assert.equal(cb.searchParams.get('iss'), site.url);
      assert.equal((await site.redeem(cb.searchParams.get('code')!, appId))['sub'], alice);
    });
  });

  test('RFC 8252 §8.6 keyboard only: Tab to Cancel, Enter returns access_denied', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    await withTab('rfc8252-cancel', async ({ page }) => {
      await signInByKeyboard(page);
      await continuePage(page, 'cancel-me');
      await page.keyboard.press('Tab');
      assert.equal((await focused(page)).text, 'Cancel');
      await Promise.all([page.waitForURL(`${site.rp.origin}/**`), page.keyboard.press('Enter')]);
      const cb = new URL(page.url());
      assert.equal(cb.searchParams.get('error'), 'access_denied');
      assert.equal(cb.searchParams.get('state'), 'cancel-me');
      assert.equal(cb.searchParams.get('iss'), site.url);
      assert.equal(cb.searchParams.get('code'), null);
    });
  });
});

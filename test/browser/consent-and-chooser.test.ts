import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, waitForExpression, waitForFocusedText, withTab, type Chromium } from '../support/browser.ts';
import { CLIENT_NAME, startBrowserSite, type BrowserSite } from '../support/browser-site.ts';

async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Sign in' }).click()]);
}

/** Presses Allow when the consent page shows; resolves once the browser is at the client. */
async function allowIfAsked(page: Page, clientOrigin: string): Promise<void> {
  const consent = page.getByRole('button', { name: 'Allow' });
  await Promise.race([page.waitForURL(`${clientOrigin}/**`), consent.waitFor()]);
  if (!page.url().startsWith(clientOrigin)) await Promise.all([page.waitForURL(`${clientOrigin}/**`), consent.click()]);
}

describe('consent, account chooser and form_post in Chromium (whole server)', () => {
  let site: BrowserSite;
  let chromium: Chromium | { skip: string };
  let ids: { alice: string; bob: string };
  before(async () => {
    chromium = await launchBrowser();
    site = await startBrowserSite();
    ids = { alice: await site.addUser('alice', 'alice-secret-pw', 'Alice Example'), bob: await site.addUser('bob', 'bob-secret-pw', 'Bob Builder') };
  });
  after(async () => {
    if ('browser' in chromium) await chromium.close();
    await site.close();
  });

  test('OIDC Core §3.1.2.4 consent lists the scopes in plain words; Allow returns a code', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    await withTab(chromium, 'consent-allow', async ({ page, shot }) => {
      const claims = JSON.stringify({ userinfo: { birthdate: { essential: true } }, id_token: { email: null } });
      // OIDC Core §11: offline_access counts only with prompt=consent.
      await page.goto(site.authorizeUrl({ scope: 'openid email profile offline_access', state: 'c1', claims, prompt: 'consent' }));
      await signIn(page, 'alice', 'alice-secret-pw');
      await page.getByRole('heading', { name: `${CLIENT_NAME} wants to access your account` }).waitFor();
      const items = await page.getByRole('listitem').allInnerTexts();
      assert.deepEqual(
        items,
        [
          'Confirm your identity with your account',
          'Your email address and whether it is verified',
          'Your basic profile: name, nickname, picture, website, gender, birth date, time zone and language',
          'Keep this access when you are not using the application',
        ],
        'birthdate and email are covered by the profile and email scopes',
      );
      await waitForFocusedText(page, 'Allow');
      await shot('consent');
      await Promise.all([page.waitForURL(`${site.rp.origin}/**`), page.getByRole('button', { name: 'Allow' }).click()]);
      const cb = new URL(page.url());
      assert.equal(cb.searchParams.get('state'), 'c1');
      assert.equal((await site.redeem(cb.searchParams.get('code')!))['sub'], ids.alice);
    });
  });

  test('claims beyond the scopes are listed too; Deny returns access_denied', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    await withTab(chromium, 'consent-deny', async ({ page, shot }) => {
      const claims = JSON.stringify({ userinfo: { phone_number: null, email_verified: null } });
      await page.goto(site.authorizeUrl({ scope: 'openid address', state: 'c2', claims, prompt: 'consent' }));
      await signIn(page, 'bob', 'bob-secret-pw');
      await page.getByText('It also asks for:').waitFor();
      const text = await page.locator('main').innerText();
      assert.match(text, /Your postal address/);
      assert.match(text, /Your phone number\n/);
      assert.match(text, /Whether your email address is verified/);
      await shot('consent-claims');
      await Promise.all([page.waitForURL(`${site.rp.origin}/**`), page.getByRole('button', { name: 'Deny' }).click()]);
      const cb = new URL(page.url());
      assert.equal(cb.searchParams.get('error'), 'access_denied');
      assert.equal(cb.searchParams.get('state'), 'c2');
      assert.equal(cb.searchParams.get('iss'), site.url);
    });
  });

  test('account chooser with two accounts: pick one, or use another account', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    await withTab(chromium, 'chooser', async ({ page, shot }) => {
      await page.goto(site.authorizeUrl());
      await signIn(page, 'alice', 'alice-secret-pw');
      await allowIfAsked(page, site.rp.origin);
      await page.goto(site.authorizeUrl({ prompt: 'login' }));
      await signIn(page, 'bob', 'bob-secret-pw');
      await allowIfAsked(page, site.rp.origin);
      await page.goto(site.authorizeUrl({ prompt: 'select_account', state: 'pick' }));
      await page.getByRole('heading', { name: 'Choose an account' }).waitFor();
      const accounts = await page.locator('button.gh-account').allInnerTexts();
      assert.deepEqual(
        accounts.map((a) => a.replace(/\s+/g, ' ').trim()),
        ['bob Bob Builder', 'alice Alice Example'],
        'most recent first',
      );
      await shot('chooser');
      // Keyboard: the first account has focus; Tab moves to the second, Enter picks it.
      await waitForExpression(page, "document.activeElement && document.activeElement.classList.contains('gh-account')");
      await page.keyboard.press('Tab');
      await Promise.all([page.waitForLoadState('load'), page.keyboard.press('Enter')]);
      // RFC 8252 §8.6: a public client on a loopback redirect is asked again (Allow has focus).
      await page.getByRole('heading', { name: `${CLIENT_NAME} wants to access your account` }).waitFor();
      await waitForFocusedText(page, 'Allow');
      await Promise.all([page.waitForURL(`${site.rp.origin}/**`), page.keyboard.press('Enter')]);
      const cb = new URL(page.url());
      assert.equal(cb.searchParams.get('state'), 'pick');
      assert.equal((await site.redeem(cb.searchParams.get('code')!))['sub'], ids.alice, 'alice was chosen');
      await page.goto(site.authorizeUrl({ prompt: 'select_account' }));
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Use another account' }).click()]);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    });
  });

  test('OAuth 2.0 Form Post Response Mode: the page posts the response to the redirect_uri by itself', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    await withTab(chromium, 'form-post', async ({ page }) => {
      const before = site.rp.hits.length;
      await page.goto(site.authorizeUrl({ response_mode: 'form_post', state: 'fp' }));
      await signIn(page, 'alice', 'alice-secret-pw');
      await allowIfAsked(page, site.rp.origin);
      const hit = site.rp.hits.slice(before).find((x) => x.method === 'POST');
      assert.ok(hit?.form, 'the client received a POST');
      assert.equal(hit.url.pathname, '/cb');
      assert.equal(hit.form.get('state'), 'fp');
      assert.equal(hit.form.get('iss'), site.url);
      assert.ok(hit.form.get('code'));
      assert.equal(hit.form.has('csrf_token'), false, 'our CSRF token never goes to the client');
    });
  });

  test('the form_post page without JavaScript shows a Continue button', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    const context = await chromium.browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      const before = site.rp.hits.length;
      await page.goto(site.authorizeUrl({ response_mode: 'form_post', state: 'nojs' }));
      await signIn(page, 'alice', 'alice-secret-pw');
      // RFC 8252 §8.6: remembered consent does not count for this public loopback client.
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Allow' }).click()]);
      await page.getByRole('button', { name: 'Continue' }).waitFor();
      assert.equal(site.rp.hits.length, before, 'nothing posted yet');
      await Promise.all([page.waitForURL(`${site.rp.origin}/**`), page.getByRole('button', { name: 'Continue' }).click()]);
      assert.equal(site.rp.hits.at(-1)?.form?.get('state'), 'nojs');
    } finally {
      await context.close();
    }
  });
});

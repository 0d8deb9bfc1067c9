import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { focused, launchBrowser, startClientSite, type Chromium, type ClientSite, type Tab } from '../support/browser.ts';
import { startPagesHarness, type PagesHarness } from '../support/pages-harness.ts';

async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Sign in' }).click()]);
}

describe('consent, account chooser and form_post in Chromium', () => {
  let h: PagesHarness;
  let rp: ClientSite;
  let chromium: Chromium | { skip: string };
  before(async () => {
    chromium = await launchBrowser();
    rp = await startClientSite();
    h = await startPagesHarness({}, { redirectUri: rp.redirectUri });
    await h.addUser('alice', 'alice-secret-pw', 'Alice Example');
    await h.addUser('bob', 'bob-secret-pw', 'Bob Builder');
  });
  after(async () => {
    if ('browser' in chromium) await chromium.close();
    await h.close();
    await rp.close();
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

  test('OIDC Core §3.1.2.4 consent lists the scopes in plain words; Allow returns a code', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    await withTab('consent-allow', async ({ page, shot }) => {
      const claims = JSON.stringify({ userinfo: { birthdate: { essential: true } }, id_token: { email: null } });
      await page.goto(h.authorizeUrl({ scope: 'openid email profile offline_access', state: 'c1', claims }));
      await signIn(page, 'alice', 'alice-secret-pw');
      await page.getByRole('heading', { name: 'Harness App wants to access your account' }).waitFor();
      const items = await page.getByRole('listitem').allInnerTexts();
      assert.deepEqual(items, [
        'Confirm your identity with your account',
        'Your email address and whether it is verified',
        'Your basic profile: name, nickname, picture, website, gender, birth date, time zone and language',
        'Keep this access when you are not using the application',
      ], 'birthdate and email are covered by the profile and email scopes');
      assert.equal((await focused(page)).text, 'Allow');
      await shot('consent');
      await Promise.all([page.waitForURL(`${rp.origin}/**`), page.getByRole('button', { name: 'Allow' }).click()]);
      const cb = new URL(page.url());
      assert.ok(cb.searchParams.get('code'));
      assert.equal(cb.searchParams.get('state'), 'c1');
    });
  });

  test('claims beyond the scopes are listed too; Deny returns access_denied', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    await withTab('consent-deny', async ({ page, shot }) => {
      const claims = JSON.stringify({ userinfo: { phone_number: null, email_verified: null } });
      await page.goto(h.authorizeUrl({ scope: 'openid address', state: 'c2', claims, prompt: 'consent' }));
      await signIn(page, 'bob', 'bob-secret-pw');
      await page.getByText('It also asks for:').waitFor();
      const text = await page.locator('main').innerText();
      assert.match(text, /Your postal address/);
      assert.match(text, /Your phone number\n/);
      assert.match(text, /Whether your email address is verified/);
      await shot('consent-claims');
      await Promise.all([page.waitForURL(`${rp.origin}/**`), page.getByRole('button', { name: 'Deny' }).click()]);
      const cb = new URL(page.url());
      assert.equal(cb.searchParams.get('error'), 'access_denied');
      assert.equal(cb.searchParams.get('state'), 'c2');
      assert.equal(cb.searchParams.get('iss'), h.url);
    });
  });

  test('account chooser with two accounts: pick one, or use another account', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    await withTab('chooser', async ({ page, shot }) => {
      await page.goto(h.authorizeUrl());
      await signIn(page, 'alice', 'alice-secret-pw');
      await page.waitForURL(`${rp.origin}/**`);
      await page.goto(h.authorizeUrl({ prompt: 'login' }));
      await signIn(page, 'bob', 'bob-secret-pw');
      await page.waitForURL(`${rp.origin}/**`);
      await page.goto(h.authorizeUrl({ prompt: 'select_account', state: 'pick' }));
      await page.getByRole('heading', { name: 'Choose an account' }).waitFor();
      const accounts = await page.locator('button.gh-account').allInnerTexts();
      assert.deepEqual(accounts.map((a) => a.replace(/\s+/g, ' ').trim()), ['bob Bob Builder', 'alice Alice Example'], 'most recent first');
      await shot('chooser');
      // Keyboard: the first account has focus; Tab moves to the second, Enter picks it.
      await page.waitForFunction("document.activeElement && document.activeElement.classList.contains('gh-account')");
      await page.keyboard.press('Tab');
      await Promise.all([page.waitForURL(`${rp.origin}/**`), page.keyboard.press('Enter')]);
      const cb = new URL(page.url());
      assert.equal(cb.searchParams.get('state'), 'pick');
      assert.match(cb.searchParams.get('code')!, /-user-1$/, 'alice was chosen');
      await page.goto(h.authorizeUrl({ prompt: 'select_account' }));
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Use another account' }).click()]);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    });
  });

  test('OAuth 2.0 Form Post Response Mode: the page posts the response to the redirect_uri by itself', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    await withTab('form-post', async ({ page }) => {
      const before = rp.hits.length;
      await page.goto(h.authorizeUrl({ response_mode: 'form_post', state: 'fp' }));
      await signIn(page, 'alice', 'alice-secret-pw');
      await page.waitForURL(`${rp.origin}/**`);
      const hit = rp.hits.slice(before).find((x) => x.method === 'POST');
      assert.ok(hit?.form, 'the client received a POST');
      assert.equal(hit.url.pathname, '/cb');
      assert.equal(hit.form.get('state'), 'fp');
      assert.equal(hit.form.get('iss'), h.url);
      assert.ok(hit.form.get('code'));
      assert.equal(hit.form.has('csrf_token'), false, 'our CSRF token never goes to the client');
    });
  });

  test('the form_post page without JavaScript shows a Continue button', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    const context = await chromium.browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      const before = rp.hits.length;
      await page.goto(h.authorizeUrl({ response_mode: 'form_post', state: 'nojs' }));
      await signIn(page, 'alice', 'alice-secret-pw');
      await page.getByRole('button', { name: 'Continue' }).waitFor();
      assert.equal(rp.hits.length, before, 'nothing posted yet');
      await Promise.all([page.waitForURL(`${rp.origin}/**`), page.getByRole('button', { name: 'Continue' }).click()]);
      assert.equal(rp.hits.at(-1)?.form?.get('state'), 'nojs');
    } finally {
      await context.close();
    }
  });
});

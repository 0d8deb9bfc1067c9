import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { focused, launchBrowser, waitForFocus, waitForFocusedText, type Chromium } from '../support/browser.ts';
import { CLIENT_NAME, startBrowserSite, type BrowserSite } from '../support/browser-site.ts';

const PASSWORD = 'correct horse battery staple';

describe('sign-in page in Chromium (whole server)', () => {
  let site: BrowserSite;
  let chromium: Chromium | { skip: string };
  let alice: string;
  before(async () => {
    chromium = await launchBrowser();
    site = await startBrowserSite();
    alice = await site.addUser('alice', PASSWORD, 'Alice Example');
  });
  after(async () => {
    if ('browser' in chromium) await chromium.close();
    await site.close();
  });

  test('a wrong password shows the neutral error; the right one (then consent) returns code, state and iss', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    const tab = await chromium.open('sign-in');
    try {
      const { page } = tab;
      await page.goto(site.authorizeUrl({ state: 'browser-state-1' }));
      assert.equal(await page.title(), 'Sign in · Gatehouse');
      assert.match(await page.locator('main').innerText(), new RegExp(`to continue to ${CLIENT_NAME}`));
      await waitForFocus(page, 'username');
      await tab.shot('login');
      await page.getByLabel('Username').fill('alice');
      await page.getByLabel('Password').fill('wrong password');
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Sign in' }).click()]);
      await page.getByRole('alert').waitFor();
      assert.equal((await page.getByRole('alert').textContent())?.trim(), 'The username or password is incorrect.');
      assert.equal(await page.getByLabel('Username').inputValue(), 'alice', 'the username is kept');
      await waitForFocus(page, 'password');
      await tab.shot('login-error');
      // The same text for a user that does not exist.
      await page.getByLabel('Username').fill('nobody-at-all');
      await page.getByLabel('Password').fill('wrong password');
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Sign in' }).click()]);
      assert.equal((await page.getByRole('alert').textContent())?.trim(), 'The username or password is incorrect.');
      await page.getByLabel('Username').fill('alice');
      await page.getByLabel('Password').fill(PASSWORD);
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Sign in' }).click()]);
      await page.getByRole('heading', { name: `${CLIENT_NAME} wants to access your account` }).waitFor();
      await Promise.all([page.waitForURL(`${site.rp.origin}/**`), page.getByRole('button', { name: 'Allow' }).click()]);
      const cb = new URL(page.url());
      assert.equal(cb.pathname, '/cb');
      assert.equal(cb.searchParams.get('state'), 'browser-state-1');
      assert.equal(cb.searchParams.get('iss'), site.url);
      const claims = await site.redeem(cb.searchParams.get('code')!);
      assert.equal(claims['sub'], alice, 'the code is for the account that signed in');
      const cookies = await tab.context.cookies(site.url);
      const session = cookies.find((c) => c.name === site.config.session.cookieName);
      assert.ok(session?.httpOnly && session.sameSite === 'Lax', 'session cookie is HttpOnly and SameSite=Lax');
      assert.ok(
        cookies.some((c) => c.name === 'gh_browser_state' && !c.httpOnly),
        'browser state readable by the check_session iframe',
      );
      tab.assertClean();
    } finally {
      await tab.close();
    }
  });

  test('keyboard only: type, Tab, type, Tab to the button (focus visible), Enter signs in', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    const tab = await chromium.open('keyboard');
    try {
      const { page } = tab;
      await page.goto(site.authorizeUrl({ state: 'kb' }));
      // Autofocus puts the caret in the username (applied just after load).
      await waitForFocus(page, 'username');
      await page.keyboard.type('alice');
      await page.keyboard.press('Tab');
      assert.equal((await focused(page)).id, 'password');
      await page.keyboard.type(PASSWORD);
      await page.keyboard.press('Tab');
      const button = await focused(page);
      assert.equal(button.text, 'Sign in', 'the button is next in tab order');
      assert.notEqual(button.outline, 'none', 'focus is visible');
      await tab.shot('focus-on-button');
      // Consent was remembered by the previous test, but this RP is a public client on a loopback
      // redirect (RFC 8252 §8.6: its identity cannot be proven), so it is asked again; Allow has focus.
      await Promise.all([page.waitForLoadState('load'), page.keyboard.press('Enter')]);
      await page.getByRole('heading', { name: `${CLIENT_NAME} wants to access your account` }).waitFor();
      await waitForFocusedText(page, 'Allow');
      await Promise.all([page.waitForURL(`${site.rp.origin}/**`), page.keyboard.press('Enter')]);
      assert.equal(new URL(page.url()).searchParams.get('state'), 'kb');
      tab.assertClean();
    } finally {
      await tab.close();
    }
  });

  test('a forged CSRF token gets the 403 page and no session', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    const tab = await chromium.open('csrf');
    try {
      const { page } = tab;
      const hitsBefore = site.rp.hits.length;
      await page.goto(site.authorizeUrl());
      await page.getByLabel('Username').fill('alice');
      await page.getByLabel('Password').fill(PASSWORD);
      // An attacker's copy of the form: the token does not match this browser's cookie.
      await page.locator('input[name="csrf_token"]').evaluate((el, v) => {
        (el as { value: string }).value = v;
      }, 'forged.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
      const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/login')), page.getByRole('button', { name: 'Sign in' }).click()]);
      assert.equal(response.status(), 403);
      await page.getByRole('heading', { name: 'This form has expired' }).waitFor();
      assert.match(await page.locator('main').innerText(), /csrf_failed/);
      await tab.shot('forged-csrf');
      const cookies = await tab.context.cookies(site.url);
      assert.equal(
        cookies.some((c) => c.name === site.config.session.cookieName),
        false,
        'no session was created',
      );
      assert.equal(site.rp.hits.length, hitsBefore, 'nothing went to the client');
      // Chromium reports the 403 document itself on the console; that is the expected outcome.
      assert.ok(
        tab.problems.every((p) => /status of 403/.test(p)),
        tab.problems.join('\n'),
      );
    } finally {
      await tab.close();
    }
  });
});

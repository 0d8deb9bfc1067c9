import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { focused, launchBrowser, startClientSite, waitForFocus, type Chromium, type ClientSite } from '../support/browser.ts';
import { startPagesHarness, type PagesHarness } from '../support/pages-harness.ts';

describe('sign-in page in Chromium', () => {
  let h: PagesHarness;
  let chromium: Chromium | { skip: string };
  let rp: ClientSite;
  before(async () => {
    chromium = await launchBrowser();
    rp = await startClientSite();
    h = await startPagesHarness({}, { redirectUri: rp.redirectUri });
    await h.addUser('alice', 'correct horse battery staple', 'Alice Example');
  });
  after(async () => {
    if ('browser' in chromium) await chromium.close();
    await h.close();
    await rp.close();
  });

  test('wrong password shows the neutral error; the right one returns code, state and iss to the redirect_uri', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    const tab = await chromium.open('sign-in');
    try {
      const { page } = tab;
      await page.goto(h.authorizeUrl({ state: 'browser-state-1' }));
      assert.equal(await page.title(), 'Sign in · Gatehouse');
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
      await page.getByLabel('Password').fill('correct horse battery staple');
      await Promise.all([page.waitForURL(`${rp.origin}/**`), page.getByRole('button', { name: 'Sign in' }).click()]);
      const cb = new URL(page.url());
      assert.equal(cb.pathname, '/cb');
      assert.ok(cb.searchParams.get('code'));
      assert.equal(cb.searchParams.get('state'), 'browser-state-1');
      assert.equal(cb.searchParams.get('iss'), h.url);
      const cookies = await tab.context.cookies(h.url);
      const session = cookies.find((c) => c.name === h.config.session.cookieName);
      assert.ok(session?.httpOnly && session.sameSite === 'Lax', 'session cookie is HttpOnly and SameSite=Lax');
      tab.assertClean();
    } finally {
      await tab.close();
    }
  });

  test('keyboard only: Tab to the fields, type, Enter signs in', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    const tab = await chromium.open('keyboard');
    try {
      const { page } = tab;
      await page.goto(h.authorizeUrl({ state: 'kb' }));
      // Autofocus puts the caret in the username (applied just after load): type, Tab, type, Enter.
      await waitForFocus(page, 'username');
      await page.keyboard.type('alice');
      await page.keyboard.press('Tab');
      assert.equal((await focused(page)).id, 'password');
      await page.keyboard.type('correct horse battery staple');
      await page.keyboard.press('Tab');
      const button = await focused(page);
      assert.equal(button.text, 'Sign in', 'the button is next in tab order');
      assert.notEqual(button.outline, 'none', 'focus is visible');
      await tab.shot('focus-on-button');
      await Promise.all([page.waitForURL(`${rp.origin}/**`), page.keyboard.press('Enter')]);
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
      const hitsBefore = rp.hits.length;
      await page.goto(h.authorizeUrl());
      await page.getByLabel('Username').fill('alice');
      await page.getByLabel('Password').fill('correct horse battery staple');
      // An attacker's copy of the form: the token does not match this browser's cookie.
      await page.locator('input[name="csrf_token"]').evaluate((el, v) => { (el as { value: string }).value = v; }, 'forged.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
      const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/login')), page.getByRole('button', { name: 'Sign in' }).click()]);
      assert.equal(response.status(), 403);
      await page.getByRole('heading', { name: 'This form has expired' }).waitFor();
      assert.match(await page.locator('main').innerText(), /csrf_failed/);
      await tab.shot('forged-csrf');
      const cookies = await tab.context.cookies(h.url);
      assert.equal(cookies.some((c) => c.name === h.config.session.cookieName), false, 'no session was created');
      assert.equal(rp.hits.length, hitsBefore, 'nothing went to the client');
      // Chromium reports the 403 document itself on the console; that is the expected outcome.
      assert.ok(tab.problems.every((p) => /status of 403/.test(p)), tab.problems.join('\n'));
    } finally {
      await tab.close();
    }
  });
});

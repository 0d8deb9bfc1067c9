import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, type Chromium } from '../support/browser.ts';
import { startBrowserSite, type BrowserSite } from '../support/browser-site.ts';

const PASSWORD = 'correct horse battery staple';

describe('authorize URL opened on 127.0.0.1 while the issuer is localhost (Chromium)', () => {
  let site: BrowserSite;
  let chromium: Chromium | { skip: string };
  before(async () => {
    chromium = await launchBrowser();
    site = await startBrowserSite({}, { issuerHost: 'localhost' });
    await site.addUser('alice', PASSWORD, 'Alice Example');
  });
  after(async () => {
    if ('browser' in chromium) await chromium.close();
    await site.close();
  });

  test('RFC 9110 §15.4.4: the page moves to the issuer origin, sign-in posts there and the code comes back', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    const tab = await chromium.open('canonical-host');
    try {
      const { page } = tab;
      const onOtherHost = site.authorizeUrl({ state: 'other-host' }).replace('//localhost:', '//127.0.0.1:');
      assert.ok(onOtherHost.startsWith('http://127.0.0.1:'));
      await page.goto(onOtherHost);
      assert.equal(new URL(page.url()).origin, site.url, 'landed on the issuer origin');
      assert.equal(new URL(page.url()).searchParams.get('state'), 'other-host', 'query kept');
      await page.getByLabel('Username').fill('alice');
      await page.getByLabel('Password').fill(PASSWORD);
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Sign in' }).click()]);
      await page.getByRole('button', { name: 'Allow' }).waitFor();
      await Promise.all([page.waitForURL(`${site.rp.origin}/**`), page.getByRole('button', { name: 'Allow' }).click()]);
      const cb = new URL(page.url());
      assert.equal(cb.searchParams.get('state'), 'other-host');
      assert.equal(cb.searchParams.get('iss'), site.url);
      const claims = await site.redeem(cb.searchParams.get('code')!);
      assert.equal(claims['iss'], site.url);
      tab.assertClean();
    } finally {
      await tab.close();
    }
  });
});

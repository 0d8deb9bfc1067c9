import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, type Chromium } from '../support/browser.ts';
import { startBrowserSite, type BrowserSite } from '../support/browser-site.ts';

const LOGO = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40" width="40" height="40"><circle cx="20" cy="20" r="18" fill="#7c3aed"/></svg>';

describe('theming and the error page in Chromium', () => {
  let site: BrowserSite;
  let chromium: Chromium | { skip: string };
  let dir: string;
  before(async () => {
    chromium = await launchBrowser();
    dir = mkdtempSync(join(tmpdir(), 'gh-theme-'));
    writeFileSync(join(dir, 'logo.svg'), LOGO);
    site = await startBrowserSite({ theme: { productName: 'Acme ID', logoFile: join(dir, 'logo.svg'), primaryColor: '#7c3aed', backgroundColor: '#fafaf9' } });
  });
  after(async () => {
    if ('browser' in chromium) await chromium.close();
    await site.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('product name, logo and colours from config.theme, under the strict CSP', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    const tab = await chromium.open('theme');
    try {
      const { page } = tab;
      await page.goto(site.authorizeUrl());
      assert.equal(await page.title(), 'Sign in · Acme ID');
      assert.equal((await page.locator('.gh-product').innerText()).trim(), 'Acme ID');
      const logo = page.locator('img.gh-logo');
      await logo.waitFor();
      assert.ok(await logo.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0), 'the logo loaded from /assets/logo');
      const button = page.getByRole('button', { name: 'Sign in' });
      assert.equal(
        await button.evaluate(
          (b) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(b).backgroundColor,
        ),
        'rgb(124, 58, 237)',
      );
      assert.equal(
        await page
          .locator('body')
          .evaluate((b) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(b).backgroundColor),
        'rgb(250, 250, 249)',
      );
      await tab.shot('themed-login');
      tab.assertClean();
    } finally {
      await tab.close();
    }
  });

  test('RFC 6749 §4.1.2.1: an unregistered redirect URI gets the error page (no redirect, no stack trace)', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    const tab = await chromium.open('error');
    try {
      const { page } = tab;
      const before = site.rp.hits.length;
      const response = await page.goto(site.authorizeUrl({ redirect_uri: `${site.rp.origin}/elsewhere` }));
      assert.equal(response?.status(), 400);
      assert.equal(new URL(page.url()).origin, site.url, 'the browser stays on the server');
      const text = await page.locator('main').innerText();
      assert.match(text, /Error code: invalid_request/);
      assert.doesNotMatch(text, /\bat \w+ \(|\.ts:\d+/);
      assert.equal(site.rp.hits.length, before);
      await tab.shot('error-page');
      assert.ok(
        tab.problems.every((p) => /status of 400/.test(p)),
        tab.problems.join('\n'),
      );
    } finally {
      await tab.close();
    }
  });
});

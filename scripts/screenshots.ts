/**
 * `npm run screenshots`: renders every page in every shipped language in real Chromium (the
 * Debian package at /usr/bin/chromium or GATEHOUSE_CHROMIUM, driven by playwright-core, which
 * never downloads a browser) to docs/screenshots/<page>-<locale>.png. The server is the whole
 * Gatehouse with a memory store (test/support/browser-site.ts); the language comes from the
 * browser profile's Accept-Language and `ui_locales`, as for a real person.
 *
 *   npm run screenshots                 # every page, en de fr es
 *   npm run screenshots -- de fr        # only these languages
 *
 * Only a few are committed (docs/screenshots/.gitignore); the rest are for looking at.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { SHIPPED_LOCALES } from '../src/http/pages/messages/catalogue.ts';
import { CHROMIUM_PATH } from '../test/support/browser.ts';
import { startBrowserSite } from '../test/support/browser-site.ts';
import { createTestClient } from '../test/support/server.ts';

const OUT = join(process.cwd(), 'docs', 'screenshots');
const PASSWORD = 'correct horse battery staple';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

const locales = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(SHIPPED_LOCALES);
mkdirSync(OUT, { recursive: true });

const site = await startBrowserSite({ theme: { productName: 'Acme ID' } });
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
try {
  await site.addUser('alice', PASSWORD, 'Alice Example');
  const device = (
    await createTestClient(site.server.gh, {
      client_name: 'Living Room TV',
      grant_types: [DEVICE_GRANT],
      response_types: [],
      token_endpoint_auth_method: 'none',
      scope: 'openid profile',
    })
  ).client_id;
  for (const locale of locales) {
    const context = await browser.newContext({ viewport: { width: 640, height: 640 }, locale });
    const page = await context.newPage();
    const shot = async (name: string) => {
      const path = join(OUT, `${name}-${locale}.png`);
      await page.screenshot({ path, fullPage: true });
      process.stdout.write(`${path}\n`);
    };
    const submit = (p: Page, selector: string) => Promise.all([p.waitForLoadState('load'), p.locator(selector).first().click()]);

    await page.goto(site.authorizeUrl({ state: 's', ui_locales: locale, scope: 'openid profile email' }));
    await shot('signin');
    await page.fill('#username', 'alice');
    await page.fill('#password', 'not the password');
    await submit(page, 'button.gh-button-primary');
    await shot('signin-error');
    await page.fill('#password', PASSWORD);
    await submit(page, 'button.gh-button-primary');
    await shot('consent');
    await Promise.all([page.waitForURL(`${site.rp.origin}/**`), page.locator('button[value=allow]').click()]);

    await page.goto(site.authorizeUrl({ state: 's', ui_locales: locale, prompt: 'select_account' }));
    await shot('select-account');

    const res = await fetch(`${site.url}/device_authorization`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: device, scope: 'openid profile' }),
    });
    const { verification_uri_complete } = (await res.json()) as { verification_uri_complete: string };
    await page.goto(verification_uri_complete);
    await shot('device-code');
    await submit(page, 'button.gh-button-primary');
    await shot('device-confirm');
    await submit(page, 'button[value=allow]');
    await shot('device-done');

    await page.goto(`${site.url}/authorize?client_id=unknown&response_type=code&ui_locales=${locale}`);
    await shot('error');

    await page.goto(`${site.url}/end_session?ui_locales=${locale}`);
    await shot('logout-confirm');
    await submit(page, 'button[value=yes]');
    await shot('signed-out');
    await context.close();
  }
} finally {
  await browser.close();
  await site.close();
}

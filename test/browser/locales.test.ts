import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, type Chromium } from '../support/browser.ts';
import { CLIENT_NAME, startBrowserSite, type BrowserSite } from '../support/browser-site.ts';
import { createTestClient } from '../support/server.ts';

const PASSWORD = 'correct horse battery staple';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const DEVICE_APP = 'Living Room TV';

describe('localised pages in Chromium (whole server, strict CSP)', () => {
  let site: BrowserSite;
  let chromium: Chromium | { skip: string };
  let alice: string;
  let deviceClient: string;
  before(async () => {
    chromium = await launchBrowser();
    site = await startBrowserSite();
    alice = await site.addUser('alice', PASSWORD, 'Alice Example');
    deviceClient = (
      await createTestClient(site.server.gh, {
        client_name: DEVICE_APP,
        grant_types: [DEVICE_GRANT],
        response_types: [],
        token_endpoint_auth_method: 'none',
        scope: 'openid profile',
      })
    ).client_id;
  });
  after(async () => {
    if ('browser' in chromium) await chromium.close();
    await site.close();
  });

  test('OIDC Core §3.1.2.1 ui_locales=de: German sign-in and consent pages (over a French browser), then the code', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    const tab = await chromium.open('locale-de', { locale: 'fr-FR' });
    try {
      const { page } = tab;
      await page.goto(site.authorizeUrl({ state: 'de-1', ui_locales: 'de' }));
      assert.equal(await page.getAttribute('html', 'lang'), 'de');
      assert.equal(await page.title(), 'Anmelden · Gatehouse');
      assert.match(await page.locator('main').innerText(), new RegExp(`um mit ${CLIENT_NAME} fortzufahren`));
      await page.getByLabel('Benutzername').fill('alice');
      await page.getByLabel('Passwort').fill('falsch');
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Anmelden' }).click()]);
      assert.equal((await page.getByRole('alert').textContent())?.trim(), 'Benutzername oder Passwort ist falsch.');
      await page.getByLabel('Passwort').fill(PASSWORD);
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Anmelden' }).click()]);
      await page.getByRole('heading', { name: `${CLIENT_NAME} möchte auf Ihr Konto zugreifen` }).waitFor();
      assert.equal(await page.getAttribute('html', 'lang'), 'de');
      assert.equal(await page.title(), 'Zugriff erlauben · Gatehouse');
      assert.match(await page.locator('main').innerText(), /Angemeldet als alice/);
      await tab.shot('consent');
      await Promise.all([page.waitForURL(`${site.rp.origin}/**`), page.getByRole('button', { name: 'Erlauben' }).click()]);
      const cb = new URL(page.url());
      assert.equal(cb.searchParams.get('state'), 'de-1');
      assert.equal((await site.redeem(cb.searchParams.get('code')!))['sub'], alice);
      tab.assertClean();
    } finally {
      await tab.close();
    }
  });

  test('RFC 8628 device pages from Accept-Language fr: enter the code, sign in, confirm, connected', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    const res = await fetch(`${site.url}/device_authorization`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: deviceClient, scope: 'openid profile' }),
    });
    const d = (await res.json()) as { verification_uri_complete: string };
    const tab = await chromium.open('locale-fr-device', { locale: 'fr-FR' });
    try {
      const { page } = tab;
      await page.goto(d.verification_uri_complete);
      await page.getByRole('heading', { name: 'Connecter un appareil' }).waitFor();
      assert.equal(await page.getAttribute('html', 'lang'), 'fr');
      await tab.shot('device-code');
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Continuer' }).click()]);
      // A click does not wait for the navigation it starts: wait for the next page's field first.
      await page.getByLabel('Nom d’utilisateur').waitFor();
      assert.equal(await page.title(), 'Connexion · Gatehouse');
      await page.getByLabel('Nom d’utilisateur').fill('alice');
      await page.getByLabel('Mot de passe').fill(PASSWORD);
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Se connecter' }).click()]);
      // Back on the device page: either the code entry again (Continue) or the confirmation.
      await Promise.race([
        page.getByRole('button', { name: 'Continuer' }).waitFor(),
        page.getByRole('heading', { name: `Connecter ${DEVICE_APP}\u00a0?` }).waitFor(),
      ]);
      if (await page.getByRole('button', { name: 'Continuer' }).isVisible()) {
        await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Continuer' }).click()]);
      }
      await page.getByRole('heading', { name: `Connecter ${DEVICE_APP}\u00a0?` }).waitFor();
      assert.match(await page.locator('main').innerText(), /Votre profil de base/);
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Autoriser' }).click()]);
      await page.getByRole('heading', { name: 'Appareil connecté' }).waitFor();
      tab.assertClean();
    } finally {
      await tab.close();
    }
  });
});

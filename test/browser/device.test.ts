import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, type Chromium } from '../support/browser.ts';
import { startBrowserSite, type BrowserSite } from '../support/browser-site.ts';
import { createTestClient } from '../support/server.ts';

const PASSWORD = 'correct horse battery staple';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const DEVICE_APP = 'Living Room TV';

interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
}

describe('RFC 8628 §3.3 device pages in Chromium (whole server)', () => {
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

  const startDevice = async (): Promise<DeviceAuthorization> => {
    const res = await fetch(`${site.url}/device_authorization`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: deviceClient, scope: 'openid profile' }),
    });
    assert.equal(res.status, 200);
    return (await res.json()) as DeviceAuthorization;
  };
  const poll = async (deviceCode: string) => {
    const res = await fetch(`${site.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: deviceClient }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, string> };
  };

  test('verification_uri_complete: code prefilled, sign in, confirm naming the app and scopes, Allow; the device gets tokens', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    const d = await startDevice();
    const tab = await chromium.open('device-allow');
    try {
      const { page } = tab;
      await page.goto(d.verification_uri_complete);
      await page.getByRole('heading', { name: 'Connect a device' }).waitFor();
      assert.equal((await page.locator('#user_code').inputValue()).replace(/[^A-Z]/g, ''), d.user_code.replace(/[^A-Z]/g, ''), 'the code is prefilled');
      await tab.shot('device-code');
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Continue' }).click()]);
      // Not signed in yet: the standalone sign-in page, then back to the device page.
      // A click does not wait for the navigation it starts: wait for the next page's field first.
      await page.getByLabel('Username').waitFor();
      assert.equal(await page.title(), 'Sign in · Gatehouse');
      await page.getByLabel('Username').fill('alice');
      await page.getByLabel('Password').fill(PASSWORD);
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Sign in' }).click()]);
      // Back on the device page: either the code entry again (Continue) or the confirmation.
      await Promise.race([page.getByRole('button', { name: 'Continue' }).waitFor(), page.getByRole('heading', { name: `Connect ${DEVICE_APP}?` }).waitFor()]);
      if (await page.getByRole('button', { name: 'Continue' }).isVisible()) {
        await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Continue' }).click()]);
      }
      // RFC 8628 §5.4: the confirmation names the application and repeats the code.
      await page.getByRole('heading', { name: `Connect ${DEVICE_APP}?` }).waitFor();
      assert.ok((await page.locator('main').innerText()).includes(d.user_code), 'the code is repeated');
      await tab.shot('device-confirm');
      assert.equal((await poll(d.device_code)).body['error'], 'authorization_pending', 'nothing decided before Allow');
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Allow' }).click()]);
      await page.getByRole('heading', { name: 'Device connected' }).waitFor();
      await tab.shot('device-done');
      const tokens = await poll(d.device_code);
      assert.equal(tokens.status, 200);
      const claims = JSON.parse(Buffer.from(tokens.body['id_token']!.split('.')[1]!, 'base64url').toString('utf8')) as { sub: string; aud: string };
      assert.equal(claims.sub, alice, 'the device acts for the user who approved');
      assert.equal(claims.aud, deviceClient);
      tab.assertClean();
    } finally {
      await tab.close();
    }
  });

  test('a wrong code gets the neutral message; Deny leaves the device with access_denied', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    const d = await startDevice();
    const tab = await chromium.open('device-deny');
    try {
      const { page } = tab;
      // Signed in first through an authorization request of the browser-site RP.
      await page.goto(`${site.url}/login?return_to=${encodeURIComponent('/device')}`);
      await page.getByLabel('Username').fill('alice');
      await page.getByLabel('Password').fill(PASSWORD);
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Sign in' }).click()]);
      await page.getByRole('heading', { name: 'Connect a device' }).waitFor();
      await page.locator('#user_code').fill('BCDF-GHJK');
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Continue' }).click()]);
      const alertText = (await page.getByRole('alert').textContent())?.trim() ?? '';
      assert.ok(alertText.length > 0, 'an error is shown');
      assert.doesNotMatch(alertText, /BCDF|expired|used/i, 'one neutral text for wrong, expired and used codes');
      await tab.shot('device-wrong-code');
      await page.locator('#user_code').fill(d.user_code);
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Continue' }).click()]);
      await page.getByRole('heading', { name: `Connect ${DEVICE_APP}?` }).waitFor();
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Deny' }).click()]);
      await page.getByRole('heading', { name: 'Access denied' }).waitFor();
      const r = await poll(d.device_code);
      assert.equal(r.status, 400);
      assert.equal(r.body['error'], 'access_denied');
      tab.assertClean();
    } finally {
      await tab.close();
    }
  });
});

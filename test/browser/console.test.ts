/**
 * The admin console (issue #11) in real Chromium: operators sign in through Gatehouse's own
 * OpenID Connect flow, act through the pages, and every change lands as the same use case the
 * CLI and the admin API run. Any console error or CSP violation fails a test (test/support/browser.ts).
 * Screenshots of each page, light and dark, go to test-artifacts/console-*.png; with
 * GATEHOUSE_CONSOLE_SCREENSHOTS=1 the README's go to docs/screenshots/ as well.
 */
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { cliActor } from '../../src/app/index.ts';
import { CONSOLE_CLIENT_ID } from '../../src/http/console/console-session.ts';
import { launchBrowser, type Chromium, type Tab } from '../support/browser.ts';
import { createTestUser } from '../support/oidc.ts';
import { clientCredentials, discover } from '../support/oauth-client.ts';
import { createTestClient, startTestServer, type TestServer } from '../support/server.ts';

const PASSWORD = 'console-Secret-pw-1';
const README_SHOTS = process.env['GATEHOUSE_CONSOLE_SCREENSHOTS'] === '1';

async function signIn(page: Page, url: string, username: string, path = '/admin'): Promise<void> {
  await page.goto(`${url}${path}`);
  // The console sends the browser to this server's /authorize as the gatehouse-console client.
  const authorize = new URL(page.url());
  assert.equal(authorize.pathname, '/authorize');
  assert.equal(authorize.searchParams.get('client_id'), CONSOLE_CLIENT_ID);
  assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL((u) => u.pathname.startsWith('/admin') && u.pathname !== '/admin/callback'), page.click('button[type=submit]')]);
}

async function shot(tab: Tab, name: string): Promise<void> {
  // The console is a desktop tool: its screenshots are taken at a desktop width.
  await tab.page.setViewportSize({ width: 1280, height: 800 });
  const path = await tab.shot(name);
  if (README_SHOTS && /^(dashboard|clients)-(light|dark)$/.test(name)) copyFileSync(path, join(process.cwd(), 'docs', 'screenshots', `console-${name}.png`));
}

const isDark = (page: Page) => page.evaluate('document.documentElement.classList.contains("dark")') as Promise<boolean>;

describe('admin console at /admin in Chromium', () => {
  let s: TestServer;
  let chromium: Chromium | { skip: string };
  let admin: { id: string; username: string };
  before(async () => {
    chromium = await launchBrowser();
    s = await startTestServer();
    admin = await createTestUser(s.gh, { username: 'root-admin', password: PASSWORD, roles: ['admin'] });
    await createTestUser(s.gh, { username: 'plain-user', password: PASSWORD, roles: ['user'] });
    await createTestUser(s.gh, { username: 'auditor-1', password: PASSWORD, roles: ['auditor'] });
  });
  after(async () => {
    if ('browser' in chromium) await chromium.close();
    await s?.close();
  });

  test('OIDC Core §3.1 code flow + RFC 7636: an admin signs in through the console client; the client is created, used, edited, disabled; audited as that admin', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    const tab = await chromium.open('console');
    try {
      const { page } = tab;
      await signIn(page, s.url, 'root-admin');
      assert.equal(await page.title(), 'Dashboard · Gatehouse console');
      assert.match(await page.locator('header').innerText(), /root-admin\s+admin/);
      // The tiles come from the metrics registry /metrics exposes: requests were counted.
      assert.ok(Number(await page.locator('[data-metric=requests]').innerText()) > 0);
      // The activity chart plots the requests counter's growth between refreshes (every 30 s;
      // two refreshes are triggered here instead of waiting).
      await page.evaluate('(async () => { const d = Alpine.$data(document.querySelector("[data-src]")); await d.load(); await d.load(); })()');
      await page.waitForSelector('#activity-chart rect:nth-of-type(2)', { state: 'attached' });
      await shot(tab, 'dashboard-light');
      const json = await page.request.get(`${s.url}/admin/dashboard.json`);
      assert.equal(json.status(), 200);
      assert.equal(((await json.json()) as { scope: string }).scope, 'instance');

      // Create a confidential client_credentials client in the drawer; its secret is shown once.
      await page.goto(`${s.url}/admin/clients`);
      await page.click('#create-client-open');
      // The grant checkboxes are the grants this server serves: token exchange, and no JWT
      // bearer grant without a trusted issuer for it (config trustedIssuers).
      const offered = await page.locator('input[name="grant_types"]').evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value));
      assert.deepEqual(offered, [
        'authorization_code',
        'refresh_token',
        'client_credentials',
        'urn:ietf:params:oauth:grant-type:device_code',
        'urn:ietf:params:oauth:grant-type:token-exchange',
      ]);
      await page.fill('#client_name', 'Billing service');
      await page.uncheck('#grant-0');
      await page.check('#grant-2');
      await page.fill('#scope', 'billing:read');
      await page.click('#create-client-submit');
      await page.waitForSelector('#client-secret');
      const secret = (await page.locator('#client-secret').innerText()).trim();
      const clientId = (await page.locator('dd').first().innerText()).trim();
      assert.match(secret, /^[\w-]{40,}$/);
      await shot(tab, 'client-created');
      const as = await discover(s.url);
      const tokens = await clientCredentials(as, { client_id: clientId, client_secret: secret }, { scope: 'billing:read' });
      assert.equal(tokens.token_type.toLowerCase(), 'bearer');
      // Shown once: the client's page never shows it again.
      await page.goto(`${s.url}/admin/clients/${clientId}`);
      assert.equal(await page.locator('#client-secret').count(), 0);

      // Edit in the drawer.
      await page.click('#edit-client-open');
      await page.fill('#edit-name', 'Billing service v2');
      await page.click('#edit-client-submit');
      await page.waitForSelector('text=The client was saved.');
      assert.equal(await page.title(), 'Billing service v2 · Gatehouse console');

      // Disable behind the dialog: Escape and a backdrop click dismiss it without acting.
      await page.click('#disable-client-open');
      const dialog = page.locator('#disable-client-dialog');
      await dialog.waitFor({ state: 'visible' });
      assert.equal(
        await page.evaluate('document.activeElement && document.activeElement.closest("dialog") && document.activeElement.closest("dialog").id'),
        'disable-client-dialog',
      );
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      assert.equal(
        await page.evaluate('document.activeElement && document.activeElement.closest("dialog") ? "inside" : "outside"'),
        'inside',
        'focus stays in the modal dialog',
      );
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      await page.click('#disable-client-open');
      await dialog.waitFor({ state: 'visible' });
      await shot(tab, 'confirm-dialog');
      await page.mouse.click(5, 5); // the backdrop
      await dialog.waitFor({ state: 'hidden' });
      await clientCredentials(as, { client_id: clientId, client_secret: secret }); // still enabled
      await page.click('#disable-client-open');
      await page.click('#disable-client-confirm');
      await page.waitForSelector('text=The client was disabled.');
      // RFC 6749 §5.2: a disabled client fails client authentication (401 invalid_client).
      await assert.rejects(
        clientCredentials(as, { client_id: clientId, client_secret: secret }),
        (e: { status?: number; cause?: { parameters?: { error?: string } }[] }) => {
          assert.equal(e.status, 401);
          assert.equal(e.cause?.[0]?.parameters?.error, 'invalid_client');
          return true;
        },
      );

      // The console's own client offers no edit, disable or delete (that would lock everyone out).
      await page.goto(`${s.url}/admin/clients/${CONSOLE_CLIENT_ID}`);
      assert.equal(await page.locator('#disable-client-open, #delete-client-open, #edit-client-open').count(), 0);

      // Every change was audited with the signed-in admin as the actor.
      const audit = (await s.gh.services.application.run('audit.list', cliActor({ USER: 'test' }), { object: clientId })) as {
        items: { action: string; actor: { kind: string; id: string } }[];
      };
      assert.deepEqual(audit.items.map((a) => a.action).sort(), ['clients.create', 'clients.disable', 'clients.update']);
      for (const a of audit.items) assert.deepEqual([a.actor.kind, a.actor.id], ['admin_user', admin.id]);
      tab.assertClean();
    } finally {
      await tab.close();
    }
  });

  test('keys: rotate through the confirmation dialog; the new active key is in the JWKS', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    const tab = await chromium.open('console-keys');
    try {
      const { page } = tab;
      await signIn(page, s.url, 'root-admin', '/admin/keys');
      const activeBefore = await page.locator('tr:has(td:text-is("active"))').getAttribute('data-kid');
      await shot(tab, 'keys-light');
      await page.click('#rotate-keys-open');
      await page.click('#rotate-keys-confirm');
      await page.waitForSelector('text=The keys were rotated.');
      const activeAfter = await page.locator('tr:has(td:text-is("active"))').getAttribute('data-kid');
      assert.ok(activeAfter && activeAfter !== activeBefore);
      assert.equal(await page.locator(`tr[data-kid="${activeBefore}"] td:text-is("grace")`).count(), 1, 'the old key is in its grace period');
      const jwks = (await (await fetch(`${s.url}/jwks.json`)).json()) as { keys: { kid: string }[] };
      assert.ok(jwks.keys.some((k) => k.kid === activeAfter));
      tab.assertClean();
    } finally {
      await tab.close();
    }
  });

  test('OWASP CSRF: a console POST without the token is refused (403) and changes nothing', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    const tab = await chromium.open('console-csrf');
    try {
      const { page } = tab;
      await signIn(page, s.url, 'root-admin', '/admin/keys');
      const kids = await page.locator('tr[data-kid]').count();
      const r = await page.request.post(`${s.url}/admin/keys/rotate`, { form: { csrf_token: 'forged.value' } });
      assert.equal(r.status(), 403);
      await page.reload();
      assert.equal(await page.locator('tr[data-kid]').count(), kids, 'no rotation happened');
      tab.assertClean();
    } finally {
      await tab.close();
    }
  });

  test('a user without the admin or auditor role gets the 403 page (no redirect loop); an auditor may look but not change', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    const tab = await chromium.open('console-403');
    try {
      const { page } = tab;
      await signIn(page, s.url, 'plain-user');
      const again = await page.goto(`${s.url}/admin/clients`);
      assert.equal(again?.status(), 403);
      assert.equal(new URL(page.url()).pathname, '/admin/clients', 'no redirect');
      assert.match(await page.locator('main').innerText(), /plain-user is signed in but has neither the admin nor the auditor role/);
      await shot(tab, 'forbidden');
      assert.ok(
        tab.problems.every((p) => /status of 403/.test(p)),
        tab.problems.join('\n'),
      );
    } finally {
      await tab.close();
    }
    const auditor = await chromium.open('console-auditor');
    try {
      const { page } = auditor;
      await signIn(page, s.url, 'auditor-1', '/admin/keys');
      assert.equal(await page.locator('#rotate-keys-open').count(), 0, 'no rotate button for an auditor');
      const token = await page.locator('input[name=csrf_token]').first().getAttribute('value');
      const r = await page.request.post(`${s.url}/admin/keys/rotate`, { form: { csrf_token: token ?? '' } });
      assert.equal(r.status(), 403, 'the use case refuses the viewer role');
      assert.match(await r.text(), /may look but not change/);
      auditor.assertClean();
    } finally {
      await auditor.close();
    }
  });

  test('users: an admin creates a user (with the auditor role) in the console, and that user signs in to it', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    const tab = await chromium.open('console-users');
    try {
      const { page } = tab;
      await signIn(page, s.url, 'root-admin', '/admin/users');
      await page.click('#create-user-open');
      await page.fill('#new-username', 'new-auditor');
      await page.fill('#new-password', PASSWORD);
      await page.fill('#new-name', 'New Auditor');
      await page.fill('#new-roles', 'auditor');
      await page.click('#create-user-submit');
      await page.waitForSelector('text=The user was created.');
      assert.equal((await page.locator('#user-roles').innerText()).trim(), 'auditor');
      await shot(tab, 'user-light');
      // Edit claims and roles in the drawer.
      await page.click('#edit-user-open');
      await page.fill('#edit-roles', 'auditor, billing');
      await page.click('#edit-user-submit');
      await page.waitForSelector('text=The user was saved.');
      assert.equal((await page.locator('#user-roles').innerText()).trim(), 'auditor, billing');
      tab.assertClean();
    } finally {
      await tab.close();
    }
    const other = await chromium.open('console-new-user');
    try {
      await signIn(other.page, s.url, 'new-auditor');
      assert.match(await other.page.locator('header').innerText(), /new-auditor\s+auditor/);
      for (const path of ['/admin/users', '/admin/grants', '/admin/consents', '/admin/audit', '/admin/events', '/admin/device-codes', '/admin/settings']) {
        const r = await other.page.goto(`${s.url}${path}`);
        assert.equal(r?.status(), 200, path);
        await shot(other, `page${path.replaceAll('/', '-')}-light`);
        await other.page.emulateMedia({ colorScheme: 'dark' });
        await other.page.reload();
        await shot(other, `page${path.replaceAll('/', '-')}-dark`);
        await other.page.emulateMedia({ colorScheme: 'light' });
      }
      assert.ok(!(await other.page.locator('#settings').innerText()).includes(s.gh.ctx.config.kek ?? 'no-kek'), 'the KEK is not shown');
      other.assertClean();
    } finally {
      await other.close();
    }
  });

  test('RFC 7662 §2.2: a token revoked in the console introspects as inactive', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    const rs = await createTestClient(s.gh, { client_name: 'Resource server', access_token_format: 'opaque' });
    const as = await discover(s.url);
    const token = (await clientCredentials(as, rs, { scope: 'read' })).access_token;
    const introspect = async () => {
      const r = await fetch(`${s.url}/introspect`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${rs.client_id}:${rs.client_secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ token }),
      });
      return ((await r.json()) as { active: boolean }).active;
    };
    assert.equal(await introspect(), true);
    const tab = await chromium.open('console-grants');
    try {
      const { page } = tab;
      await signIn(page, s.url, 'root-admin', '/admin/grants');
      await page.fill('#lookup-client_id', rs.client_id);
      await page.press('#lookup-client_id', 'Enter');
      const row = page.locator('tr[data-grant]');
      await row.first().waitFor();
      assert.equal(await row.count(), 1);
      await shot(tab, 'grants-light');
      await row.first().locator('button[id$="-open"]').click();
      await page.locator('dialog[open] button[type=submit]').click();
      await page.waitForSelector('text=The grant was revoked.');
      assert.equal(await introspect(), false);
      // The audit log page finds the revocation by action, with the admin as actor.
      await page.goto(`${s.url}/admin/audit?action=grants.revoke`);
      assert.match(await page.locator('tbody').innerText(), /grants\.revoke/);
      await page.click('#verify-chain');
      await page.waitForSelector('text=Chain verified');
      await shot(tab, 'audit-light');
      // RFC 8628 §3.1: a pending device authorization request is listed (never its codes).
      const tv = await createTestClient(s.gh, {
        client_name: 'Living room TV',
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code'],
        response_types: [],
        token_endpoint_auth_method: 'none',
        scope: 'openid',
      });
      const da = await fetch(`${s.url}/device_authorization`, { method: 'POST', body: new URLSearchParams({ client_id: tv.client_id, scope: 'openid' }) });
      const { device_code, user_code } = (await da.json()) as { device_code: string; user_code: string };
      await page.goto(`${s.url}/admin/device-codes`);
      const listed = await page.locator('tbody').innerText();
      assert.match(listed, new RegExp(tv.client_id));
      assert.ok(!listed.includes(device_code) && !listed.includes(user_code), 'no code is shown');
      await shot(tab, 'device-codes-light');
      tab.assertClean();
    } finally {
      await tab.close();
    }
  });

  test('dark mode: follows the system preference, toggles, and the choice persists across pages and reloads', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    const tab = await chromium.open('console-theme');
    try {
      const { page } = tab;
      await page.emulateMedia({ colorScheme: 'dark' });
      await signIn(page, s.url, 'root-admin');
      assert.equal(await isDark(page), true, 'system preference: dark');
      await shot(tab, 'dashboard-dark');
      await page.click('#theme-toggle');
      assert.equal(await isDark(page), false);
      await page.reload();
      assert.equal(await isDark(page), false, 'the light choice is remembered over the system preference');
      await page.click('#theme-toggle');
      await page.goto(`${s.url}/admin/clients`);
      assert.equal(await isDark(page), true);
      await shot(tab, 'clients-dark');
      await page.emulateMedia({ colorScheme: 'light' });
      await page.reload();
      assert.equal(await isDark(page), true, 'the dark choice is remembered over the system preference');
      // Keyboard: the toggle is a button reachable with Tab, with a visible focus ring.
      await page.focus('#theme-toggle');
      assert.notEqual(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle'), 'none');
      tab.assertClean();
    } finally {
      await tab.close();
    }
  });

  test('server-side paging, search and sort with 1,000 clients', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    const { clientService } = s.gh.services;
    const policy = (await import('../../src/core/registration/client-metadata.ts')).OPERATOR_POLICY;
    for (let i = 0; i < 1000; i++) {
      await clientService.create({
        metadata: { client_name: `Load ${String(i).padStart(4, '0')}`, grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' },
        policy,
        via: 'cli',
      });
    }
    const tab = await chromium.open('console-paging');
    try {
      const { page } = tab;
      await signIn(page, s.url, 'root-admin', '/admin/clients?sort=client_name');
      await page.emulateMedia({ colorScheme: 'light' });
      const names = () => page.locator('tbody tr td:nth-child(2)').allInnerTexts();
      const first = await names();
      assert.equal(first.length, 25);
      assert.deepEqual(first, [...first].sort());
      await shot(tab, 'clients-light');
      await page.click('#next-page');
      const second = await names();
      assert.equal(second.length, 25);
      assert.ok(second[0]! > first[24]!, 'the next page continues after the first');
      // Descending by name, then a search.
      await page.goto(`${s.url}/admin/clients?sort=-client_name&q=Load`);
      assert.equal((await names())[0], 'Load 0999');
      await page.fill('#q', 'Load 012');
      await page.press('#q', 'Enter');
      await page.waitForURL(/q=Load\+012/);
      assert.deepEqual(
        (await names()).sort(),
        Array.from({ length: 10 }, (_, i) => `Load 012${i}`),
      );
      tab.assertClean();
    } finally {
      await tab.close();
    }
  });
});

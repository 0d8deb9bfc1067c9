/**
 * Logout pages in real Chromium against the whole server: the RP's check_session iframe
 * (postMessage + SubtleCrypto, OIDC Session Management 1.0), RP-Initiated Logout with a
 * Front-Channel Logout iframe and the automatic continue (/assets/logout.js), and the
 * confirmation page by keyboard. A console error or a CSP violation on any page fails the test.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { focused, launchBrowser, waitForExpression, withTab, type Chromium } from '../support/browser.ts';
import { createTestUser } from '../support/oidc.ts';
import { createTestClient, startTestServer, type TestServer } from '../support/server.ts';

const PASSWORD = 'logout-browser-password';

/**
 * The relying party: `/cb` (redirect URI), `/fcl` (front-channel logout URI, records its query),
 * `/bye` (post-logout landing) and `/rp?ss=<session_state>`, a page that frames the OP's
 * check_session_iframe, posts `client_id + " " + session_state` and shows the answer as its title.
 */
async function startRp(op: string, clientId: () => string): Promise<{ origin: string; frontchannel: URL[]; close(): Promise<void> }> {
  const frontchannel: URL[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    if (url.pathname === '/favicon.ico') return void res.writeHead(204).end();
    if (url.pathname === '/fcl') frontchannel.push(url);
    const body =
      url.pathname === '/post-logout'
        ? // An RP on another site POSTs the logout request (RP-Initiated Logout §2 allows POST).
          `<form id="f" method="post" action="${op}/end_session">${[...url.searchParams].map(([k, v]) => `<input type="hidden" name="${k}" value="${v.replace(/"/g, '&quot;')}">`).join('')}</form>
<script>document.getElementById('f').submit();</script>`
        : url.pathname === '/rp'
          ? `<script>
var f = document.createElement('iframe');
f.src = ${JSON.stringify(`${op}/session/check`)};
window.addEventListener('message', function (e) { if (e.origin === ${JSON.stringify(op)}) document.title = 'answer:' + e.data; });
f.onload = function () { f.contentWindow.postMessage(${JSON.stringify(clientId())} + ' ' + ${JSON.stringify(url.searchParams.get('ss') ?? '')}, ${JSON.stringify(op)}); };
document.body.appendChild(f);
</script>`
          : `<h1>RP ${url.pathname}</h1>`;
    res
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      .end(`<!DOCTYPE html><html lang="en"><head><title>RP</title></head><body>${body}</body></html>`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    frontchannel,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('logout pages in Chromium (whole server)', () => {
  let chromium: Chromium | { skip: string };
  let op: TestServer;
  let rp: Awaited<ReturnType<typeof startRp>>;
  let clientId = '';
  let clientSecret = '';
  const verifier = randomBytes(32).toString('base64url');

  before(async () => {
    chromium = await launchBrowser();
    op = await startTestServer();
    rp = await startRp(op.url, () => clientId);
    await createTestUser(op.gh, { username: 'carol', password: PASSWORD, claims: { name: 'Carol Example' } });
    ({ client_id: clientId, client_secret: clientSecret } = await createTestClient(op.gh, {
      client_name: 'Logout Test App',
      redirect_uris: [`${rp.origin}/cb`],
      post_logout_redirect_uris: [`${rp.origin}/bye`],
      frontchannel_logout_uri: `${rp.origin}/fcl`,
      frontchannel_logout_session_required: true,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'openid profile',
      first_party: true,
    }));
  });
  after(async () => {
    if ('browser' in chromium) await chromium.close();
    await op?.close();
    await rp?.close();
  });

  /** Signs in through the real pages; returns the ID token and session_state of the response. */
  async function signIn(page: Page): Promise<{ idToken: string; sessionState: string; sid: string }> {
    const u = new URL('/authorize', op.url);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    for (const [k, v] of Object.entries({
      client_id: clientId,
      redirect_uri: `${rp.origin}/cb`,
      response_type: 'code',
      scope: 'openid',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'st',
    }))
      u.searchParams.set(k, v);
    await page.goto(u.href);
    await page.getByLabel('Username').fill('carol');
    await page.getByLabel('Password').fill(PASSWORD);
    await Promise.all([page.waitForURL(`${rp.origin}/cb**`), page.getByRole('button', { name: 'Sign in' }).click()]);
    const cb = new URL(page.url());
    const res = await fetch(`${op.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: cb.searchParams.get('code')!,
        redirect_uri: `${rp.origin}/cb`,
        code_verifier: verifier,
      }),
    });
    const { id_token: idToken } = (await res.json()) as { id_token: string };
    const { sid } = JSON.parse(Buffer.from(idToken.split('.')[1]!, 'base64url').toString()) as { sid: string };
    return { idToken, sessionState: cb.searchParams.get('session_state')!, sid };
  }

  /** What the OP's check_session iframe answers the RP page. */
  async function checkSession(page: Page, sessionState: string): Promise<string> {
    await page.goto(`${rp.origin}/rp?ss=${encodeURIComponent(sessionState)}`);
    await waitForExpression(page, `document.title.startsWith('answer:')`);
    return (await page.title()).slice('answer:'.length);
  }

  test('oidcc-session-management-rp-initiated-logout + oidcc-frontchannel-rp-initiated-logout in a real browser', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    await withTab(chromium, 'logout-frontchannel', async ({ page, shot }) => {
      const { idToken, sessionState, sid } = await signIn(page);
      assert.ok(sessionState, 'session_state in the authorization response');
      assert.equal(await checkSession(page, sessionState), 'unchanged');
      const end = new URL('/end_session', op.url);
      for (const [k, v] of Object.entries({ id_token_hint: idToken, post_logout_redirect_uri: `${rp.origin}/bye`, state: 'bye-state' }))
        end.searchParams.set(k, v);
      // The signed-out page loads the RP's iframe, then /assets/logout.js continues to the RP.
      await Promise.all([page.waitForURL(`${rp.origin}/bye?state=bye-state`), page.goto(end.href)]);
      assert.equal(rp.frontchannel.length, 1, 'the front-channel iframe was loaded');
      assert.equal(rp.frontchannel[0]!.searchParams.get('iss'), op.url);
      assert.equal(rp.frontchannel[0]!.searchParams.get('sid'), sid);
      assert.equal(await checkSession(page, sessionState), 'changed', 'signed out: the browser state changed');
      await shot('after');
    });
  });

  test('RP-Initiated Logout §2 POST from another site: the session cookie (SameSite=Lax) is recovered by a same-origin re-post', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    await withTab(chromium, 'logout-cross-site-post', async ({ page }) => {
      const { idToken } = await signIn(page);
      // localhost and 127.0.0.1 are different sites: the browser leaves Lax cookies off this POST.
      const from = new URL(`${rp.origin.replace('127.0.0.1', 'localhost')}/post-logout`);
      for (const [k, v] of Object.entries({ id_token_hint: idToken, post_logout_redirect_uri: `${rp.origin}/bye`, state: 'xs' })) from.searchParams.set(k, v);
      const posts: string[] = [];
      page.on('request', (r) => {
        if (r.method() === 'POST' && r.url() === `${op.url}/end_session`) posts.push(new URLSearchParams(r.postData() ?? '').get('gh_resubmit') ?? 'rp');
      });
      await Promise.all([page.waitForURL(`${rp.origin}/bye?state=xs`), page.goto(from.href)]);
      assert.deepEqual(posts, ['rp', '1'], "the RP's POST, then our same-origin re-post");
      const cookies = await page.context().cookies(op.url);
      assert.equal(
        cookies.some((c) => c.name === op.gh.ctx.config.session.cookieName),
        false,
        'signed out',
      );
    });
  });

  test('RP-Initiated Logout §2 confirmation by keyboard: the focused "Sign out" button signs out', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    await withTab(chromium, 'logout-confirm', async ({ page, shot, context }) => {
      await signIn(page);
      await page.goto(`${op.url}/end_session`);
      assert.equal(await page.title(), 'Sign out of Gatehouse? · Gatehouse');
      await page.getByRole('heading', { name: 'Sign out of Gatehouse?' }).waitFor();
      assert.match(await page.locator('main').innerText(), /Signed in as carol/);
      await waitForExpression(page, `document.activeElement && document.activeElement.textContent.trim() === 'Sign out'`);
      assert.equal((await focused(page)).text, 'Sign out');
      await shot('confirm');
      await Promise.all([page.waitForLoadState('load'), page.keyboard.press('Enter')]);
      await page.getByRole('heading', { name: 'You have signed out' }).waitFor();
      await shot('signed-out');
      const cookies = await context.cookies(op.url);
      assert.equal(
        cookies.some((c) => c.name === op.gh.ctx.config.session.cookieName || c.name === 'gh_browser_state'),
        false,
        'both cookies are gone',
      );
    });
  });
});

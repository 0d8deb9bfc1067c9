/**
 * The console's sign-in over HTTP (the Chromium side is test/browser/console.test.ts): the
 * console is a relying party of this server, so its callback checks what OIDC Core §3.1.2.7 and
 * RFC 9207 ask of any client, and bad input gets a page, never a 500.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/server.ts';

const noRedirect = { redirect: 'manual' } as const;

describe('admin console sign-in', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  test('a page without a console session redirects (303) to the console sign-in, which starts an S256 code flow as gatehouse-console', async () => {
    const r = await fetch(`${s.url}/admin/clients?sort=client_name`, noRedirect);
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('location'), `${s.url}/admin/sign-in?return_to=%2Fadmin%2Fclients%3Fsort%3Dclient_name`);
    const start = await fetch(r.headers.get('location')!, noRedirect);
    assert.equal(start.status, 303);
    const to = new URL(start.headers.get('location')!);
    assert.equal(to.origin + to.pathname, `${s.url}/authorize`);
    assert.deepEqual(
      ['client_id', 'response_type', 'scope', 'code_challenge_method', 'redirect_uri'].map((k) => to.searchParams.get(k)),
      ['gatehouse-console', 'code', 'openid', 'S256', `${s.url}/admin/callback`],
    );
    assert.match(to.searchParams.get('state') ?? '', /^[\w-]{20,}$/);
    assert.match(to.searchParams.get('nonce') ?? '', /^[\w-]{20,}$/);
    assert.match(start.headers.get('set-cookie') ?? '', /^gh_console_flow=[^;]+; Max-Age=600; Path=\/; HttpOnly; SameSite=Lax/);
  });

  test('RFC 9207 §2.4 and OAuth 2.0 §10.12: a callback with a foreign iss, a wrong state or no flow cookie gets a 400 page and no session', async () => {
    const start = await fetch(`${s.url}/admin/sign-in`, noRedirect);
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const flow = (start.headers.get('set-cookie') ?? '').split(';')[0]!;
    // Each refusal names its reason, so a check that is removed shows up here (not as a later failure).
    const cases: [string, string, RegExp][] = [
      [`state=${state}&code=abc&iss=${encodeURIComponent('https://evil.example')}`, flow, /came from another issuer/],
      [`state=${state}&code=abc`, flow, /came from another issuer/],
      [`state=wrong&code=abc&iss=${encodeURIComponent(s.url)}`, flow, /not started here or took too long/],
      [`state=${state}&code=abc&iss=${encodeURIComponent(s.url)}`, '', /not started here or took too long/],
    ];
    for (const [query, cookie, reason] of cases) {
      const r = await fetch(`${s.url}/admin/callback?${query}`, { ...noRedirect, headers: cookie ? { cookie } : {} });
      assert.equal(r.status, 400, query);
      assert.match(r.headers.get('content-type') ?? '', /text\/html/);
      assert.doesNotMatch(r.headers.get('set-cookie') ?? '', /gh_console=[^;]/, 'no console session');
      assert.match(await r.text(), reason, query);
    }
    // The right state and issuer but a code this server never issued: refused at the token endpoint.
    const r = await fetch(`${s.url}/admin/callback?state=${state}&code=not-a-code&iss=${encodeURIComponent(s.url)}`, {
      ...noRedirect,
      headers: { cookie: flow },
    });
    assert.equal(r.status, 400);
    assert.match(await r.text(), /could not be completed/);
  });

  test('the console pages carry the strict CSP: same-origin scripts and styles only, no unsafe-inline or unsafe-eval', async () => {
    const r = await fetch(`${s.url}/admin/sign-in`, noRedirect);
    const page = await fetch(`${s.url}/admin/callback?state=x`, { headers: { cookie: (r.headers.get('set-cookie') ?? '').split(';')[0]! } });
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /style-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-(inline|eval)/);
    assert.match(csp, /connect-src 'self'/, 'the dashboard refresh fetches from this origin only');
    const html = await page.text();
    for (const m of html.matchAll(/<(?:script|link rel="stylesheet") [^>]*>/g)) assert.match(m[0], /integrity="sha384-[A-Za-z0-9+/]+=*"/, m[0]);
    const css = await fetch(`${s.url}${/href="[^"]*?(\/admin\/assets\/console\.css\?v=[\w-]+)"/.exec(html)![1]!.replace(/^.*?\/admin/, '/admin')}`);
    assert.equal(css.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  });

  test('development with a plain-http issuer that is not loopback: the server still starts, without the console client (a warning says why)', async () => {
    const lines: string[] = [];
    const dev = await startTestServer(
      { log: { level: 'warn' } },
      { issuerHost: 'gatehouse.internal', logger: { stream: { write: (l: string) => lines.push(l) } } },
    );
    try {
      assert.ok(!(await dev.gh.services.storage.clients.get(dev.gh.ctx.tenantId, 'gatehouse-console')));
      assert.ok(
        lines.some((l) => l.includes('the admin console is unavailable')),
        lines.join(''),
      );
    } finally {
      await dev.close();
    }
  });

  test('console.enabled = false: no console (404)', async () => {
    const off = await startTestServer({ console: { enabled: false } });
    try {
      assert.equal((await fetch(`${off.url}/admin`, noRedirect)).status, 404);
      assert.ok(!(await off.gh.services.storage.clients.get(off.gh.ctx.tenantId, 'gatehouse-console')), 'no built-in client either');
    } finally {
      await off.close();
    }
  });
});

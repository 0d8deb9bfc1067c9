import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REDIRECT_URI, startPagesHarness, type PagesHarness } from '../../../test/support/pages-harness.ts';
import { formValues } from '../../../test/support/html-forms.ts';
import { UserAgent, type Outcome, type Page } from '../../../test/support/user-agent.ts';
import { LOGIN_FAILED, LOGIN_THROTTLED } from '../pages/login-page.ts';
import { EN } from '../pages/messages/en.ts';
import { authorizationParams } from './authorize.ts';

function page(out: Outcome): Page {
  if (out.kind !== 'page') assert.fail(`expected a page, got ${out.kind}`);
  return out.page;
}
function redirect(out: Outcome): URL {
  if (out.kind !== 'redirect')
    assert.fail(`expected a redirect, got ${out.kind === 'page' ? `the ${out.page.kind} page: ${out.page.text.slice(0, 200)}` : out.kind}`);
  return out.url;
}

describe('authorization endpoint (HTTP side) with a scripted core', () => {
  let h: PagesHarness;
  before(async () => {
    h = await startPagesHarness({ login: { maxAttempts: 3, attemptWindow: 60 } });
    await h.addUser('alice', 'alice-password', 'Alice Example');
    await h.addUser('bob', 'bob-password');
    await h.addUser('carol', 'carol-password');
  });
  after(() => h.close());

  test('OIDC Core §3.1.2.1: GET /authorize without a session shows the sign-in page under a strict CSP', async () => {
    const p = page(await new UserAgent(h.url).navigate(h.authorizeUrl({ state: 's1' })));
    assert.equal(p.status, 200);
    assert.equal(p.kind, 'login');
    const csp = p.headers.get('content-security-policy')!;
    assert.equal(
      csp,
      "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; form-action 'self' https://rp.example.test; frame-ancestors 'none'; base-uri 'none'",
    );
    assert.equal(p.headers.get('cache-control'), 'no-store');
    assert.match(p.html, /<html lang="en">/);
    assert.match(
      p.html,
      /<label for="username">Username<\/label>\s*<input id="username" name="username" type="text" value="" autocomplete="username" autofocus required>/,
    );
    assert.match(p.html, /<label for="password">Password<\/label>/);
    assert.match(p.html, /autocomplete="current-password"/);
    assert.doesNotMatch(p.html, /<script|style=/, 'no inline script or style');
    assert.match(p.text, /to continue to Harness App/);
  });

  test('a wrong password and an unknown user get the same neutral message; nothing is written', async () => {
    const ua = new UserAgent(h.url);
    const before = h.sessionCount();
    const wrong = page(await ua.authorize(h.authorizeUrl(), { username: 'bob', password: 'nope' }));
    const unknown = page(await ua.authorize(h.authorizeUrl(), { username: 'nobody-here', password: 'nope' }));
    for (const p of [wrong, unknown]) {
      assert.equal(p.kind, 'login');
      assert.ok(p.text.includes(EN[LOGIN_FAILED]));
      assert.match(p.html, /role="alert"/);
    }
    assert.equal(wrong.text.replace('bob', 'X'), unknown.text.replace('nobody-here', 'X'));
    assert.equal(h.sessionCount(), before);
    assert.equal(ua.cookies.has(h.config.session.cookieName), false);
  });

  test('RFC 6749 §4.1.2 + RFC 9207: sign-in and consent return code, state and iss, keeping the redirect URI query', async () => {
    const ua = new UserAgent(h.url);
    const login = page(await ua.navigate(h.authorizeUrl({ scope: 'openid email', state: 'st-1' })));
    const consent = page(await ua.login(login, 'alice', 'alice-password'));
    assert.equal(consent.kind, 'consent');
    assert.match(consent.text, /Your email address and whether it is verified/);
    assert.match(consent.text, /Signed in as alice/);
    assert.match(consent.headers.get('content-security-policy')!, /form-action 'self' https:\/\/rp\.example\.test;/);
    const cb = redirect(await ua.consent(consent, 'allow'));
    assert.equal(`${cb.origin}${cb.pathname}`, 'https://rp.example.test/cb');
    assert.equal(cb.searchParams.get('tenant'), 'a', 'the registered query is retained');
    assert.match(cb.searchParams.get('code')!, /^code-\d+-user-1$/);
    assert.equal(cb.searchParams.get('state'), 'st-1');
    assert.equal(cb.searchParams.get('iss'), h.url);
  });

  test('session cookie: HttpOnly, SameSite=Lax, Path=/, not Secure on an http issuer; browser state readable', async () => {
    const res = await signIn(h, 'carol', 'carol-password');
    const cookies = res.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith(`${h.config.session.cookieName}=`))!;
    assert.match(session, /; HttpOnly/);
    assert.match(session, /; SameSite=Lax/);
    assert.match(session, /; Path=\//);
    assert.doesNotMatch(session, /Secure/);
    assert.match(session, /Max-Age=86400/);
    assert.equal(Buffer.from(session.split(';')[0]!.split('=')[1]!, 'base64url').length, 32);
    const state = cookies.find((c) => c.startsWith('gh_browser_state='))!;
    assert.doesNotMatch(state, /HttpOnly/);
  });

  test('consent Deny: access_denied goes back to the client with state and iss', async () => {
    const ua = new UserAgent(h.url);
    const cb = redirect(
      await ua.authorize(h.authorizeUrl({ scope: 'openid email', prompt: 'consent', state: 'd1' }), {
        username: 'bob',
        password: 'bob-password',
        consent: 'deny',
      }),
    );
    assert.equal(cb.searchParams.get('error'), 'access_denied');
    assert.equal(cb.searchParams.get('state'), 'd1');
    assert.equal(cb.searchParams.get('iss'), h.url);
  });

  test('response_mode=fragment and form_post', async () => {
    const ua = new UserAgent(h.url);
    const frag = redirect(await ua.authorize(h.authorizeUrl({ response_mode: 'fragment', state: 'f1' }), { username: 'alice', password: 'alice-password' }));
    const params = new URLSearchParams(frag.hash.slice(1));
    assert.equal(params.get('state'), 'f1');
    assert.equal(params.get('iss'), h.url);
    assert.equal(frag.search, '?tenant=a');
    const res = await ua.request(h.authorizeUrl({ response_mode: 'form_post', state: 'fp1' }));
    const html = await res.text();
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-security-policy')!, /form-action https:\/\/rp\.example\.test;/);
    assert.match(html, /<form id="gh-form-post" method="post" action="https:\/\/rp\.example\.test\/cb\?tenant=a">/);
    assert.match(html, /<input type="hidden" name="state" value="fp1">/);
    assert.match(html, /<script src="[^"]+\/assets\/form-post\.js\?v=[\w-]+" defer><\/script>/);
    assert.match(html, /<noscript>[\s\S]*<button type="submit"[^>]*>Continue<\/button>[\s\S]*<\/noscript>/);
  });

  test('RFC 6749 §4.1.2.1: before the client and redirect URI are validated, errors are a page, never a redirect', async () => {
    const ua = new UserAgent(h.url);
    const unknown = page(await ua.navigate(h.authorizeUrl({ client_id: 'nope' })));
    assert.equal(unknown.status, 400);
    assert.match(unknown.text, /Error code: invalid_request/);
    const badUri = page(await ua.navigate(h.authorizeUrl({ redirect_uri: 'https://evil.example/cb' })));
    assert.equal(badUri.status, 400);
    const dup = page(await ua.navigate(`${h.authorizeUrl()}&client_id=again`));
    assert.equal(dup.status, 400);
    assert.match(dup.text, /included more than once/);
    assert.doesNotMatch(dup.html, /at \w+ \(|node:internal|\.ts:\d+/, 'no stack trace');
    const after = redirect(await ua.navigate(h.authorizeUrl({ response_type: 'token', state: 'e1' })));
    assert.equal(after.searchParams.get('error'), 'unsupported_response_type');
    assert.equal(after.searchParams.get('state'), 'e1');
    assert.equal(after.searchParams.get('iss'), h.url);
  });

  test('POST /authorize takes application/x-www-form-urlencoded; other bodies get the error page', async () => {
    const ua = new UserAgent(h.url);
    const p = page(await ua.navigate(`${h.url}/authorize`, { method: 'POST', body: new URLSearchParams(new URL(h.authorizeUrl()).searchParams) }));
    assert.equal(p.kind, 'login');
    for (const [type, status] of [
      ['application/json', 400],
      ['application/xml', 415],
    ] as const) {
      const res = await fetch(`${h.url}/authorize`, { method: 'POST', headers: { 'content-type': type }, body: '{}' });
      assert.equal(res.status, status, type);
      assert.match(res.headers.get('content-type')!, /^text\/html/);
      assert.match(await res.text(), /Error code: <span class="gh-code">invalid_request<\/span>/);
    }
  });

  test('forged, missing or cross-origin CSRF token: 403 page and nothing written', async () => {
    const ua = new UserAgent(h.url);
    const login = page(await ua.navigate(h.authorizeUrl()));
    const form = login.forms[0]!;
    const before = h.sessionCount();
    for (const override of [{ csrf_token: 'AAAA.BBBB' }, { csrf_token: '' }]) {
      const p = page(await ua.submit(form, { username: 'alice', password: 'alice-password', ...override }));
      assert.equal(p.status, 403);
      assert.match(p.text, /csrf_failed/);
    }
    const stranger = new UserAgent(h.url);
    await stranger.navigate(h.authorizeUrl());
    const p = page(await stranger.submit(form, { username: 'alice', password: 'alice-password' }));
    assert.equal(p.status, 403, "another browser's token does not match this cookie");
    const values = fill(form, { username: 'alice', password: 'alice-password' });
    const res = await ua.request(`${h.url}/login`, { method: 'POST', body: values, headers: { origin: 'https://evil.example' } });
    assert.equal(res.status, 403);
    assert.equal(h.sessionCount(), before);
  });

  test('sealed interaction: tampered, expired or replayed in another browser is refused', async () => {
    const ua = new UserAgent(h.url);
    const login = page(await ua.navigate(h.authorizeUrl()));
    const form = login.forms[0]!;
    const sealed = form.fields.find((f) => f.name === 'interaction')!.value;
    const tampered = sealed.slice(0, -4) + (sealed.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const p1 = page(await ua.submit(form, { interaction: tampered, username: 'alice', password: 'alice-password' }));
    assert.equal(p1.status, 400);
    assert.match(p1.text, /interaction_invalid/);
    h.clock.advance(h.config.authorization.interactionTtl + 1);
    const p2 = page(await ua.submit(form, { username: 'alice', password: 'alice-password' }));
    h.clock.advance(-(h.config.authorization.interactionTtl + 1));
    assert.match(p2.text, /interaction_expired/);
    const other = new UserAgent(h.url);
    const otherLogin = page(await other.navigate(h.authorizeUrl()));
    const csrf = otherLogin.forms[0]!.fields.find((f) => f.name === 'csrf_token')!.value;
    const p3 = page(await other.submit(form, { csrf_token: csrf, username: 'alice', password: 'alice-password' }));
    assert.match(p3.text, /interaction_invalid/, 'bound to the browser that started it');
  });

  test('session fixation: every sign-in issues a new session value and the old one stops working', async () => {
    const ua = new UserAgent(h.url);
    redirect(await ua.authorize(h.authorizeUrl(), { username: 'alice', password: 'alice-password' }));
    const first = ua.cookies.get(h.config.session.cookieName)!;
    redirect(await ua.authorize(h.authorizeUrl({ prompt: 'login' }), { username: 'alice', password: 'alice-password' }));
    const second = ua.cookies.get(h.config.session.cookieName)!;
    assert.notEqual(first, second);
    const old = new UserAgent(h.url);
    old.cookies.set(h.config.session.cookieName, first);
    assert.equal(page(await old.navigate(h.authorizeUrl())).kind, 'login');
  });

  test('prompt=select_account: the chooser lists both accounts and "use another account"', async () => {
    const ua = new UserAgent(h.url);
    redirect(await ua.authorize(h.authorizeUrl(), { username: 'alice', password: 'alice-password' }));
    redirect(await ua.authorize(h.authorizeUrl({ prompt: 'login' }), { username: 'bob', password: 'bob-password' }));
    const chooser = page(await ua.navigate(h.authorizeUrl({ prompt: 'select_account' })));
    assert.equal(chooser.kind, 'select_account');
    assert.match(chooser.text, /alice Alice Example/);
    assert.match(chooser.text, /bob/);
    assert.match(chooser.text, /Use another account/);
    const cb = redirect(await ua.selectAccount(chooser, 'alice'));
    assert.match(cb.searchParams.get('code')!, /-user-1$/, 'signed in as the chosen account');
    const again = page(await ua.navigate(h.authorizeUrl({ prompt: 'select_account' })));
    assert.equal(page(await ua.selectAccount(again, null)).kind, 'login');
  });

  test('brute force: over login.maxAttempts the same neutral page answers 429, even with the right password', async () => {
    const ua = new UserAgent(h.url);
    for (let i = 0; i < 3; i++) page(await ua.authorize(h.authorizeUrl(), { username: 'carol', password: `wrong-${i}` }));
    const p = page(await ua.authorize(h.authorizeUrl(), { username: 'carol', password: 'carol-password' }));
    assert.equal(p.status, 429);
    assert.ok(p.text.includes(EN[LOGIN_THROTTLED]));
    assert.ok(Number(p.headers.get('retry-after')) > 0);
    // Same client address: the per-address count refuses any username now, with the same text.
    const ghost = page(await new UserAgent(h.url).authorize(h.authorizeUrl(), { username: 'ghost', password: 'x' }));
    assert.equal(ghost.status, 429);
    assert.equal(ghost.text.replace('ghost', 'X'), p.text.replace('carol', 'X'), 'nothing tells whether a user exists');
    h.clock.advance(61);
    redirect(await ua.authorize(h.authorizeUrl(), { username: 'carol', password: 'carol-password' }));
  });

  test('NIST SP 800-63B §5.2.2: only failed sign-ins count, and a success does not clear the address (password spraying)', async () => {
    h.clock.advance(61);
    const ua = new UserAgent(h.url);
    // Successes alone never throttle an address (a shared office address signs in all day).
    for (let i = 0; i < 5; i++) redirect(await new UserAgent(h.url).authorize(h.authorizeUrl(), { username: 'alice', password: 'alice-password' }));
    page(await ua.authorize(h.authorizeUrl(), { username: 'ghost-1', password: 'guess' }));
    page(await ua.authorize(h.authorizeUrl(), { username: 'ghost-2', password: 'guess' }));
    // Signing in to one's own account between guesses does not reset the address's failures.
    redirect(await new UserAgent(h.url).authorize(h.authorizeUrl(), { username: 'alice', password: 'alice-password' }));
    page(await ua.authorize(h.authorizeUrl(), { username: 'ghost-3', password: 'guess' }));
    const p = page(await ua.authorize(h.authorizeUrl(), { username: 'ghost-4', password: 'guess' }));
    assert.equal(p.status, 429);
    h.clock.advance(61);
  });

  test('standalone sign-in: return_to must be a same-origin path', async () => {
    const ua = new UserAgent(h.url);
    for (const bad of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', '/%09/evil', 'javascript:alert(1)']) {
      const res = await ua.request(`${h.url}/login?return_to=${encodeURIComponent(bad === '/%09/evil' ? '/\t/evil' : bad)}`);
      assert.equal(res.status, 400, bad);
      await res.arrayBuffer();
    }
    const login = page(await ua.navigate(`${h.url}/login?return_to=${encodeURIComponent('/device?user_code=ABCD')}`));
    assert.equal(login.kind, 'login');
    const res = await ua.request(login.forms[0]!.action, {
      method: 'POST',
      body: fill(login.forms[0]!, { username: 'alice', password: 'alice-password' }),
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/device?user_code=ABCD');
    assert.ok(ua.cookies.has(h.config.session.cookieName));
  });

  test('assets: one stylesheet, generated theme, scripts; immutable caching and correct types', async () => {
    const css = await fetch(`${h.url}/assets/gatehouse.css`);
    assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
    assert.equal(css.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.match(await css.text(), /:focus-visible/);
    const theme = await (await fetch(`${h.url}/assets/theme.css`)).text();
    assert.match(theme, /--gh-primary: #1d4ed8;/);
    const js = await fetch(`${h.url}/assets/form-post.js`);
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    await js.arrayBuffer();
    const missing = await fetch(`${h.url}/assets/nope.css`);
    assert.equal(missing.status, 404);
    await missing.arrayBuffer();
    const logo = await fetch(`${h.url}/assets/logo`);
    assert.equal(logo.status, 404, 'no logo configured');
    await logo.arrayBuffer();
  });
});

describe('authorization request parameters', () => {
  test('RFC 6749 §3.1: empty values are omitted, known parameters may not repeat, unknown ones are ignored', () => {
    assert.deepEqual(
      {
        ...authorizationParams([
          ['scope', ''],
          ['state', 'x'],
          ['foo', '1'],
          ['foo', '2'],
        ]),
      },
      { state: 'x', foo: '1' },
    );
    assert.throws(
      () =>
        authorizationParams([
          ['state', 'a'],
          ['state', 'b'],
        ]),
      /included more than once/,
    );
    assert.deepEqual(
      {
        ...authorizationParams([
          ['resource', 'https://a/'],
          ['resource', 'https://b/'],
        ]),
      },
      { resource: 'https://a/ https://b/' },
    );
  });
  test('redirect URI constant used by the harness keeps its query', () => {
    assert.equal(new URL(REDIRECT_URI).search, '?tenant=a');
  });
});

/** The form's fields with `values` filled in (as a browser would submit it). */
function fill(form: Page['forms'][number], values: Record<string, string>): URLSearchParams {
  return formValues(form, values);
}

async function signIn(h: PagesHarness, username: string, password: string): Promise<Response> {
  const ua = new UserAgent(h.url);
  const login = page(await ua.navigate(h.authorizeUrl()));
  const form = login.forms[0]!;
  return ua.request(form.action, {
    method: 'POST',
    body: fill(form, { username, password }),
  });
}

/**
 * CSRF on every form the server renders (OWASP CSRF Prevention Cheat Sheet, signed double-submit
 * cookie; OIDC Core §3.1.2.3-§3.1.2.4 for the sign-in and consent steps; RFC 8628 §3.3 for the
 * device pages; RP-Initiated Logout §2 for the logout confirmation). Each POST that checks the
 * token (`csrf.verify` in src/http/routes: /login, /consent, /confirm, /select-account, /device,
 * /end_session) is sent four ways that a cross-site attacker could manage:
 *
 *   - a forged token (well-formed, wrong MAC);
 *   - no token at all;
 *   - a genuine token, but one issued to the attacker's own browser (another CSRF cookie);
 *   - this browser's genuine token from a foreign `Origin`.
 *
 * Each must get the 403 `csrf_failed` page with nothing written: no sign-in, no consent, no
 * account switch, no code, no device decision, no logout. Then the same form, submitted as the
 * page built it, does what it is for (the control: the refusals came from the CSRF check alone).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { DEVICE_CODE_GRANT_TYPE } from '../../src/core/device-authorization/device-authorization.ts';
import type { EventName } from '../../src/core/events.ts';
import { formValues, type FormSubmitter, type HtmlForm } from '../support/html-forms.ts';
import { discover, INSECURE } from '../support/oauth-client.ts';
import {
  authRequest,
  callbackOf,
  codeFlow,
  createRp,
  createTestUser,
  rpConfig,
  startRpFlow,
  type OidcServer,
  type TestRp,
  type TestUser,
} from '../support/oidc.ts';
import { createTestClient } from '../support/server.ts';
import { UserAgent, type Outcome, type Page } from '../support/user-agent.ts';

const WRITES = [
  'user.authenticated',
  'consent.granted',
  'authorization.granted',
  'device_code.decided',
  'logout.completed',
] as const satisfies readonly EventName[];
const MAX_CODE_ATTEMPTS = 4;

let op: OidcServer;
let alice: TestUser;
let as: oauth.AuthorizationServer;
const written: string[] = [];

before(async () => {
  ({ op, user: alice } = await startRpFlow({ server: { device: { userCodeMaxAttempts: MAX_CODE_ATTEMPTS } } }));
  as = await discover(op.url, 'oidc');
  for (const name of WRITES) op.gh.ctx.events.on(name, () => written.push(name));
});
after(() => op?.close());

const sessionCookie = () => op.gh.ctx.config.session.cookieName;

function pageOf(out: Outcome): Page {
  if (out.kind !== 'page') assert.fail(`expected a page, got a ${out.kind}${out.kind === 'redirect' ? ` to ${out.url.href}` : ''}`);
  return out.page;
}

/** The form posting to `path` on `page`, and its submitter whose value is `value` (if any). */
function formOf(page: Page, path: string, value?: string): { form: HtmlForm; submitter: FormSubmitter | undefined } {
  const form = page.forms.find((f) => new URL(f.action).pathname === path);
  assert.ok(form, `a form posting to ${path} on ${page.url}: ${page.text.slice(0, 200)}`);
  assert.ok(
    form.fields.some((f) => f.name === 'csrf_token' && f.value.length > 20),
    `the ${path} form carries a CSRF token`,
  );
  const submitter = value === undefined ? undefined : form.submitters.find((s) => s.value === value);
  if (value !== undefined) assert.ok(submitter, `a ${value} button on the ${path} form`);
  return { form, submitter };
}

/** A genuine CSRF token, issued to another browser (the attacker's own visit). */
async function attackersToken(): Promise<string> {
  const page = pageOf(await new UserAgent(op.url).navigate(`${op.url}/login?return_to=/device`));
  return formOf(page, '/login').form.fields.find((f) => f.name === 'csrf_token')!.value;
}

/**
 * Posts `form` (with `overrides`, pressing `submitter`) in the four forged ways; each must get the
 * 403 CSRF page, set no session cookie, publish no write event, and leave `unchanged()` true.
 */
async function assertCsrfRefused(
  ua: UserAgent,
  form: HtmlForm,
  submitter: FormSubmitter | undefined,
  overrides: Record<string, string>,
  unchanged: () => Promise<void>,
): Promise<void> {
  const stolen = await attackersToken();
  const ways: readonly { name: string; edit: (v: URLSearchParams) => void; headers?: Record<string, string> }[] = [
    { name: 'forged token', edit: (v) => v.set('csrf_token', `${'A'.repeat(22)}.${'B'.repeat(43)}`) },
    { name: 'missing token', edit: (v) => v.delete('csrf_token') },
    { name: 'token of another browser', edit: (v) => v.set('csrf_token', stolen) },
    { name: 'foreign Origin', edit: () => {}, headers: { origin: 'https://attacker.example' } },
  ];
  for (const way of ways) {
    const body = formValues(form, overrides, submitter);
    way.edit(body);
    const before = written.length;
    const res = await ua.request(form.action, { method: 'POST', body, ...(way.headers ? { headers: way.headers } : {}) });
    const html = await res.text();
    const what = `${new URL(form.action).pathname} with a ${way.name}`;
    assert.equal(res.status, 403, `${what}: 403 (got ${res.status} ${res.headers.get('location') ?? ''})`);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/, what);
    assert.match(html, /csrf_failed/, `${what}: the CSRF error page`);
    assert.equal(res.headers.get('location'), null, `${what}: no redirect`);
    assert.ok(!res.headers.getSetCookie().some((c) => c.startsWith(`${sessionCookie()}=`)), `${what}: no session cookie set`);
    assert.deepEqual(written.slice(before), [], `${what}: nothing written`);
    await unchanged();
  }
}

/** The user id of the browser's current account, or null when signed out. */
async function currentUser(ua: UserAgent): Promise<string | null> {
  const cookie = ua.cookies.get(sessionCookie());
  return cookie === undefined ? null : ((await op.gh.ctx.sessions.read(cookie))?.currentUserId ?? null);
}

/** A browser in which `user` signed in through `rp` (consenting): the session exists. */
async function signedIn(rp: TestRp, user: TestUser = alice): Promise<UserAgent> {
  const ua = new UserAgent(op.url);
  await codeFlow(op, await rpConfig(op, rp), rp, ua, user);
  return ua;
}

test('OWASP CSRF / OIDC Core §3.1.2.3 POST /login in an authorization request: refused, nobody signed in', async () => {
  const rp = await createRp(op.gh);
  const ua = new UserAgent(op.url);
  const login = pageOf(await ua.navigate((await authRequest(await rpConfig(op, rp), rp)).url));
  const { form } = formOf(login, '/login');
  const creds = { username: alice.username, password: alice.password };
  await assertCsrfRefused(ua, form, undefined, creds, async () => assert.equal(await currentUser(ua), null, 'still signed out'));
  assert.equal(pageOf(await ua.submit(form, creds)).kind, 'consent', 'control: the same form signs in');
  assert.equal(await currentUser(ua), alice.id);
});

test('OWASP CSRF POST /login standalone (return_to, used by /device): refused, nobody signed in', async () => {
  const ua = new UserAgent(op.url);
  const { form } = formOf(pageOf(await ua.navigate(`${op.url}/login?return_to=/device`)), '/login');
  const creds = { username: alice.username, password: alice.password };
  await assertCsrfRefused(ua, form, undefined, creds, async () => assert.equal(await currentUser(ua), null, 'still signed out'));
  assert.equal(new URL(pageOf(await ua.submit(form, creds)).url).pathname, '/device', 'control: signed in and sent back');
  assert.equal(await currentUser(ua), alice.id);
});

test('OWASP CSRF / OIDC Core §3.1.2.4 POST /consent: refused, no consent stored, no code', async () => {
  const rp = await createRp(op.gh);
  const ua = new UserAgent(op.url);
  const req = await authRequest(await rpConfig(op, rp), rp);
  const consent = pageOf(await ua.login(pageOf(await ua.navigate(req.url)), alice.username, alice.password));
  const { form, submitter } = formOf(consent, '/consent', 'allow');
  await assertCsrfRefused(ua, form, submitter, {}, async () => {
    const silent = await authRequest(await rpConfig(op, rp), rp, { prompt: 'none' });
    assert.equal(callbackOf(await ua.navigate(silent.url)).searchParams.get('error'), 'consent_required', 'no consent was stored');
  });
  assert.ok(callbackOf(await ua.submit(form, {}, submitter)).searchParams.get('code'), 'control: Allow yields a code');
});

test('OWASP CSRF / OIDC Core §3.1.2.1 POST /select-account: refused, the current account unchanged, no code', async () => {
  const rp = await createRp(op.gh);
  const bob = await createTestUser(op.gh);
  const ua = await signedIn(rp, alice);
  await codeFlow(op, await rpConfig(op, rp), rp, ua, bob, { prompt: 'login' });
  assert.equal(await currentUser(ua), bob.id);
  const chooser = pageOf(await ua.navigate((await authRequest(await rpConfig(op, rp), rp, { prompt: 'select_account' })).url));
  assert.equal(chooser.kind, 'select_account');
  const { form } = formOf(chooser, '/select-account');
  const submitter = form.submitters.find((s) => s.name === 'account' && s.text.includes(alice.username));
  assert.ok(submitter, "alice's button on the chooser");
  await assertCsrfRefused(ua, form, submitter, {}, async () => assert.equal(await currentUser(ua), bob.id, 'bob is still the current account'));
  assert.ok(callbackOf(await ua.submit(form, {}, submitter)).searchParams.get('code'), 'control: choosing alice yields a code');
  assert.equal(await currentUser(ua), alice.id);
});

test('OWASP CSRF / RFC 8252 §8.6 POST /confirm (Continue as …): refused, no code', async () => {
  const app = await createTestClient(op.gh, {
    client_name: 'First-party native app',
    application_type: 'native',
    first_party: true,
    redirect_uris: ['http://127.0.0.1/cb'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    scope: 'openid email',
  });
  const loopback = `http://127.0.0.1:${new URL(op.url).port === '53127' ? 53128 : 53127}/cb`;
  const rp: TestRp = { ...app, redirect_uri: loopback, kind: 'public' };
  const ua = await signedIn(rp);
  const confirm = pageOf(await ua.navigate((await authRequest(await rpConfig(op, rp), rp)).url));
  assert.equal(confirm.kind, 'confirm');
  const { form, submitter } = formOf(confirm, '/confirm', 'continue');
  await assertCsrfRefused(ua, form, submitter, {}, async () => {});
  assert.ok(callbackOf(await ua.submit(form, {}, submitter)).searchParams.get('code'), 'control: Continue yields a code');
});

/** A public device client, one device authorization request, and a signed-in browser on /device. */
async function deviceSetup(): Promise<{ ua: UserAgent; userCode: string; poll: () => Promise<string> }> {
  op.clock.advance(61); // a fresh window for the per-address code attempt limit
  const tv = await createTestClient(op.gh, {
    client_name: 'TV',
    token_endpoint_auth_method: 'none',
    grant_types: [DEVICE_CODE_GRANT_TYPE],
    scope: 'openid email',
  });
  const client: oauth.Client = { client_id: tv.client_id, id_token_signed_response_alg: 'RS256', [oauth.clockSkew]: op.clock.skew };
  const started = await oauth.processDeviceAuthorizationResponse(
    as,
    client,
    await oauth.deviceAuthorizationRequest(as, client, oauth.None(), { scope: 'openid email' }, INSECURE),
  );
  const poll = async () => {
    op.clock.advance(6); // RFC 8628 §3.5: polls keep the interval (5 s), or get slow_down
    const res = await oauth.deviceCodeGrantRequest(as, client, oauth.None(), started.device_code, INSECURE);
    return res.ok ? 'tokens' : ((await res.json()) as { error: string }).error;
  };
  return { ua: await signedIn(await createRp(op.gh)), userCode: started.user_code, poll };
}

test('OWASP CSRF / RFC 8628 §3.3 POST /device, entering the code: refused, not even counted as an attempt', async () => {
  const { ua, userCode, poll } = await deviceSetup();
  const { form } = formOf(pageOf(await ua.navigate(`${op.url}/device`)), '/device');
  await assertCsrfRefused(ua, form, undefined, { user_code: userCode }, async () => assert.equal(await poll(), 'authorization_pending'));
  // Four refusals and this entry: had the refusals been looked up, this would be the limit's 429.
  const shown = pageOf(await ua.submit(form, { user_code: userCode }));
  assert.equal(shown.status, 200, `control: the code is accepted (${shown.text.slice(0, 200)})`);
  assert.ok(
    shown.forms.some((f) => f.submitters.some((s) => s.value === 'allow')),
    'control: the Allow/Deny page',
  );
});

test('OWASP CSRF / RFC 8628 §3.3 POST /device, Allow: refused, nothing decided', async () => {
  const { ua, userCode, poll } = await deviceSetup();
  const confirm = pageOf(await ua.submit(formOf(pageOf(await ua.navigate(`${op.url}/device`)), '/device').form, { user_code: userCode }));
  const { form, submitter } = formOf(confirm, '/device', 'allow');
  await assertCsrfRefused(ua, form, submitter, {}, async () => assert.equal(await poll(), 'authorization_pending'));
  assert.equal(pageOf(await ua.submit(form, {}, submitter)).status, 200);
  assert.equal(await poll(), 'tokens', 'control: Allow approves the device');
});

test('OWASP CSRF / OIDC RP-Initiated Logout §2 POST /end_session (Sign out? Yes): refused, still signed in', async () => {
  const ua = await signedIn(await createRp(op.gh));
  const { form, submitter } = formOf(pageOf(await ua.navigate(`${op.url}/end_session`)), '/end_session', 'yes');
  await assertCsrfRefused(ua, form, submitter, {}, async () => assert.equal(await currentUser(ua), alice.id, 'still signed in'));
  assert.match(pageOf(await ua.submit(form, {}, submitter)).text, /You have signed out/, 'control: Yes signs out');
  assert.equal(await currentUser(ua), null);
});

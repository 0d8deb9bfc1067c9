/**
 * RFC 8628 OAuth 2.0 Device Authorization Grant over real HTTP, driven by oauth4webapi as the
 * device (deviceAuthorizationRequest / deviceCodeGrantRequest). The first part decides through
 * the same core the /device pages call (`createDeviceVerification`); the second drives the pages
 * themselves over HTTP. Time moves through the injected clock, never sleep.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { DEVICE_CODE_GRANT_TYPE } from '../../src/core/device-authorization/device-authorization.ts';
import type { AuthenticationContext } from '../../src/core/model/authorization-code.ts';
import { discover, INSECURE } from '../support/oauth-client.ts';
import { createTestUser, TestClock } from '../support/oidc.ts';
import { formValues } from '../support/html-forms.ts';
import { createTestClient, startTestServer, type TestServer } from '../support/server.ts';
import { UserAgent, type Page } from '../support/user-agent.ts';

const clock = new TestClock();
let s: TestServer;
let as: oauth.AuthorizationServer;
let tv: { client_id: string };
const userId = 'device-user-1';

/** The device as oauth4webapi sees it; clockSkew follows the server's moved clock for ID tokens. */
const device = (clientId = tv.client_id): oauth.Client => ({ client_id: clientId, id_token_signed_response_alg: 'ES256', [oauth.clockSkew]: clock.skew });

async function start(scope = 'openid email offline_access', clientId = tv.client_id): Promise<oauth.DeviceAuthorizationResponse> {
  const res = await oauth.deviceAuthorizationRequest(as, device(clientId), oauth.None(), { scope }, INSECURE);
  return oauth.processDeviceAuthorizationResponse(as, device(clientId), res);
}

async function poll(deviceCode: string, clientId = tv.client_id) {
  const res = await oauth.deviceCodeGrantRequest(as, device(clientId), oauth.None(), deviceCode, INSECURE);
  return oauth.processDeviceCodeResponse(as, device(clientId), res);
}

/** What a poll answered with: the OAuth error code, or 'tokens'. */
async function outcome(deviceCode: string, clientId?: string): Promise<string> {
  try {
    await poll(deviceCode, clientId);
    return 'tokens';
  } catch (e) {
    if (e instanceof oauth.ResponseBodyError) {
      assert.equal(e.status, 400, `RFC 8628 §3.5 / RFC 6749 §5.2: ${e.error} is a 400`);
      return e.error;
    }
    throw e;
  }
}

function verification() {
  return s.gh.services.deviceVerification;
}

async function decide(userCode: string, approve: boolean): Promise<void> {
  const v = verification();
  const found = await v.find(userCode);
  assert.ok(found, 'the user code names a pending request');
  const now = Math.floor(clock.now() / 1000);
  const auth: AuthenticationContext = { userId, sid: 'sid-device', authTime: now, amr: ['pwd'], acr: null };
  assert.equal(approve ? await v.approve(found, auth) : await v.deny(found), true);
}

before(async () => {
  s = await startTestServer({ device: { codeTtl: 600, interval: 5 } }, { clock });
  as = await discover(s.url, 'oidc');
  const c = await createTestClient(s.gh, {
    client_name: 'Living room TV',
    token_endpoint_auth_method: 'none',
    grant_types: [DEVICE_CODE_GRANT_TYPE, 'refresh_token'],
    scope: 'openid email offline_access read',
  });
  tv = { client_id: c.client_id };
  const now = Math.floor(clock.now() / 1000);
  await s.gh.services.ports.users.create({
    tenantId: s.gh.ctx.tenantId,
    id: userId,
    username: 'couch',
    passwordHash: null,
    roles: ['user'],
    attributes: {},
    groups: [],
    claims: { email: 'couch@example.com', email_verified: true },
    disabled: false,
    createdAt: now,
    updatedAt: now,
  });
});

after(async () => {
  await s.close();
});

describe('RFC 8628 Device Authorization Grant', () => {
  test('RFC 8628 §4 discovery advertises device_authorization_endpoint and the device_code grant type', () => {
    assert.equal(as.device_authorization_endpoint, `${s.url}/device_authorization`);
    assert.ok(as.grant_types_supported?.includes(DEVICE_CODE_GRANT_TYPE));
  });

  test('RFC 8628 §3.2 device authorization response: device_code, user_code, verification_uri(_complete), expires_in, interval', async () => {
    const r = await start();
    assert.match(r.device_code, /^[A-Za-z0-9_-]{43}$/);
    assert.match(r.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/, 'RFC 8628 §6.1 base-20 user code');
    assert.equal(r.verification_uri, `${s.url}/device`);
    assert.equal(r.verification_uri_complete, `${s.url}/device?user_code=${r.user_code}`);
    assert.equal(r.expires_in, 600);
    assert.equal(r.interval, 5);
  });

  test('RFC 8628 §3.2 the response is not cacheable and repeated parameters are refused', async () => {
    const res = await fetch(`${s.url}/device_authorization`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `client_id=${tv.client_id}`,
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const twice = await fetch(`${s.url}/device_authorization`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `client_id=${tv.client_id}&scope=read&scope=openid`,
    });
    assert.equal(twice.status, 400);
    assert.equal(((await twice.json()) as { error: string }).error, 'invalid_request');
    const get = await fetch(`${s.url}/device_authorization`);
    assert.equal(get.status, 405);
  });

  test('RFC 8628 §3.1 a client not registered for the device_code grant gets unauthorized_client', async () => {
    const web = await createTestClient(s.gh, {
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      redirect_uris: ['https://rp.example/cb'],
      response_types: ['code'],
      scope: 'openid',
    });
    await assert.rejects(start('openid', web.client_id), (e: unknown) => e instanceof oauth.ResponseBodyError && e.error === 'unauthorized_client');
  });

  test('RFC 8628 §3.1 a confidential client must authenticate (invalid_client 401)', async () => {
    const conf = await createTestClient(s.gh, { grant_types: [DEVICE_CODE_GRANT_TYPE], scope: 'read' });
    const res = await oauth.deviceAuthorizationRequest(as, { client_id: conf.client_id }, oauth.ClientSecretBasic('wrong-secret'), { scope: 'read' }, INSECURE);
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_client');
    const ok = await oauth.deviceAuthorizationRequest(
      as,
      { client_id: conf.client_id },
      oauth.ClientSecretBasic(conf.client_secret),
      { scope: 'read' },
      INSECURE,
    );
    assert.equal(ok.status, 200);
  });

  test('RFC 8628 §3.1 an unknown scope is invalid_scope', async () => {
    await assert.rejects(start('openid admin'), (e: unknown) => e instanceof oauth.ResponseBodyError && e.error === 'invalid_scope');
  });

  test('RFC 8628 §3.5 authorization_pending, slow_down when polling too fast, then tokens once approved', async () => {
    const r = await start();
    assert.equal(await outcome(r.device_code), 'authorization_pending');
    clock.advance(1);
    assert.equal(await outcome(r.device_code), 'slow_down', 'polled 1 s after the previous poll, interval is 5');
    // RFC 8628 §3.5: "the interval MUST be increased by 5 seconds for this and all subsequent requests".
    clock.advance(r.interval!);
    assert.equal(await outcome(r.device_code), 'slow_down', 'the old interval is no longer enough');
    // Two slow_downs: the interval is now 5 + 5 + 5 for every later poll.
    clock.advance(r.interval! + 10);
    assert.equal(await outcome(r.device_code), 'authorization_pending');
    await decide(r.user_code, true);
    clock.advance(r.interval! + 10);
    const tokens = await poll(r.device_code);
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.scope, 'openid email offline_access');
    assert.ok(tokens.refresh_token, 'OIDC Core §11: offline_access granted');
    const claims = oauth.getValidatedIdTokenClaims(tokens);
    assert.equal(claims?.sub, userId);
    assert.equal(claims?.aud, tv.client_id);
    // The refresh token works at the token endpoint like any other.
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      device(),
      await oauth.refreshTokenGrantRequest(as, device(), oauth.None(), tokens.refresh_token!, INSECURE),
    );
    assert.ok(refreshed.access_token);
  });

  test('RFC 8628 §3.5 an approved device code is redeemed once (S4)', async () => {
    const r = await start('read');
    await decide(r.user_code, true);
    clock.advance(r.interval!);
    assert.equal(await outcome(r.device_code), 'tokens');
    clock.advance(r.interval!);
    assert.equal(await outcome(r.device_code), 'invalid_grant');
  });

  test('RFC 8628 §3.5 access_denied after the user denied', async () => {
    const r = await start('read');
    await decide(r.user_code, false);
    clock.advance(r.interval!);
    assert.equal(await outcome(r.device_code), 'access_denied');
  });

  test('RFC 8628 §3.5 expired_token once expires_in has passed', async () => {
    const r = await start('read');
    clock.advance(r.expires_in);
    assert.equal(await outcome(r.device_code), 'expired_token');
    assert.equal(await verification().find(r.user_code), null, 'the user code is no longer accepted either');
  });

  test('RFC 8628 §3.4 another client presenting the device code gets invalid_grant', async () => {
    const other = await createTestClient(s.gh, { token_endpoint_auth_method: 'none', grant_types: [DEVICE_CODE_GRANT_TYPE], scope: 'read' });
    const r = await start('read');
    await decide(r.user_code, true);
    clock.advance(r.interval!);
    assert.equal(await outcome(r.device_code, other.client_id), 'invalid_grant');
    clock.advance(r.interval!);
    assert.equal(await outcome(r.device_code), 'tokens', 'the device it belongs to still gets its tokens');
  });

  test('RFC 8628 §3.4 device_code is required and an unknown one is invalid_grant', async () => {
    const post = (body: string) => fetch(`${s.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    const grant = encodeURIComponent(DEVICE_CODE_GRANT_TYPE);
    const missing = await post(`grant_type=${grant}&client_id=${tv.client_id}`);
    assert.equal(missing.status, 400);
    assert.equal(((await missing.json()) as { error: string }).error, 'invalid_request');
    const unknown = await post(`grant_type=${grant}&client_id=${tv.client_id}&device_code=${'A'.repeat(43)}`);
    assert.equal(((await unknown.json()) as { error: string }).error, 'invalid_grant');
  });
});

describe('RFC 8628 §3.3 user interaction at the verification URI (/device pages over HTTP)', () => {
  const pageClock = new TestClock();
  let p: TestServer;
  let pas: oauth.AuthorizationServer;
  let clientId: string;
  const MAX = 4;

  before(async () => {
    p = await startTestServer({ device: { userCodeMaxAttempts: MAX } }, { clock: pageClock });
    pas = await discover(p.url, 'oidc');
    clientId = (
      await createTestClient(p.gh, {
        client_name: 'Kitchen Radio',
        token_endpoint_auth_method: 'none',
        grant_types: [DEVICE_CODE_GRANT_TYPE],
        scope: 'openid email',
      })
    ).client_id;
    const now = Math.floor(pageClock.now() / 1000);
    await p.gh.services.ports.users.create({
      tenantId: p.gh.ctx.tenantId,
      id: 'u-radio',
      username: 'radio-owner',
      passwordHash: null,
      roles: ['user'],
      attributes: {},
      groups: [],
      claims: {},
      disabled: false,
      createdAt: now,
      updatedAt: now,
    });
  });
  after(async () => {
    await p.close();
  });
  // Each test starts in a fresh rate-limit window.
  beforeEach(() => {
    pageClock.advance(61);
  });

  const c = (): oauth.Client => ({ client_id: clientId, id_token_signed_response_alg: 'ES256', [oauth.clockSkew]: pageClock.skew });
  const startDevice = async () =>
    oauth.processDeviceAuthorizationResponse(pas, c(), await oauth.deviceAuthorizationRequest(pas, c(), oauth.None(), { scope: 'openid email' }, INSECURE));
  const pollError = async (deviceCode: string) => {
    try {
      await oauth.processDeviceCodeResponse(pas, c(), await oauth.deviceCodeGrantRequest(pas, c(), oauth.None(), deviceCode, INSECURE));
      return 'tokens';
    } catch (e) {
      if (e instanceof oauth.ResponseBodyError) return e.error;
      throw e;
    }
  };
  /** A browser already signed in (the sign-in page itself is covered by the session tests). */
  async function signedInAgent(): Promise<UserAgent> {
    const ua = new UserAgent(p.url);
    const { cookie } = await p.gh.ctx.sessions.signIn(undefined, { userId: 'u-radio', amr: ['pwd'], acr: null });
    ua.cookies.set(p.gh.ctx.config.session.cookieName, cookie);
    return ua;
  }
  async function codePage(ua: UserAgent, query = ''): Promise<Page> {
    const out = await ua.navigate(`${p.url}/device${query}`);
    assert.equal(out.kind, 'page');
    return (out as { page: Page }).page;
  }
  const enter = async (ua: UserAgent, code: string, page?: Page) => {
    const form = (page ?? (await codePage(ua))).forms[0]!;
    return ua.submit(form, { user_code: code });
  };

  test('RFC 8628 §3.3.1 verification_uri_complete prefills the code; nothing is looked up on GET', async () => {
    const r = await startDevice();
    const page = await codePage(new UserAgent(p.url), `?user_code=${encodeURIComponent(r.user_code)}`);
    assert.equal(page.status, 200);
    assert.equal(page.forms[0]?.fields.find((f) => f.name === 'user_code')?.value, r.user_code);
    assert.ok(
      page.forms[0]?.fields.some((f) => f.name === 'csrf_token' && f.value.length > 20),
      'CSRF token in the form',
    );
    assert.match(page.headers.get('content-security-policy') ?? '', /form-action 'self'/);
    assert.equal(page.headers.get('cache-control'), 'no-store');
  });

  test('RFC 8628 §3.3 without a session a valid code leads to the sign-in page, which returns to /device with the code', async () => {
    const r = await startDevice();
    const ua = new UserAgent(p.url);
    const page = await codePage(ua);
    const res = await ua.request(page.forms[0]!.action, { method: 'POST', body: formValuesOf(page, { user_code: r.user_code.toLowerCase() }) });
    assert.equal(res.status, 303);
    const location = new URL(res.headers.get('location')!, p.url);
    assert.equal(location.pathname, '/login');
    assert.equal(location.searchParams.get('return_to'), `/device?user_code=${r.user_code}`);
  });

  test('RFC 8628 §3.3 the whole journey: code, sign-in page, back to the prefilled code, confirm, allow', async () => {
    const user = await createTestUser(p.gh, { username: 'radio-guest' });
    const r = await startDevice();
    const ua = new UserAgent(p.url);
    const signIn = await enter(ua, r.user_code);
    assert.equal(signIn.kind, 'page');
    assert.equal((signIn as { page: Page }).page.kind, 'login');
    const back = await ua.login((signIn as { page: Page }).page, user.username, user.password);
    assert.equal(back.kind, 'page');
    const codeForm = (back as { page: Page }).page;
    assert.equal(new URL(codeForm.url).pathname, '/device');
    assert.equal(codeForm.forms[0]?.fields.find((f) => f.name === 'user_code')?.value, r.user_code, 'the code survived the sign-in');
    assert.match(codeForm.text, /radio-guest/);
    const confirm = await ua.submit(codeForm.forms[0]!);
    const done = await ua.consent((confirm as { page: Page }).page, 'allow');
    assert.match((done as { page: Page }).page.text, /return to your device/i);
    const tokens = await oauth.processDeviceCodeResponse(pas, c(), await oauth.deviceCodeGrantRequest(pas, c(), oauth.None(), r.device_code, INSECURE));
    assert.equal(oauth.getValidatedIdTokenClaims(tokens)?.sub, user.id);
  });

  test('RFC 8628 §3.3 a signed-in user sees the application and scopes, allows, and the device gets its tokens', async () => {
    const r = await startDevice();
    const ua = await signedInAgent();
    const confirm = await enter(ua, r.user_code.replace('-', ' '));
    assert.equal(confirm.kind, 'page');
    const cp = (confirm as { page: Page }).page;
    assert.equal(cp.kind, 'consent', 'Allow / Deny buttons');
    assert.match(cp.text, /Kitchen Radio/);
    assert.match(cp.text, new RegExp(r.user_code), 'RFC 8628 §5.4: the code is repeated for the user to compare');
    assert.match(cp.text, /email address/i, 'scopes in plain words');
    assert.match(cp.text, /radio-owner/);
    const other = cp.html.match(/href="([^"]*\/login\?[^"]*)"/)?.[1]?.replace(/&amp;/g, '&');
    assert.ok(other, 'a way to use another account');
    assert.equal(new URL(other).searchParams.get('return_to'), `/device?user_code=${r.user_code}`);
    assert.equal(await pollError(r.device_code), 'authorization_pending');
    const done = await ua.consent(cp, 'allow');
    assert.equal(done.kind, 'page');
    assert.match((done as { page: Page }).page.text, /return to your device/i);
    pageClock.advance(r.interval!);
    assert.equal(await pollError(r.device_code), 'tokens');
    // OIDC Back-/Front-Channel Logout: the device's client is on the approving account, so
    // ending that login (whose sid the device's ID token carries) reaches it.
    const session = await p.gh.ctx.sessions.read(ua.cookies.get(p.gh.ctx.config.session.cookieName));
    assert.deepEqual(session?.accounts.find((a) => a.userId === 'u-radio')?.clientIds, [clientId]);
  });

  test('RFC 8628 §5.4 a device client registered without client_name is named by its client_id on the confirm and done pages', async () => {
    const nameless = (
      await createTestClient(p.gh, { client_name: undefined, token_endpoint_auth_method: 'none', grant_types: [DEVICE_CODE_GRANT_TYPE], scope: 'openid email' })
    ).client_id;
    const nc = (): oauth.Client => ({ client_id: nameless });
    const r = await oauth.processDeviceAuthorizationResponse(
      pas,
      nc(),
      await oauth.deviceAuthorizationRequest(pas, nc(), oauth.None(), { scope: 'openid email' }, INSECURE),
    );
    const ua = await signedInAgent();
    const cp = ((await enter(ua, r.user_code)) as { page: Page }).page;
    assert.equal(cp.kind, 'consent');
    assert.ok(cp.text.includes(nameless), 'the user can tell which application asks');
    const done = (await ua.consent(cp, 'deny')) as { page: Page };
    assert.ok(done.page.text.includes(nameless));
  });

  test('RFC 8628 §3.5 denying on the page answers the device with access_denied', async () => {
    const r = await startDevice();
    const ua = await signedInAgent();
    const confirm = await enter(ua, r.user_code);
    const done = await ua.consent((confirm as { page: Page }).page, 'deny');
    assert.match((done as { page: Page }).page.text, /denied/i);
    assert.equal(await pollError(r.device_code), 'access_denied');
  });

  test('RFC 8628 §5.1 wrong, malformed and expired codes get one neutral answer', async () => {
    const expired = await startDevice();
    pageClock.advance(expired.expires_in);
    const ua = await signedInAgent();
    const texts: string[] = [];
    for (const code of ['BCDF-GHJK', 'not a code', expired.user_code]) {
      const out = await enter(ua, code);
      assert.equal(out.kind, 'page');
      const pg = (out as { page: Page }).page;
      assert.equal(pg.status, 200, 'the form again, as for a wrong password');
      texts.push(pg.html.match(/role="alert">([^<]*)</)?.[1] ?? '');
    }
    assert.equal(new Set(texts).size, 1, 'the same text for every kind of bad code');
    assert.ok(texts[0]!.length > 10);
  });

  test('RFC 8628 §5.1 user code guessing is rate limited per address (429)', async () => {
    const ua = new UserAgent(p.url);
    const page = await codePage(ua);
    const statuses: number[] = [];
    for (let i = 0; i < MAX + 2; i++)
      statuses.push((await ua.request(page.forms[0]!.action, { method: 'POST', body: formValuesOf(page, { user_code: 'BCDF-GHJK' }) })).status);
    assert.deepEqual(statuses, [...Array(MAX).fill(200), 429, 429]);
    const r = await startDevice();
    const blocked = await ua.request(page.forms[0]!.action, { method: 'POST', body: formValuesOf(page, { user_code: r.user_code }) });
    assert.equal(blocked.status, 429, 'even a valid code is refused while blocked');
    assert.ok(Number(blocked.headers.get('retry-after')) >= 1);
    pageClock.advance(61);
    const again = await ua.request(page.forms[0]!.action, { method: 'POST', body: formValuesOf(page, { user_code: r.user_code }) });
    assert.equal(again.status, 303, 'a new window lets the person continue');
  });

  test('CSRF a forged or missing token is refused (403) and nothing is decided', async () => {
    const r = await startDevice();
    const ua = await signedInAgent();
    const confirm = (await enter(ua, r.user_code)) as { page: Page };
    const form = confirm.page.forms[0]!;
    for (const token of ['forged.token', '']) {
      const res = await ua.request(form.action, {
        method: 'POST',
        body: new URLSearchParams({ csrf_token: token, user_code: r.user_code, decision: 'allow' }),
      });
      assert.equal(res.status, 403);
    }
    assert.equal(await pollError(r.device_code), 'authorization_pending');
  });
});

function formValuesOf(page: Page, overrides: Record<string, string>): URLSearchParams {
  return formValues(page.forms[0]!, overrides);
}

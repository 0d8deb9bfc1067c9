/**
 * OpenID Connect Basic OP conformance plan, part 2: behaviour that depends on the browser
 * session (prompt, max_age, id_token_hint, login_hint). Time moves through the injected clock;
 * the relying party's clock skew follows it, so both sides agree on "now".
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type * as oidc from 'openid-client';
import {
  assertAuthorizationError,
  authRequest,
  codeFlow,
  createRp,
  createTestUser,
  rpConfig,
  startOidcServer,
  type OidcServer,
  type TestRp,
  type TestUser,
} from '../support/oidc.ts';
import { UserAgent } from '../support/user-agent.ts';

let op: OidcServer;
let rp: TestRp;
before(async () => {
  op = await startOidcServer();
  rp = await createRp(op.gh);
});
after(() => op?.close());

/** A fresh configuration: its clock skew is fixed at construction, so build one after moving time. */
const config = (): Promise<oidc.Configuration> => rpConfig(op, rp);

/** A user signed in once in a new browser (consent given), returning the browser and the first ID token. */
async function signedIn(): Promise<{ user: TestUser; ua: UserAgent; first: Awaited<ReturnType<typeof codeFlow>> }> {
  const user = await createTestUser(op.gh);
  const ua = new UserAgent(op.url);
  const first = await codeFlow(op, await config(), rp, ua, user);
  assert.ok(first.outcome.trail.includes('login'), 'the first request showed the login page');
  return { user, ua, first };
}

test('oidcc-prompt-login', async () => {
  const { user, ua, first } = await signedIn();
  op.clock.advance(2);
  const second = await codeFlow(op, await config(), rp, ua, user, { prompt: 'login' });
  // OIDC Core §3.1.2.1 prompt=login: "The Authorization Server SHOULD prompt the End-User for reauthentication."
  assert.ok(second.outcome.trail.includes('login'), `login page shown again (trail: ${second.outcome.trail.join(',')})`);
  assert.equal(second.claims.sub, first.claims.sub);
  assert.ok(second.claims.auth_time! > first.claims.auth_time!, 'auth_time is the new sign-in');
});

test('oidcc-prompt-none-not-logged-in', async () => {
  const cfg = await config();
  const req = await authRequest(cfg, rp, { prompt: 'none' });
  const out = await new UserAgent(op.url).authorize(req.url);
  // OIDC Core §3.1.2.6: prompt=none and no session → login_required at the redirect URI
  assert.equal(out.trail.length, 0, 'no page was shown');
  assertAuthorizationError(op, out, rp, 'login_required', req.state);
});

test('oidcc-prompt-none-logged-in', async () => {
  const { user, ua, first } = await signedIn();
  const second = await codeFlow(op, await config(), rp, ua, user, { prompt: 'none' });
  assert.deepEqual(second.outcome.trail, [], 'OIDC Core §3.1.2.1 prompt=none: no page at all');
  assert.equal(second.claims.sub, first.claims.sub);
  assert.equal(second.claims.auth_time, first.claims.auth_time, 'the same sign-in');
  assert.equal(second.claims['sid'], first.claims['sid'], 'the same session');
});

test('oidcc-max-age-1', async () => {
  const { user, ua, first } = await signedIn();
  op.clock.advance(2);
  // openid-client checks auth_time against max_age (OIDC Core §3.1.2.1: "the OP MUST actively re-authenticate")
  const second = await codeFlow(op, await config(), rp, ua, user, { max_age: '1' });
  assert.ok(second.outcome.trail.includes('login'), `sign-in required again (trail: ${second.outcome.trail.join(',')})`);
  assert.ok(second.claims.auth_time! > first.claims.auth_time!, 'auth_time changed');
  assert.ok(second.claims.auth_time! >= Math.floor(op.clock.now() / 1000) - 1, 'auth_time is now');
});

test('oidcc-max-age-10000', async () => {
  const { user, ua, first } = await signedIn();
  op.clock.advance(2);
  const second = await codeFlow(op, await config(), rp, ua, user, { max_age: '10000' });
  assert.ok(!second.outcome.trail.includes('login'), 'no new sign-in within max_age');
  // OIDC Core §3.1.2.1: "When max_age is used, the ID Token returned MUST include an auth_time Claim Value."
  assert.equal(second.claims.auth_time, first.claims.auth_time);
});

test('oidcc-id-token-hint', async () => {
  const { user, ua, first } = await signedIn();
  const second = await codeFlow(op, await config(), rp, ua, user, { prompt: 'none', id_token_hint: first.tokens.id_token! });
  assert.deepEqual(second.outcome.trail, []);
  assert.equal(second.claims.sub, first.claims.sub);
});

test('OIDC Core §3.1.2.1 id_token_hint of another user with prompt=none: login_required', async () => {
  const { first: other } = await signedIn();
  const { ua } = await signedIn();
  const req = await authRequest(await config(), rp, { prompt: 'none', id_token_hint: other.tokens.id_token! });
  // "If the End-User identified by the ID Token is logged in or is logged in by the request, then
  // the Authorization Server returns a positive response; otherwise, it SHOULD return an error, such as login_required."
  assertAuthorizationError(op, await ua.authorize(req.url), rp, ['login_required', 'account_selection_required', 'interaction_required'], req.state);
});

test('oidcc-login-hint', async () => {
  const user = await createTestUser(op.gh);
  const req = await authRequest(await config(), rp, { login_hint: user.username });
  const out = await new UserAgent(op.url).navigate(req.url);
  assert.equal(out.kind, 'page');
  if (out.kind !== 'page') return;
  assert.equal(out.page.kind, 'login');
  // OIDC Core §3.1.2.1 login_hint: the OP uses it to prefill the identifier.
  const form = out.page.forms.find((f) => f.fields.some((x) => x.type === 'password'))!;
  assert.ok(
    form.fields.some((x) => x.type !== 'hidden' && x.value === user.username),
    'username field prefilled from login_hint',
  );
  const done = await codeFlow(op, await config(), rp, new UserAgent(op.url), user, { login_hint: user.username });
  assert.equal(done.claims.sub, user.id);
});

test('OIDC Core §3.1.2.1 prompt=consent shows the consent page even when consent was given', async () => {
  const { user, ua } = await signedIn();
  const again = await codeFlow(op, await config(), rp, ua, user, {});
  assert.ok(!again.outcome.trail.includes('consent'), 'remembered consent is not asked again');
  const forced = await codeFlow(op, await config(), rp, ua, user, { prompt: 'consent' });
  assert.ok(forced.outcome.trail.includes('consent'), 'prompt=consent forces the consent page');
});

test('OIDC Core §3.1.2.6 consent denied: access_denied at the redirect URI', async () => {
  const user = await createTestUser(op.gh);
  const req = await authRequest(await config(), rp);
  const out = await new UserAgent(op.url).authorize(req.url, { username: user.username, password: user.password, consent: 'deny' });
  assert.ok(out.trail.includes('consent'));
  assertAuthorizationError(op, out, rp, 'access_denied', req.state);
});

test('OIDC Core §3.1.2.1 prompt=none with a session but no consent yet: consent_required', async () => {
  const { ua } = await signedIn();
  const other = await createRp(op.gh);
  const req = await authRequest(await rpConfig(op, other), other, { prompt: 'none' });
  assertAuthorizationError(op, await ua.authorize(req.url), other, 'consent_required', req.state);
});

test('OIDC Core §3.1.2.1 prompt=select_account shows the account chooser; the chosen account is the sub', async () => {
  const { user: first, ua } = await signedIn();
  const second = await createTestUser(op.gh);
  // A second account in the same browser: prompt=login, then sign in as someone else.
  const added = await codeFlow(op, await config(), rp, ua, second, { prompt: 'login' });
  assert.equal(added.claims.sub, second.id);
  const req = await authRequest(await config(), rp, { prompt: 'select_account' });
  const shown = await ua.navigate(req.url);
  assert.ok(shown.kind === 'page' && shown.page.kind === 'select_account', `the chooser (got ${shown.kind === 'page' ? shown.page.kind : shown.kind})`);
  assert.ok(shown.page.text.includes(first.username) && shown.page.text.includes(second.username), 'both accounts listed');
  const picked = await codeFlow(op, await config(), rp, ua, first, { prompt: 'select_account' });
  assert.ok(picked.outcome.trail.includes('select_account'));
  assert.equal(picked.claims.sub, first.id);
});

test('OIDC Core §3.1.2.1 max_age=0 requires a new sign-in (like prompt=login)', async () => {
  const { user, ua, first } = await signedIn();
  op.clock.advance(1);
  const second = await codeFlow(op, await config(), rp, ua, user, { max_age: '0' });
  assert.ok(second.outcome.trail.includes('login'));
  assert.ok(second.claims.auth_time! > first.claims.auth_time!);
});

test('session.idleTtl: a session unused for the idle lifetime ends (prompt=none: login_required)', async () => {
  const { ua } = await signedIn();
  op.clock.advance(op.gh.ctx.config.session.idleTtl + 1);
  const req = await authRequest(await config(), rp, { prompt: 'none' });
  assertAuthorizationError(op, await ua.authorize(req.url), rp, 'login_required', req.state);
});

test('session.absoluteTtl: an active session still ends after its absolute lifetime', async () => {
  const { user, ua } = await signedIn();
  const { idleTtl, absoluteTtl } = op.gh.ctx.config.session;
  const step = Math.floor(idleTtl / 2);
  for (let t = step; t < absoluteTtl - step; t += step) {
    op.clock.advance(step);
    const r = await codeFlow(op, await config(), rp, ua, user, { prompt: 'none' });
    assert.deepEqual(r.outcome.trail, [], `still signed in at +${t}s`);
  }
  op.clock.advance(2 * step);
  const req = await authRequest(await config(), rp, { prompt: 'none' });
  assertAuthorizationError(op, await ua.authorize(req.url), rp, 'login_required', req.state);
});

test('consent is remembered per scope: a new scope asks again', async () => {
  const { user, ua } = await signedIn();
  const same = await codeFlow(op, await config(), rp, ua, user, {});
  assert.ok(!same.outcome.trail.includes('consent'));
  const wider = await codeFlow(op, await config(), rp, ua, user, { scope: 'openid phone' });
  assert.ok(wider.outcome.trail.includes('consent'), 'phone was never granted');
  const req = await authRequest(await config(), rp, { scope: 'openid address', prompt: 'none' });
  assertAuthorizationError(op, await ua.authorize(req.url), rp, 'consent_required', req.state);
});

test('OIDC Session Management §3: session_state in every successful response when check_session_iframe is advertised', async () => {
  const meta = (await (await fetch(`${op.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  const { user, ua, first } = await signedIn();
  const again = await codeFlow(op, await config(), rp, ua, user, { prompt: 'none' });
  for (const cb of [first.callback, again.callback]) {
    if (typeof meta['check_session_iframe'] === 'string') assert.match(cb.searchParams.get('session_state') ?? '', /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    else assert.equal(cb.searchParams.get('session_state'), null);
  }
});

test('a disabled user is signed out of the flow: prompt=none gives login_required', async () => {
  const { user, ua } = await signedIn();
  await op.gh.services.userService.setDisabled(user.id, true, 'admin');
  const req = await authRequest(await config(), rp, { prompt: 'none' });
  const out = await ua.authorize(req.url);
  assertAuthorizationError(op, out, rp, ['login_required', 'interaction_required', 'access_denied'], req.state);
});

test('OIDC Core §3.1.2.1 prompt=none with max_age exceeded: login_required', async () => {
  const { ua } = await signedIn();
  op.clock.advance(5);
  const req = await authRequest(await config(), rp, { prompt: 'none', max_age: '2' });
  assertAuthorizationError(op, await ua.authorize(req.url), rp, 'login_required', req.state);
});

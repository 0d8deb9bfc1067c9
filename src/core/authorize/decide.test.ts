import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { authorizeWorld, nativeClient, NO_PROGRESS, webClient, WEB_REDIRECT, type AuthorizeWorld } from '../../../test/support/authorize-fixtures.ts';
import { ISSUER } from '../../../test/support/core-fixtures.ts';
import { AuthorizationError } from './authorization-error.ts';
import type { SessionRecord } from '../model/session.ts';
import type { Decision, InteractionProgress } from './types.ts';

let w: AuthorizeWorld;
before(async () => {
  w = await authorizeWorld();
  await w.addClient(webClient());
  await w.addClient(webClient({ clientId: 'fp', metadata: { first_party: true } }));
  await w.addUser({ id: 'u-1', username: 'jane' });
  await w.addUser({ id: 'u-2', username: 'john' });
  await w.addUser({ id: 'u-off', username: 'off', disabled: true });
});

const base = { client_id: 'web', response_type: 'code', redirect_uri: WEB_REDIRECT, scope: 'openid email', state: 'st', nonce: 'n' };
const now = () => Math.floor(w.clock.now() / 1000);
const hintFor = (sub: string) => w.keys.signer('ES256').sign({ iss: ISSUER, sub, aud: 'web', iat: now(), exp: now() + 60 }, 'JWT');

/** `progress` may be a function of the new session (to name one of its accounts' sids). */
async function decide(
  params: Record<string, string>,
  userIds: readonly string[] | null,
  progress: Partial<InteractionProgress> | ((s: SessionRecord | undefined) => Partial<InteractionProgress>) = {},
  signIn: { ageSeconds?: number; acr?: string | null } = {},
): Promise<Decision> {
  const req = await w.service.resolve({ ...base, ...params });
  const session = userIds ? await w.signIn(userIds, signIn) : undefined;
  return w.service.decide(req, session, { ...NO_PROGRESS, ...(typeof progress === 'function' ? progress(session) : progress) });
}
/** The sid of `userId`'s account in `session`. */
const sidOf = (session: SessionRecord | undefined, userId: string): string => session!.accounts.find((a) => a.userId === userId)!.sid;
async function fails(code: string, ...args: Parameters<typeof decide>): Promise<void> {
  await assert.rejects(decide(...args), (e: unknown) => {
    assert.ok(e instanceof AuthorizationError);
    assert.equal(e.error.code, code);
    assert.deepEqual(e.redirect, { redirectUri: WEB_REDIRECT, responseMode: 'query', state: 'st' }, 'sent to the client');
    return true;
  });
}
const page = (d: Decision) => (d.kind === 'interaction' ? d.page : 'complete');
async function consent(userId: string, scopes: string[], claims: string[] = [], clientId = 'web'): Promise<void> {
  await w.storage.consents.put({ tenantId: w.tenantId, userId, clientId, scopes, claims, createdAt: now(), updatedAt: now() });
}

describe('OIDC Core §3.1.2.3 authentication', () => {
  test('OIDC Core §3.1.2.3 no session → the login page', async () => {
    assert.deepEqual(await decide({}, null), { kind: 'interaction', page: 'login', reason: 'no_session' });
  });
  test('OIDC Core §3.1.2.1 prompt=none with no session → login_required', () => fails('login_required', { prompt: 'none' }, null));
  test('OIDC Core §3.1.2.1 prompt=login → login, satisfied by a sign-in during the interaction', async () => {
    await consent('u-1', ['openid', 'email']);
    assert.equal(page(await decide({ prompt: 'login' }, ['u-1'])), 'login');
    assert.equal(page(await decide({ prompt: 'login' }, ['u-1'], { loginAt: now() }, { ageSeconds: 0 })), 'complete');
  });
  test('OIDC Core §3.1.2.1 prompt=login / max_age: a sign-in during the interaction does not count for another account switched to afterwards', async () => {
    await consent('u-2', ['openid', 'email']);
    // u-2 is current and signed in 60 s ago; the interaction's sign-in (loginAt now) was u-1's.
    assert.equal(page(await decide({ prompt: 'login' }, ['u-2', 'u-1'], { loginAt: now(), accountChosen: true })), 'login');
    assert.equal(page(await decide({ max_age: '30' }, ['u-2', 'u-1'], { loginAt: now(), accountChosen: true })), 'login');
    assert.equal(page(await decide({ prompt: 'login select_account' }, ['u-2', 'u-1'], { loginAt: now() })), 'select_account');
  });
  test('OIDC Core §3.1.2.1 max_age exceeded → login; prompt=none → login_required', async () => {
    await consent('u-1', ['openid', 'email']);
    assert.deepEqual(await decide({ max_age: '30' }, ['u-1'], {}, { ageSeconds: 31 }), { kind: 'interaction', page: 'login', reason: 'max_age' });
    assert.equal(page(await decide({ max_age: '30' }, ['u-1'], {}, { ageSeconds: 30 })), 'complete');
    assert.equal(page(await decide({ max_age: '30' }, ['u-1'], { loginAt: now() - 31 }, { ageSeconds: 31 })), 'complete');
    await fails('login_required', { max_age: '30', prompt: 'none' }, ['u-1'], {}, { ageSeconds: 31 });
    // Errata set 2: "max_age=0 is equivalent to prompt=login", even for a sign-in of this second.
    assert.deepEqual(await decide({ max_age: '0' }, ['u-1'], {}, { ageSeconds: 0 }), { kind: 'interaction', page: 'login', reason: 'max_age' });
    assert.equal(page(await decide({ max_age: '0' }, ['u-1'], { loginAt: now() }, { ageSeconds: 0 })), 'complete', 'a sign-in during this interaction counts');
    await fails('login_required', { max_age: '0', prompt: 'none' }, ['u-1'], {}, { ageSeconds: 0 });
  });
  test('OIDC Registration §2 default_max_age applies when the request has no max_age', async () => {
    await w.addClient(webClient({ clientId: 'aged', metadata: { default_max_age: 10, first_party: true } }));
    assert.equal(page(await decide({ client_id: 'aged' }, ['u-1'], {}, { ageSeconds: 11 })), 'login');
  });
  test('a disabled user must sign in again', async () => {
    assert.deepEqual(await decide({}, ['u-off']), { kind: 'interaction', page: 'login', reason: 'user_unavailable' });
    await fails('login_required', { prompt: 'none' }, ['u-off']);
  });
  test('OIDC Core §3.1.2.1 id_token_hint of another user → login; with prompt=none → login_required', async () => {
    await consent('u-1', ['openid', 'email']);
    assert.deepEqual(await decide({ id_token_hint: hintFor('u-2') }, ['u-1']), { kind: 'interaction', page: 'login', reason: 'id_token_hint' });
    await fails('login_required', { id_token_hint: hintFor('u-2'), prompt: 'none' }, ['u-1']);
    assert.equal(page(await decide({ id_token_hint: hintFor('u-1'), prompt: 'none' }, ['u-1'])), 'complete');
  });
});

describe('OIDC Core §3.1.2.1 select_account', () => {
  test('OIDC Core §3.1.2.1 prompt=select_account → the chooser unless an account was chosen', async () => {
    await consent('u-1', ['openid', 'email']);
    assert.equal(page(await decide({ prompt: 'select_account' }, ['u-1', 'u-2'])), 'select_account');
    assert.equal(page(await decide({ prompt: 'select_account' }, ['u-1', 'u-2'], { accountChosen: true })), 'complete');
  });
  test('OIDC Core §3.1.2.6 prompt=none with several accounts → account_selection_required', async () => {
    await fails('account_selection_required', { prompt: 'none' }, ['u-1', 'u-2']);
  });
  test('OIDC Core §3.1.2.1 prompt=none with several accounts and a hint naming the current one completes', async () => {
    await consent('u-1', ['openid', 'email']);
    assert.equal(page(await decide({ prompt: 'none', id_token_hint: hintFor('u-1') }, ['u-1', 'u-2'])), 'complete');
  });
});

describe('OIDC Core §3.1.2.4 consent', () => {
  test('OIDC Core §3.1.2.4 a third-party client without remembered consent → the consent page', async () => {
    await w.addUser({ id: 'u-new', username: 'new' });
    assert.deepEqual(await decide({}, ['u-new']), { kind: 'interaction', page: 'consent', reason: 'consent_missing' });
  });
  test('OIDC Core §3.1.2.6 prompt=none without consent → consent_required', async () => {
    await w.addUser({ id: 'u-new2', username: 'new2' });
    await fails('consent_required', { prompt: 'none' }, ['u-new2']);
  });
  test('remembered consent covering every scope completes; a new scope or claim asks again', async () => {
    await w.addUser({ id: 'u-c', username: 'c' });
    await consent('u-c', ['openid', 'email'], ['name']);
    const d = await decide({}, ['u-c']);
    assert.equal(d.kind, 'complete');
    if (d.kind === 'complete') {
      assert.deepEqual(d.grantedScope, ['openid', 'email']);
      assert.equal(d.auth.userId, 'u-c');
      assert.equal(d.rememberConsent, false);
    }
    assert.deepEqual(await decide({ scope: 'openid email profile' }, ['u-c']), { kind: 'interaction', page: 'consent', reason: 'consent_incomplete' });
    assert.equal(page(await decide({ claims: '{"userinfo":{"name":null}}' }, ['u-c'])), 'complete');
    assert.equal(page(await decide({ claims: '{"id_token":{"phone_number":null}}' }, ['u-c'])), 'consent');
    assert.equal(page(await decide({ claims: '{"id_token":{"auth_time":{"essential":true}}}' }, ['u-c'])), 'complete', 'protocol claims need no consent');
  });
  test('OIDC Core §3.1.2.1 prompt=consent forces the page, even with remembered consent and for a first-party client', async () => {
    await consent('u-1', ['openid', 'email']);
    assert.deepEqual(await decide({ prompt: 'consent' }, ['u-1']), { kind: 'interaction', page: 'consent', reason: 'prompt=consent' });
    assert.equal(page(await decide({ client_id: 'fp', prompt: 'consent' }, ['u-1'])), 'consent');
    const d = await decide({ prompt: 'consent' }, ['u-1'], (s) => ({ consentedSid: sidOf(s, 'u-1') }));
    assert.equal(d.kind === 'complete' && d.rememberConsent, true);
  });
  test('OIDC Core §3.1.2.4 consent given during the interaction counts only for the account that gave it', async () => {
    // Alice (u-1) allowed on the consent page, then the browser switched to Bob (u-2, current):
    // Bob is asked himself, and nothing is remembered for him from Alice's answer.
    assert.equal(
      page(await decide({ scope: 'openid email profile' }, ['u-2', 'u-1'], (s) => ({ consentedSid: sidOf(s, 'u-1'), accountChosen: true }))),
      'consent',
    );
    assert.equal(page(await decide({ prompt: 'consent' }, ['u-2', 'u-1'], (s) => ({ consentedSid: sidOf(s, 'u-1') }))), 'consent');
    await assert.rejects(
      decide({ scope: 'openid email profile', prompt: 'none' }, ['u-2'], { consentedSid: 'sid-of-someone-else' }),
      (e: unknown) => e instanceof AuthorizationError && e.error.code === 'consent_required',
    );
    const bob = await decide({ scope: 'openid email profile' }, ['u-2', 'u-1'], (s) => ({ consentedSid: sidOf(s, 'u-2') }));
    assert.equal(bob.kind === 'complete' && bob.auth.userId === 'u-2' && bob.rememberConsent, true, 'his own Allow counts');
  });
  test('a first-party client skips consent', async () => {
    await w.addUser({ id: 'u-fp', username: 'fp' });
    assert.equal(page(await decide({ client_id: 'fp', prompt: 'none' }, ['u-fp'])), 'complete');
  });
});

describe('OIDC Core §5.5.1.1 acr', () => {
  test('OIDC Core §3.1.2.1 voluntary acr_values this server cannot satisfy are ignored', async () => {
    await consent('u-1', ['openid', 'email']);
    assert.equal(page(await decide({ acr_values: 'urn:mace:incommon:iap:gold' }, ['u-1'])), 'complete');
  });
  test('OIDC Core §5.5.1.1 an essential acr no sign-in here can reach → access_denied', async () => {
    await consent('u-1', ['openid', 'email']);
    await fails('access_denied', { claims: '{"id_token":{"acr":{"essential":true,"values":["urn:mfa"]}}}' }, ['u-1']);
  });
  test('OIDC Core §5.5.1.1 an essential acr the session lacks but a sign-in gives → login', async () => {
    await consent('u-1', ['openid', 'email']);
    const claims = '{"id_token":{"acr":{"essential":true,"value":"urn:gatehouse:pwd"}}}';
    assert.equal(page(await decide({ claims }, ['u-1'], {}, { acr: null })), 'login');
    assert.equal(page(await decide({ claims }, ['u-1'])), 'complete');
  });
});

describe('RFC 8252 §8.6 no silent re-approval of a client whose identity cannot be proven', () => {
  const LOOPBACK = 'http://127.0.0.1:50123/callback';
  const CLAIMED = 'https://app.example.com/oauth/cb';
  // RFC 7636: public clients must send PKCE; the value does not matter to decide().
  const pkce = { code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' };
  const app = { client_id: 'app', redirect_uri: LOOPBACK, ...pkce };
  const fpApp = { client_id: 'fp-app', redirect_uri: LOOPBACK, ...pkce };
  before(async () => {
    await w.addClient(nativeClient({ redirectUris: ['http://127.0.0.1/callback', CLAIMED, 'com.example.app:/cb'] }));
    await w.addClient(nativeClient({ clientId: 'fp-app', metadata: { application_type: 'native', first_party: true } }));
    await w.addClient(nativeClient({ clientId: 'spa', redirectUris: [CLAIMED], metadata: {} }));
    await w.addUser({ id: 'u-n', username: 'native' });
    await consent('u-n', ['openid', 'email'], [], 'app');
    await consent('u-n', ['openid', 'email'], [], 'spa');
    await consent('u-n', ['openid', 'email'], [], 'web');
  });
  /** Rejects with `code`, sent to the request's own redirect URI with its state. */
  async function failsAt(code: string, redirectUri: string, ...args: Parameters<typeof decide>): Promise<void> {
    await assert.rejects(decide(...args), (e: unknown) => {
      assert.ok(e instanceof AuthorizationError);
      assert.equal(e.error.code, code);
      assert.deepEqual(e.redirect, { redirectUri, responseMode: 'query', state: 'st' });
      return true;
    });
  }

  test('RFC 8252 §8.6 public loopback client with remembered consent: prompt=none → consent_required (OIDC Core §3.1.2.6)', async () => {
    await failsAt('consent_required', LOOPBACK, { ...app, prompt: 'none' }, ['u-n']);
  });
  test('RFC 8252 §8.6 public loopback client with remembered consent: no prompt → the consent page again', async () => {
    assert.deepEqual(await decide(app, ['u-n']), { kind: 'interaction', page: 'consent', reason: 'client_identity_unproven' });
    // A fresh sign-in is no consent: the request is "processed as if no previous request had been approved".
    assert.equal(page(await decide(app, ['u-n'], { loginAt: now() }, { ageSeconds: 0 })), 'consent');
  });
  test('RFC 8252 §8.6 private-use URI scheme redirect: remembered consent is ignored too', async () => {
    assert.equal(page(await decide({ ...app, redirect_uri: 'com.example.app:/cb' }, ['u-n'])), 'consent');
  });
  test('RFC 8252 §8.6 consent given on the page in this interaction completes and is remembered', async () => {
    const d = await decide(app, ['u-n'], (s) => ({ consentedSid: sidOf(s, 'u-n') }));
    assert.equal(d.kind === 'complete' && d.auth.userId === 'u-n' && d.rememberConsent, true);
  });
  test('RFC 8252 §7.2 the same public client redirecting to its claimed https URI is silent with remembered consent', async () => {
    assert.equal(page(await decide({ ...app, redirect_uri: CLAIMED, prompt: 'none' }, ['u-n'])), 'complete');
  });
  test('RFC 8252 §8.6 a public client with only https redirect URIs is silent with remembered consent', async () => {
    assert.equal(page(await decide({ client_id: 'spa', redirect_uri: CLAIMED, prompt: 'none', ...pkce }, ['u-n'])), 'complete');
  });
  test('RFC 8252 §8.6 a confidential client with remembered consent is still silent', async () => {
    assert.equal(page(await decide({ prompt: 'none' }, ['u-n'])), 'complete');
    assert.equal(page(await decide({}, ['u-n'])), 'complete');
  });
  test('RFC 8252 §8.6 first-party public loopback client: prompt=none → interaction_required', async () => {
    await failsAt('interaction_required', LOOPBACK, { ...fpApp, prompt: 'none' }, ['u-n']);
  });
  test('RFC 8252 §8.6 first-party public loopback client: no prompt → the confirm page', async () => {
    assert.deepEqual(await decide(fpApp, ['u-n']), { kind: 'interaction', page: 'confirm', reason: 'client_identity_unproven' });
  });
  test('RFC 8252 §8.6 first-party public loopback client: a sign-in during this interaction is the interaction', async () => {
    const d = await decide(fpApp, ['u-n'], { loginAt: now() }, { ageSeconds: 0 });
    assert.equal(d.kind, 'complete');
    assert.equal(d.kind === 'complete' && d.rememberConsent, false, 'no consent is recorded for a first-party client');
    // A sign-in older than this interaction is not.
    assert.equal(page(await decide(fpApp, ['u-n'], { loginAt: now() }, { ageSeconds: 5 })), 'confirm');
  });
  test('RFC 8252 §8.6 first-party public loopback client: Continue counts only for the account that pressed it', async () => {
    await w.addUser({ id: 'u-m', username: 'other' });
    const d = await decide(fpApp, ['u-n'], (s) => ({ confirmedSid: sidOf(s, 'u-n') }));
    assert.equal(d.kind === 'complete' && d.auth.userId === 'u-n' && !d.rememberConsent, true);
    assert.equal(page(await decide(fpApp, ['u-m', 'u-n'], (s) => ({ confirmedSid: sidOf(s, 'u-n'), accountChosen: true }))), 'confirm');
    // prompt=consent on the first-party app: the consent given there is the interaction.
    assert.equal(page(await decide({ ...fpApp, prompt: 'consent' }, ['u-n'], (s) => ({ consentedSid: sidOf(s, 'u-n') }))), 'complete');
  });
});

/**
 * RFC 8252 §8.6 (OAuth 2.0 for Native Apps, client impersonation) over real HTTP: a public client
 * redirecting to a loopback address cannot prove who it is, so a remembered approval never makes
 * a later request silent. oauth4webapi builds the requests, validates the authorization response
 * (state, RFC 9207 iss) and redeems the code with PKCE; the UserAgent is the browser.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { discover, INSECURE } from '../support/oauth-client.ts';
import { createRp, createTestUser, startOidcServer, type OidcServer, type TestRp, type TestUser } from '../support/oidc.ts';
import { createTestClient } from '../support/server.ts';
import { UserAgent, type Outcome, type Page } from '../support/user-agent.ts';

let op: OidcServer;
let as: oauth.AuthorizationServer;
let app: TestRp;
let firstPartyApp: TestRp;
/** RFC 8252 §7.3: registered without a port; each request names the port it listens on. */
let loopback: string;

async function nativeApp(firstParty: boolean): Promise<TestRp> {
  const c = await createTestClient(op.gh, {
    client_name: firstParty ? 'First-party native app' : 'Native app',
    application_type: 'native',
    redirect_uris: ['http://127.0.0.1/cb'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    scope: 'openid email',
    ...(firstParty ? { first_party: true } : {}),
  });
  return { ...c, redirect_uri: loopback, kind: 'public' };
}

before(async () => {
  op = await startOidcServer();
  as = await discover(op.url, 'oidc');
  loopback = `http://127.0.0.1:${new URL(op.url).port === '53127' ? 53128 : 53127}/cb`;
  app = await nativeApp(false);
  firstPartyApp = await nativeApp(true);
});
after(() => op?.close());

interface Started {
  readonly url: URL;
  readonly state: string;
  readonly verifier: string;
}

/** An authorization request as oauth4webapi builds it (PKCE S256, state). */
async function start(client: TestRp, extra: Record<string, string> = {}): Promise<Started> {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({
    client_id: client.client_id,
    redirect_uri: client.redirect_uri,
    response_type: 'code',
    scope: 'openid email',
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...extra,
  }).toString();
  return { url, state, verifier };
}

/** Validates the callback (iss, state) and redeems its code with the PKCE verifier: the ID token's sub. */
async function redeem(client: TestRp, started: Started, out: Outcome): Promise<string> {
  assert.equal(
    out.kind,
    'redirect',
    `a redirect to the client (got ${out.kind === 'page' ? `the ${out.page.kind} page: ${out.page.text.slice(0, 200)}` : out.kind})`,
  );
  if (out.kind !== 'redirect') return '';
  const c: oauth.Client = { client_id: client.client_id };
  const params = oauth.validateAuthResponse(as, c, out.url, started.state);
  const res = await oauth.authorizationCodeGrantRequest(as, c, oauth.None(), params, client.redirect_uri, started.verifier, INSECURE);
  const tokens = await oauth.processAuthorizationCodeResponse(as, c, res, { expectedNonce: oauth.expectNoNonce, requireIdToken: true });
  return oauth.getValidatedIdTokenClaims(tokens)!.sub;
}

/** OIDC Core §3.1.2.6 error at the client's redirect URI; oauth4webapi checks `iss` and `state` first. */
function assertError(client: TestRp, started: Started, out: Outcome, error: string): void {
  assert.equal(out.kind, 'redirect', `an error at the redirect URI (got ${out.kind === 'page' ? `the ${out.page.kind} page` : out.kind})`);
  if (out.kind !== 'redirect') return;
  assert.equal(`${out.url.origin}${out.url.pathname}`, client.redirect_uri);
  assert.equal(out.url.searchParams.get('iss'), op.url, 'RFC 9207 iss');
  assert.equal(out.url.searchParams.get('state'), started.state);
  assert.equal(out.url.searchParams.get('code'), null);
  assert.throws(
    () => oauth.validateAuthResponse(as, { client_id: client.client_id }, out.url, started.state),
    (e: unknown) => {
      assert.ok(e instanceof oauth.AuthorizationResponseError);
      assert.equal(e.error, error);
      return true;
    },
  );
}

/** The page the request stops at (fails the test for a redirect). */
function pageOf(out: Outcome): Page {
  if (out.kind !== 'page') assert.fail(`expected a page, got a ${out.kind}${out.kind === 'redirect' ? ` to ${out.url.href}` : ''}`);
  return out.page;
}

/** A new browser in which `user` signed in to `client` (consenting when asked): the first request done. */
async function approvedOnce(client: TestRp, user: TestUser): Promise<UserAgent> {
  const ua = new UserAgent(op.url);
  const first = await start(client);
  const out = await ua.authorize(first.url, { username: user.username, password: user.password });
  assert.deepEqual(out.trail, client === firstPartyApp ? ['login'] : ['login', 'consent']);
  assert.equal(await redeem(client, first, out), user.id);
  return ua;
}

describe('RFC 8252 §8.6 a public client with a loopback redirect URI is not re-approved silently', () => {
  test('RFC 8252 §8.6 with remembered consent, prompt=none gets consent_required (OIDC Core §3.1.2.6)', async () => {
    const user = await createTestUser(op.gh);
    const ua = await approvedOnce(app, user);
    const second = await start(app, { prompt: 'none' });
    assertError(app, second, await ua.navigate(second.url), 'consent_required');
  });

  test('RFC 8252 §8.6 with remembered consent and no prompt, the consent page is shown again; Allow completes', async () => {
    const user = await createTestUser(op.gh);
    const ua = await approvedOnce(app, user);
    const second = await start(app);
    const shown = pageOf(await ua.navigate(second.url));
    assert.equal(shown.status, 200);
    assert.equal(shown.kind, 'consent');
    assert.match(shown.headers.get('content-type') ?? '', /^text\/html/);
    assert.ok(
      shown.forms.some((f) => f.action === `${op.url}/consent` && f.fields.some((x) => x.name === 'csrf_token' && x.value !== '')),
      'the consent form with its CSRF token',
    );
    assert.equal(await redeem(app, second, await ua.consent(shown, 'allow')), user.id);
  });

  test('RFC 8252 §8.6 first-party: a sign-in is the interaction; later prompt=none gets interaction_required', async () => {
    const user = await createTestUser(op.gh);
    const ua = await approvedOnce(firstPartyApp, user);
    const second = await start(firstPartyApp, { prompt: 'none' });
    assertError(firstPartyApp, second, await ua.navigate(second.url), 'interaction_required');
  });

  test('RFC 8252 §8.6 first-party: without prompt, the Continue page; Continue yields a code that redeems with PKCE', async () => {
    const user = await createTestUser(op.gh);
    const ua = await approvedOnce(firstPartyApp, user);
    const second = await start(firstPartyApp);
    const shown = pageOf(await ua.navigate(second.url));
    assert.equal(shown.status, 200);
    assert.equal(shown.kind, 'confirm');
    assert.match(shown.text, new RegExp(`Continue as ${user.username}`));
    assert.doesNotMatch(shown.text, /wants to access your account/, 'no consent text for a first-party client');
    const form = shown.forms.find((f) => f.action === `${op.url}/confirm`)!;
    assert.ok(
      form.fields.some((x) => x.name === 'csrf_token' && x.value !== ''),
      'the form carries the CSRF token',
    );
    // CSRF is checked before anything else: without the token, 403 and no code.
    const forged = await ua.submit(
      form,
      { csrf_token: '' },
      form.submitters.find((s) => s.value === 'continue'),
    );
    assert.equal(pageOf(forged).status, 403);
    const done = await ua.consent(shown, 'allow');
    assert.equal(await redeem(firstPartyApp, second, done), user.id);
  });

  test('POST /confirm with no decision or a broken interaction gets a 400 page, never a code', async () => {
    const user = await createTestUser(op.gh);
    const ua = await approvedOnce(firstPartyApp, user);
    const shown = pageOf(await ua.navigate((await start(firstPartyApp)).url));
    const form = shown.forms.find((f) => f.action === `${op.url}/confirm`)!;
    const noDecision = pageOf(await ua.submit(form));
    assert.equal(noDecision.status, 400);
    assert.match(noDecision.text, /Choose Continue or Cancel/);
    const broken = pageOf(
      await ua.submit(
        form,
        { interaction: 'not-a-sealed-interaction' },
        form.submitters.find((s) => s.value === 'continue'),
      ),
    );
    assert.equal(broken.status, 400);
    assert.match(broken.text, /interaction_invalid/);
  });

  test('RFC 8252 §8.6 first-party: Cancel on the Continue page answers access_denied', async () => {
    const user = await createTestUser(op.gh);
    const ua = await approvedOnce(firstPartyApp, user);
    const second = await start(firstPartyApp);
    const shown = pageOf(await ua.navigate(second.url));
    assert.equal(shown.kind, 'confirm');
    assertError(firstPartyApp, second, await ua.consent(shown, 'deny'), 'access_denied');
  });
});

describe('RFC 8252 §8.6 clients whose identity can be assured are still approved silently', () => {
  test('RFC 8252 §8.6 a confidential client with remembered consent completes with prompt=none', async () => {
    const user = await createTestUser(op.gh);
    const rp = await createRp(op.gh, 'confidential', { scope: 'openid email' });
    const ua = new UserAgent(op.url);
    const c: oauth.Client = { client_id: rp.client_id };
    for (const [i, extra] of ([{}, { prompt: 'none' }] as Record<string, string>[]).entries()) {
      const started = await start(rp, extra);
      const out = await ua.authorize(started.url, { username: user.username, password: user.password });
      assert.deepEqual(out.trail, i === 0 ? ['login', 'consent'] : [], i === 0 ? 'signed in and consented' : 'no page at all');
      assert.equal(out.kind, 'redirect');
      if (out.kind !== 'redirect') return;
      const params = oauth.validateAuthResponse(as, c, out.url, started.state);
      const res = await oauth.authorizationCodeGrantRequest(
        as,
        c,
        oauth.ClientSecretBasic(rp.client_secret),
        params,
        rp.redirect_uri,
        started.verifier,
        INSECURE,
      );
      const tokens = await oauth.processAuthorizationCodeResponse(as, c, res, { expectedNonce: oauth.expectNoNonce, requireIdToken: true });
      assert.equal(oauth.getValidatedIdTokenClaims(tokens)!.sub, user.id);
    }
  });

  test('RFC 8252 §7.2 a public client redirecting to an https URI completes with prompt=none', async () => {
    const user = await createTestUser(op.gh);
    const spa = await createRp(op.gh, 'public', { scope: 'openid email' });
    const ua = await approvedOnce(spa, user);
    const second = await start(spa, { prompt: 'none' });
    const out = await ua.navigate(second.url);
    assert.deepEqual(out.trail, []);
    assert.equal(await redeem(spa, second, out), user.id);
  });
});

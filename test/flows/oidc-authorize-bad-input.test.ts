/**
 * Bad input at the authorization and token endpoints: each gets the specification's answer, no
 * open redirect, nothing usable written. Redirect URI tricks end on an error page (RFC 6749
 * §4.1.2.1, RFC 9700 §4.1.3 exact matching); everything else is an OAuth error.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import {
  assertAuthorizationError,
  assertErrorPage,
  authorizeCode,
  authRequest,
  codeFlow,
  createRp,
  rpConfig,
  startRpFlow,
  tokenRequest,
  userinfo,
  type OidcServer,
  type TestRp,
  type TestUser,
} from '../support/oidc.ts';
import { createTestClient } from '../support/server.ts';
import { UserAgent } from '../support/user-agent.ts';

let op: OidcServer;
let alice: TestUser;
let rp: TestRp;
let cfg: oidc.Configuration;
before(async () => {
  ({ op, user: alice, rp, cfg } = await startRpFlow());
});
after(() => op?.close());

const ua = () => new UserAgent(op.url);
const creds = () => ({ username: alice.username, password: alice.password });

describe('RFC 9700 §4.1.3 redirect URI tricks end on an error page, nothing is redirected', () => {
  const registered = 'https://rp.example.test/cb';
  const tricks: Record<string, string> = {
    prefix: 'https://rp.example.test/c',
    suffix: 'https://rp.example.test/cb/evil',
    'appended characters': 'https://rp.example.test/cbx',
    'trailing slash': 'https://rp.example.test/cb/',
    'path traversal': 'https://rp.example.test/cb/../evil',
    'encoded path traversal': 'https://rp.example.test/cb/..%2Fevil',
    'userinfo @ to another host': 'https://rp.example.test@attacker.example/cb',
    'userinfo @ before the host': 'https://attacker.example@rp.example.test/cb',
    fragment: 'https://rp.example.test/cb#frag',
    'host case': 'https://RP.EXAMPLE.TEST/cb',
    'path case': 'https://rp.example.test/CB',
    'percent-encoded path': 'https://rp.example.test/%63b',
    'encoded @ in host': 'https://rp.example.test%40attacker.example/cb',
    'scheme downgrade': 'http://rp.example.test/cb',
    'another port': 'https://rp.example.test:8443/cb',
    subdomain: 'https://evil.rp.example.test/cb',
    'javascript scheme': 'javascript:alert(1)//https://rp.example.test/cb',
  };
  for (const [name, uri] of Object.entries(tricks)) {
    test(`${name}: ${uri}`, async () => {
      assert.notEqual(uri, registered);
      const req = await authRequest(cfg, rp, { redirect_uri: uri });
      assertErrorPage(await ua().authorize(req.url, creds()));
    });
  }

  test('RFC 8252 §7.3 a different loopback port is refused for a web client', async () => {
    const web = await createRp(op.gh, 'confidential', { redirect_uris: ['http://127.0.0.1:7777/cb'] });
    const req = await authRequest(await rpConfig(op, web), web, { redirect_uri: 'http://127.0.0.1:8888/cb' });
    assertErrorPage(await ua().authorize(req.url, creds()));
  });

  test('RFC 8252 §7.3 a native client may use any loopback port (control: the rule exists)', async () => {
    const native = await createRp(op.gh, 'public', { redirect_uris: ['http://127.0.0.1/cb'], application_type: 'native' });
    const ncfg = await rpConfig(op, native);
    const r = await codeFlow(op, ncfg, { ...native, redirect_uri: 'http://127.0.0.1:51234/cb' }, ua(), alice);
    assert.equal(r.callback.origin, 'http://127.0.0.1:51234');
    const other = await authRequest(ncfg, native, { redirect_uri: 'http://127.0.0.1:51234/other' });
    assertErrorPage(await ua().authorize(other.url, creds()));
  });

  test('RFC 6749 §4.1.2.1 an unknown client_id gets an error page', async () => {
    const req = await authRequest(cfg, rp);
    req.url.searchParams.set('client_id', 'no-such-client');
    assertErrorPage(await ua().authorize(req.url, creds()));
  });
});

describe('RFC 7636 PKCE downgrade, mismatch and misuse', () => {
  test('§4.6 a verifier that does not match the S256 challenge: invalid_grant', async () => {
    const { code } = await authorizeCode(cfg, rp, ua(), alice);
    const res = await tokenRequest(op, rp, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: rp.redirect_uri,
      code_verifier: oidc.randomPKCECodeVerifier(),
    });
    assert.equal(res.status, 400);
    assert.equal(res.body['error'], 'invalid_grant');
  });

  test('§7.2 downgrade: the challenge itself sent as a plain verifier: invalid_grant', async () => {
    const { req, code } = await authorizeCode(cfg, rp, ua(), alice);
    const challenge = req.url.searchParams.get('code_challenge')!;
    const res = await tokenRequest(op, rp, { grant_type: 'authorization_code', code, redirect_uri: rp.redirect_uri, code_verifier: challenge });
    assert.equal(res.body['error'], 'invalid_grant');
  });

  test('§4.3 code_challenge_method=plain is refused when plain is off', async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const req = await authRequest(cfg, rp, { code_challenge: verifier, code_challenge_method: 'plain' });
    assertAuthorizationError(op, await ua().authorize(req.url, creds()), rp, 'invalid_request', req.state);
  });

  test('§4.2 a malformed code_challenge is refused', async () => {
    const req = await authRequest(cfg, rp, { code_challenge: 'short' });
    assertAuthorizationError(op, await ua().authorize(req.url, creds()), rp, 'invalid_request', req.state);
  });

  test('§4.5 a missing verifier for a code with a challenge: invalid_grant', async () => {
    const { code } = await authorizeCode(cfg, rp, ua(), alice);
    const res = await tokenRequest(op, rp, { grant_type: 'authorization_code', code, redirect_uri: rp.redirect_uri });
    assert.equal(res.body['error'], 'invalid_grant');
  });

  test('a code_verifier for a code issued without a challenge is rejected', async () => {
    const req = await authRequest(cfg, rp);
    req.url.searchParams.delete('code_challenge');
    req.url.searchParams.delete('code_challenge_method');
    const out = await ua().authorize(req.url, creds());
    const code = out.kind === 'redirect' ? out.url.searchParams.get('code') : null;
    assert.ok(code, 'a confidential client may omit PKCE by default (authorization.pkceRequired=public)');
    const res = await tokenRequest(op, rp, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: rp.redirect_uri,
      code_verifier: oidc.randomPKCECodeVerifier(),
    });
    // RFC 9700 §2.1.1: "authorization servers MUST ... ensure that if there was no code_challenge in
    // the authorization request, a request to the token endpoint containing a code_verifier is rejected."
    assert.equal(res.status, 400);
    assert.equal(res.body['error'], 'invalid_grant');
  });
});

describe('RFC 6749 §4.1.3 codes and refresh tokens stay with their client', () => {
  test('§4.1.2 code replay: refused, and the refresh token of the first redemption is revoked', async () => {
    const { req, code } = await authorizeCode(cfg, rp, ua(), alice, { scope: 'openid offline_access', prompt: 'consent' });
    const first = await tokenRequest(op, rp, { grant_type: 'authorization_code', code, redirect_uri: rp.redirect_uri, code_verifier: req.verifier });
    assert.equal(first.status, 200);
    const replay = await tokenRequest(op, rp, { grant_type: 'authorization_code', code, redirect_uri: rp.redirect_uri, code_verifier: req.verifier });
    assert.equal(replay.body['error'], 'invalid_grant');
    const refresh = await tokenRequest(op, rp, { grant_type: 'refresh_token', refresh_token: String(first.body['refresh_token']) });
    assert.equal(refresh.body['error'], 'invalid_grant', 'the grant is revoked (S4)');
  });

  test('a code redeemed by another client: invalid_grant, no tokens', async () => {
    const { req, code } = await authorizeCode(cfg, rp, ua(), alice);
    const thief = await createRp(op.gh);
    const res = await tokenRequest(op, thief, { grant_type: 'authorization_code', code, redirect_uri: rp.redirect_uri, code_verifier: req.verifier });
    // RFC 6749 §4.1.3: "ensure that the authorization code was issued to the authenticated confidential client"
    assert.equal(res.status, 400);
    assert.equal(res.body['error'], 'invalid_grant');
    assert.equal(res.body['access_token'], undefined);
  });

  test('a redirect_uri at the token endpoint different from the authorization request: invalid_grant', async () => {
    const { req, code } = await authorizeCode(cfg, rp, ua(), alice);
    const res = await tokenRequest(op, rp, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'https://rp.example.test/other',
      code_verifier: req.verifier,
    });
    // RFC 6749 §4.1.3: "ensure that the redirect_uri parameter is present ... and that their values are identical."
    assert.equal(res.body['error'], 'invalid_grant');
  });

  test('§6 a refresh token from another client: invalid_grant, and the owner can still use it', async () => {
    const r = await codeFlow(op, cfg, rp, ua(), alice, { scope: 'openid offline_access', prompt: 'consent' });
    const thief = await createRp(op.gh);
    const stolen = await tokenRequest(op, thief, { grant_type: 'refresh_token', refresh_token: r.tokens.refresh_token! });
    assert.equal(stolen.status, 400);
    assert.equal(stolen.body['error'], 'invalid_grant');
    const owner = await tokenRequest(op, rp, { grant_type: 'refresh_token', refresh_token: r.tokens.refresh_token! });
    assert.equal(owner.status, 200, 'nothing was written by the failed attempt');
  });
});

describe('authorization request parameters', () => {
  test('an oversized state is refused without being echoed', async () => {
    const state = 'x'.repeat(4096);
    const req = await authRequest(cfg, rp, { state });
    const out = await ua().authorize(req.url, creds());
    if (out.kind === 'page') {
      assert.ok(out.page.status === 400 || out.page.status === 414, `status ${out.page.status}`);
      assert.ok(!out.page.html.includes(state), 'state not reflected in the page');
    } else {
      const p = out.kind === 'redirect' ? (out.url.hash ? new URLSearchParams(out.url.hash.slice(1)) : out.url.searchParams) : new URLSearchParams(out.params);
      assert.equal(p.get('error'), 'invalid_request');
      assert.equal(p.get('code'), null);
      assert.equal(p.get('state'), null, 'the oversized state is not echoed to the client (check-state.ts)');
    }
  });

  test('OIDC Core §3.1.2.6 prompt=none without a session: login_required with iss at the redirect URI', async () => {
    const req = await authRequest(cfg, rp, { prompt: 'none' });
    assertAuthorizationError(op, await ua().authorize(req.url), rp, 'login_required', req.state);
  });

  test('OIDC Core §3.1.2.1 prompt=none combined with another value: invalid_request', async () => {
    const req = await authRequest(cfg, rp, { prompt: 'none login' });
    assertAuthorizationError(op, await ua().authorize(req.url), rp, 'invalid_request', req.state);
  });

  test('RFC 6749 §3.1 a repeated parameter: invalid_request', async () => {
    const req = await authRequest(cfg, rp);
    req.url.searchParams.append('scope', 'openid email');
    const out = await ua().authorize(req.url, creds());
    if (out.kind === 'page') assertErrorPage(out);
    else assertAuthorizationError(op, out, rp, 'invalid_request', req.state);
  });

  test('a malformed claims parameter: invalid_request', async () => {
    const req = await authRequest(cfg, rp, { claims: '{not json' });
    assertAuthorizationError(op, await ua().authorize(req.url, creds()), rp, 'invalid_request', req.state);
  });

  test('a forged CSRF token on the login form is refused and signs nobody in', async () => {
    const req = await authRequest(cfg, rp);
    const browser = ua();
    const out = await browser.navigate(req.url);
    assert.ok(out.kind === 'page' && out.page.kind === 'login');
    const form = out.page.forms.find((f) => f.fields.some((x) => x.type === 'password'))!;
    const csrf = form.fields.find((x) => /csrf|xsrf/i.test(x.name));
    assert.ok(csrf, 'the login form carries a CSRF token');
    const user = form.fields.find((x) => x.type !== 'hidden' && x.type !== 'password')!;
    const pw = form.fields.find((x) => x.type === 'password')!;
    const forged = await browser.submit(form, { [csrf.name]: 'forged-token', [user.name]: alice.username, [pw.name]: alice.password });
    assert.equal(forged.kind, 'page', 'no redirect to the client');
    if (forged.kind === 'page') assert.ok(forged.page.status === 403 || forged.page.status === 400, `status ${forged.page.status}`);
    // Still not signed in: prompt=none fails.
    const again = await authRequest(cfg, rp, { prompt: 'none' });
    assertAuthorizationError(op, await browser.authorize(again.url), rp, 'login_required', again.state);
  });

  test('OIDC Core §5.3 UserInfo refuses an access token that did not come from an OpenID request', async () => {
    const m2m = await createTestClient(op.gh, { scope: 'read' });
    const cc = await fetch(`${op.url}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${m2m.client_id}:${m2m.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'read' }),
    });
    const { access_token } = (await cc.json()) as { access_token: string };
    const res = await userinfo(op, access_token);
    // RFC 6750 §3.1: insufficient_scope (403) or invalid_token (401); never the claims of nobody.
    assert.ok(res.status === 403 || res.status === 401, `status ${res.status}`);
    assert.match(res.headers.get('www-authenticate') ?? '', /error="(insufficient_scope|invalid_token)"/);
  });

  test('a bearer token that is not ours at UserInfo: 401 invalid_token (RFC 6750 §3.1)', async () => {
    const res = await userinfo(op, 'not-a-token');
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer\b.*error="invalid_token"/);
  });
});

describe('OIDC RP-Initiated Logout §3 no open redirect via post_logout_redirect_uri', () => {
  test('an unregistered post_logout_redirect_uri is never followed', async () => {
    const r = await codeFlow(op, cfg, rp, ua(), alice);
    const browser = ua();
    const url = new URL(`${op.url}/end_session`);
    url.search = new URLSearchParams({ id_token_hint: r.tokens.id_token!, post_logout_redirect_uri: 'https://attacker.example/', state: 's' }).toString();
    const out = await browser.navigate(url);
    assert.equal(out.kind, 'page', `no redirect to ${out.kind === 'redirect' ? out.url.href : ''}`);
    if (out.kind === 'page') assert.ok(!out.page.html.includes('https://attacker.example/"'), 'no link to the unregistered URI');
  });
});

/**
 * OpenID Connect Form Post OP conformance plan: `response_mode=form_post` (OAuth 2.0 Form Post
 * Response Mode §2) for the code flow, a hybrid type and errors. The user agent captures the
 * auto-submit page; its parameters are replayed to openid-client as the POST request the browser
 * would have sent to the redirect URI.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as oidc from 'openid-client';
import { assertAuthorizationError, rpConfig, startRpFlow, type OidcServer, type TestRp, type TestUser } from '../support/oidc.ts';
import { UserAgent, type Outcome } from '../support/user-agent.ts';

let op: OidcServer;
let alice: TestUser;
let rp: TestRp;
before(async () => {
  ({ op, user: alice, rp } = await startRpFlow({ rp: { metadata: { response_types: ['code', 'code id_token'] } } }));
});
after(() => op?.close());

interface Run {
  readonly out: Outcome;
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
}

async function run(cfg: oidc.Configuration, params: Record<string, string>, login = true): Promise<Run> {
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(cfg, {
    redirect_uri: rp.redirect_uri,
    scope: 'openid',
    response_type: 'code',
    response_mode: 'form_post',
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...params,
  });
  const out = await new UserAgent(op.url).authorize(url, login ? { username: alice.username, password: alice.password } : {});
  return { out, state, nonce, verifier };
}

/** The auto-submit page: a POST form to the exact redirect URI, no-store, script allowed only by CSP nonce/hash/self. */
function formPost(out: Outcome): { request: Request; params: Readonly<Record<string, string>> } {
  if (out.kind !== 'form_post')
    assert.fail(
      `expected a form_post page, got ${out.kind === 'page' ? `the ${out.page.kind} page: ${out.page.text.slice(0, 200)}` : `a redirect to ${out.url.href}`}`,
    );
  assert.equal(out.action, rp.redirect_uri, 'Form Post §2: the form posts to the redirect URI');
  assert.match(out.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(out.headers.get('cache-control') ?? '', /no-store/, 'authorization responses are not cached');
  const csp = out.headers.get('content-security-policy') ?? '';
  assert.ok(csp, 'a CSP on the auto-submit page');
  assert.doesNotMatch(csp, /'unsafe-inline'/, 'strict CSP without unsafe-inline');
  const request = new Request(rp.redirect_uri, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(out.params),
  });
  return { request, params: out.params };
}

test('oidcc-server (form_post, code)', async () => {
  const cfg = await rpConfig(op, rp);
  const r = await run(cfg, {});
  const { request, params } = formPost(r.out);
  assert.equal(params['iss'], op.url, 'RFC 9207 iss in the posted response');
  assert.equal(params['state'], r.state);
  const tokens = await oidc.authorizationCodeGrant(cfg, request, { pkceCodeVerifier: r.verifier, expectedState: r.state, expectedNonce: r.nonce });
  assert.equal(tokens.claims()!.sub, alice.id);
});

test('oidcc-server (form_post, code id_token)', async () => {
  const cfg = await rpConfig(op, rp);
  oidc.useCodeIdTokenResponseType(cfg);
  const r = await run(cfg, { response_type: 'code id_token' });
  const { request, params } = formPost(r.out);
  assert.ok(params['id_token'] && params['code']);
  // openid-client checks the posted ID token (signature, nonce, c_hash) before redeeming the code.
  const tokens = await oidc.authorizationCodeGrant(cfg, request, { pkceCodeVerifier: r.verifier, expectedState: r.state, expectedNonce: r.nonce });
  assert.equal(tokens.claims()!.sub, alice.id);
});

test('oidcc-prompt-none-not-logged-in (form_post)', async () => {
  const cfg = await rpConfig(op, rp);
  const r = await run(cfg, { prompt: 'none' }, false);
  formPost(r.out);
  // Form Post §2: error responses use the same mode.
  assertAuthorizationError(op, r.out, rp, 'login_required', r.state);
});

test('Form Post §2 the posted values are HTML-escaped (state cannot break out of the form)', async () => {
  const cfg = await rpConfig(op, rp);
  const state = `"><script>alert(1)</script>&x='`;
  const r = await run(cfg, { state });
  const { params } = formPost(r.out);
  assert.equal(params['state'], state, 'the exact state round-trips through the form');
  if (r.out.kind === 'form_post') assert.ok(!r.out.html.includes('<script>alert(1)'), 'not injected as markup');
});

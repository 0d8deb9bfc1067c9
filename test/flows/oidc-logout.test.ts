/**
 * OpenID Connect logout over real HTTP, with openid-client as the relying party:
 * RP-Initiated Logout 1.0, Back-Channel Logout 1.0, Front-Channel Logout 1.0 and Session
 * Management 1.0. Tests carry the names of the OpenID conformance-suite modules they mirror
 * (oidcc-rp-initiated-logout-certification-test-plan and the back-channel, front-channel and
 * session-management logout plans).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import type { EventMap } from '../../src/core/events.ts';
import { codeFlow, createRp, createTestUser, rpConfig, TestClock, type OidcServer, type TestRp, type TestUser } from '../support/oidc.ts';
import { startTestServer } from '../support/server.ts';
import { decodeEntities } from '../support/html-forms.ts';
import { askOpFrame, receiver } from '../support/logout-rp.ts';
import { UserAgent, type Outcome, type Page } from '../support/user-agent.ts';

const RP = 'https://rp.example.test';
const BYE = `${RP}/logged-out`;
const BYE_QUERY = `${RP}/bye?from=op`;

let op: OidcServer;
let user: TestUser;
const RETRIES = 2;

before(async () => {
  const clock = new TestClock();
  // Retries with a 1 ms back-off: the give-up path runs at once (S14: never sleep).
  const s = await startTestServer({ logout: { backchannelRetries: RETRIES, backchannelTimeout: 5 } }, { clock, backchannel: { baseDelayMs: 1 } });
  op = { ...s, clock };
  user = await createTestUser(op.gh, { username: 'logout-alice' });
});
after(async () => {
  await op.close();
});

/** A relying party registered with logout metadata (RP-Initiated / Back- / Front-Channel Logout). */
async function logoutRp(meta: Record<string, unknown> = {}): Promise<{ rp: TestRp; cfg: oidc.Configuration }> {
  const rp = await createRp(op.gh, 'confidential', { post_logout_redirect_uris: [BYE, BYE_QUERY], id_token_signed_response_alg: 'ES256', ...meta });
  const cfg = await rpConfig(op, rp, { metadata: { id_token_signed_response_alg: 'ES256' } });
  return { rp, cfg };
}

interface SignedIn {
  readonly ua: UserAgent;
  readonly idToken: string;
  readonly claims: oidc.IDToken;
  readonly sessionState: string | null;
}

/** Signs `user` in through the authorization code flow; returns the browser and the ID token. */
async function signIn(rp: TestRp, cfg: oidc.Configuration, ua = new UserAgent(op.url)): Promise<SignedIn> {
  const r = await codeFlow(op, cfg, rp, ua, user, { scope: 'openid profile' });
  const idToken = r.tokens.id_token;
  assert.ok(idToken);
  return { ua, idToken, claims: r.claims, sessionState: r.callback.searchParams.get('session_state') };
}

/** True while the browser still holds a live session. */
async function signedIn(ua: UserAgent): Promise<boolean> {
  const cookie = ua.cookies.get(op.gh.ctx.config.session.cookieName);
  return cookie !== undefined && (await op.gh.ctx.sessions.read(cookie)) !== undefined;
}

function page(out: Outcome): Page {
  if (out.kind !== 'page') assert.fail(`expected a page, got ${out.kind} ${out.kind === 'redirect' ? out.url.href : ''}`);
  return out.page;
}

function redirect(out: Outcome): URL {
  if (out.kind !== 'redirect')
    assert.fail(`expected a redirect, got a ${out.kind}: ${out.kind === 'page' ? `${out.page.status} ${out.page.text.slice(0, 300)}` : ''}`);
  return out.url;
}

/** An error page: 400, HTML, and nothing was redirected or ended. */
async function assertRefused(out: Outcome, ua: UserAgent): Promise<void> {
  const p = page(out);
  assert.equal(p.status, 400, p.text.slice(0, 300));
  assert.match(p.headers.get('content-type') ?? '', /^text\/html/);
  assert.equal(p.headers.get('location'), null);
  assert.equal(await signedIn(ua), true, 'the session is untouched');
}

/** Confirms on the "Sign out?" page (CSRF-protected POST). */
function confirmLogout(ua: UserAgent, p: Page, answer: 'yes' | 'no' = 'yes'): Promise<Outcome> {
  const form = p.forms.find((f) => f.submitters.some((s) => s.name === 'gh_logout'));
  assert.ok(form, `a confirmation form on ${p.text.slice(0, 200)}`);
  assert.ok(
    form.fields.some((f) => f.name === 'csrf_token' && f.value !== ''),
    'CSRF token',
  );
  return ua.submit(
    form,
    {},
    form.submitters.find((s) => s.value === answer),
  );
}

/** Waits (without sleeping) for the first event `name` matching `pred`. */
function nextEvent<K extends keyof EventMap>(name: K, pred: (e: EventMap[K]) => boolean = () => true): Promise<EventMap[K]> {
  return new Promise((resolve) => {
    const off = op.gh.ctx.events.on(name, (e) => {
      if (pred(e)) {
        off();
        resolve(e);
      }
    });
  });
}

describe('logout discovery metadata', () => {
  test('oidcc-rp-initiated-logout / backchannel / frontchannel / session-management -discovery-endpoint-verification', async () => {
    const m = (await (await fetch(`${op.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    assert.equal(m.end_session_endpoint, `${op.url}/end_session`);
    assert.equal(m.check_session_iframe, `${op.url}/session/check`);
    assert.equal(m.backchannel_logout_supported, true);
    assert.equal(m.backchannel_logout_session_supported, true);
    assert.equal(m.frontchannel_logout_supported, true);
    assert.equal(m.frontchannel_logout_session_supported, true);
  });
});

describe('OIDC RP-Initiated Logout 1.0', () => {
  test('oidcc-rp-initiated-logout: id_token_hint + registered post_logout_redirect_uri → signed out, redirected with state', async () => {
    const { rp, cfg } = await logoutRp();
    const { ua, idToken } = await signIn(rp, cfg);
    const completed = nextEvent('logout.completed', (e) => e.clientId === rp.client_id);
    const url = oidc.buildEndSessionUrl(cfg, { id_token_hint: idToken, post_logout_redirect_uri: BYE, state: 'st-1' });
    const target = redirect(await ua.navigate(url));
    assert.equal(target.href, `${BYE}?state=st-1`);
    assert.equal(await signedIn(ua), false, 'the OP session ended');
    assert.equal(ua.cookies.has('gh_browser_state'), false, 'the browser state changed (cleared)');
    assert.equal((await completed).accounts, 1);
  });

  test('oidcc-rp-initiated-logout (POST): the end-session endpoint accepts form parameters', async () => {
    const { rp, cfg } = await logoutRp();
    const { ua, idToken } = await signIn(rp, cfg);
    const body = new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: BYE, state: 'post-state' });
    const target = redirect(await ua.navigate(`${op.url}/end_session`, { method: 'POST', body }));
    assert.equal(target.href, `${BYE}?state=post-state`);
    assert.equal(await signedIn(ua), false);
  });

  test('RP-Initiated Logout §2 POST from another site: without the (SameSite=Lax) cookie it is re-posted from our origin', async () => {
    const { rp, cfg } = await logoutRp();
    const { ua, idToken } = await signIn(rp, cfg);
    const name = op.gh.ctx.config.session.cookieName;
    const cookie = ua.cookies.get(name)!;
    ua.cookies.delete(name); // what a browser sends on a cross-site POST
    const body = new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: BYE, state: 'x-site' });
    const bounce = page(await ua.navigate(`${op.url}/end_session`, { method: 'POST', body }));
    assert.equal(bounce.status, 200);
    assert.match(bounce.html, /<script src="[^"]+\/assets\/form-post\.js/);
    assert.match(bounce.headers.get('content-security-policy') ?? '', /form-action 'self' https:\/\/rp\.example\.test;/);
    const form = bounce.forms.find((f) => f.action === `${op.url}/end_session`);
    assert.ok(form && form.method === 'POST', 'an auto-submitted form back to /end_session');
    assert.notEqual(await op.gh.ctx.sessions.read(cookie), undefined, 'nothing ended yet');
    ua.cookies.set(name, cookie); // the same-origin resubmission carries it
    assert.equal(redirect(await ua.submit(form)).href, `${BYE}?state=x-site`);
    assert.equal(await signedIn(ua), false);
  });

  test('oidcc-rp-initiated-logout-bad-post-logout-redirect-uri: unregistered targets are refused, never redirected', async () => {
    const { rp, cfg } = await logoutRp();
    const { ua, idToken } = await signIn(rp, cfg);
    for (const uri of [
      `${BYE}/`,
      `${BYE}x`,
      `${RP}/logged`,
      `${BYE}?next=https://evil.example`,
      `${BYE}#x`,
      'https://evil.example/logged-out',
      'https://rp.example.test.evil.example/logged-out',
      'https://rp.example.test@evil.example/logged-out',
      `${RP}/logged-out/../../evil`,
      'http://rp.example.test/logged-out',
      'HTTPS://RP.EXAMPLE.TEST/logged-out',
      `${RP}/logged%2Dout`,
      '//evil.example',
      'javascript:alert(1)',
    ]) {
      const url = oidc.buildEndSessionUrl(cfg, { id_token_hint: idToken, post_logout_redirect_uri: uri, state: 's' });
      await assertRefused(await ua.navigate(url), ua);
    }
  });

  test('RP-Initiated Logout §3: a post_logout_redirect_uri without an identified client is refused', async () => {
    const { rp, cfg } = await logoutRp();
    const { ua } = await signIn(rp, cfg);
    await assertRefused(await ua.navigate(`${op.url}/end_session?${new URLSearchParams({ post_logout_redirect_uri: BYE })}`), ua);
    // Another client's registered URI with this client's id: refused as well.
    await logoutRp({ post_logout_redirect_uris: ['https://other.example.test/bye'] });
    await assertRefused(await ua.navigate(oidc.buildEndSessionUrl(cfg, { post_logout_redirect_uri: 'https://other.example.test/bye' })), ua);
  });

  test('RP-Initiated Logout §2: a repeated parameter is refused', async () => {
    const { rp, cfg } = await logoutRp();
    const { ua, idToken } = await signIn(rp, cfg);
    const q = new URLSearchParams([
      ['id_token_hint', idToken],
      ['post_logout_redirect_uri', BYE],
      ['post_logout_redirect_uri', 'https://evil.example/'],
    ]);
    await assertRefused(await ua.navigate(`${op.url}/end_session?${q}`), ua);
  });

  test('oidcc-rp-initiated-logout-modified-id-token-hint: a tampered hint is refused', async () => {
    const { rp, cfg } = await logoutRp();
    const { ua, idToken } = await signIn(rp, cfg);
    const [h, p, s] = idToken.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const modified = `${h}.${Buffer.from(JSON.stringify({ ...payload, sub: 'someone-else' })).toString('base64url')}.${s}`;
    await assertRefused(await ua.navigate(oidc.buildEndSessionUrl(cfg, { id_token_hint: modified, post_logout_redirect_uri: BYE })), ua);
  });

  test('oidcc-rp-initiated-logout-bad-id-token-hint: a hint signed by someone else is refused', async () => {
    const { rp, cfg } = await logoutRp();
    const { ua, claims } = await signIn(rp, cfg);
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const kid = (await exportJWK(publicKey)).x!.slice(0, 8);
    const forged = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' }).sign(privateKey);
    await assertRefused(await ua.navigate(oidc.buildEndSessionUrl(cfg, { id_token_hint: forged, post_logout_redirect_uri: BYE })), ua);
  });

  test('RP-Initiated Logout §2: client_id must match the id_token_hint audience', async () => {
    const { rp, cfg } = await logoutRp();
    const other = await logoutRp();
    const { ua, idToken } = await signIn(rp, cfg);
    await assertRefused(await ua.navigate(oidc.buildEndSessionUrl(other.cfg, { id_token_hint: idToken })), ua);
  });

  test('oidcc-rp-initiated-logout-no-id-token-hint: the user is asked first, then redirected with state', async () => {
    const { rp, cfg } = await logoutRp();
    const { ua } = await signIn(rp, cfg);
    const confirm = page(await ua.navigate(oidc.buildEndSessionUrl(cfg, { post_logout_redirect_uri: BYE, state: 'nh' })));
    assert.equal(confirm.status, 200);
    assert.match(confirm.text, /Sign out of Gatehouse\?/);
    assert.match(confirm.text, /logout-alice/);
    assert.equal(await signedIn(ua), true, 'nothing ended before the answer');
    assert.match(confirm.headers.get('content-security-policy') ?? '', /form-action 'self' https:\/\/rp\.example\.test;/);
    assert.equal(redirect(await confirmLogout(ua, confirm)).href, `${BYE}?state=nh`);
    assert.equal(await signedIn(ua), false);
  });

  test('oidcc-rp-initiated-logout-no-params: confirmation, then the signed-out page', async () => {
    const { rp, cfg } = await logoutRp();
    const { ua } = await signIn(rp, cfg);
    const confirm = page(await ua.navigate(`${op.url}/end_session`));
    const done = page(await confirmLogout(ua, confirm));
    assert.equal(done.status, 200);
    assert.match(done.text, /You have signed out/);
    assert.equal(await signedIn(ua), false);
  });

  test('a forged confirmation changes nothing; "Stay signed in" keeps the session', async () => {
    const { rp, cfg } = await logoutRp();
    const { ua } = await signIn(rp, cfg);
    const confirm = page(await ua.navigate(oidc.buildEndSessionUrl(cfg, { post_logout_redirect_uri: BYE })));
    const form = confirm.forms.find((f) => f.submitters.some((s) => s.name === 'gh_logout'))!;
    const forged = page(
      await ua.submit(
        form,
        { csrf_token: 'AAAA.forged' },
        form.submitters.find((s) => s.value === 'yes'),
      ),
    );
    assert.equal(forged.status, 403);
    assert.equal(await signedIn(ua), true);
    const stay = page(await confirmLogout(ua, confirm, 'no'));
    assert.match(stay.text, /still signed in/);
    assert.equal(await signedIn(ua), true);
  });

  test('oidcc-rp-initiated-logout-no-post-logout-redirect-uri and -only-state: signed out, no redirect', async () => {
    const { rp, cfg } = await logoutRp();
    for (const params of [{}, { state: 'only-state' }] as Record<string, string>[]) {
      const { ua, idToken } = await signIn(rp, cfg);
      const done = page(await ua.navigate(oidc.buildEndSessionUrl(cfg, { id_token_hint: idToken, ...params })));
      assert.equal(done.status, 200);
      assert.match(done.text, /You have signed out/);
      assert.doesNotMatch(done.html, /only-state/);
      assert.equal(await signedIn(ua), false);
    }
  });

  test('oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri and -no-state', async () => {
    const { rp, cfg } = await logoutRp();
    const first = await signIn(rp, cfg);
    const withQuery = redirect(
      await first.ua.navigate(oidc.buildEndSessionUrl(cfg, { id_token_hint: first.idToken, post_logout_redirect_uri: BYE_QUERY, state: 'q' })),
    );
    assert.equal(withQuery.href, `${BYE_QUERY}&state=q`);
    const second = await signIn(rp, cfg);
    const noState = redirect(await second.ua.navigate(oidc.buildEndSessionUrl(cfg, { id_token_hint: second.idToken, post_logout_redirect_uri: BYE })));
    assert.equal(noState.href, BYE);
  });

  test('RP-Initiated Logout §2: an expired hint is accepted', async () => {
    const { rp, cfg } = await logoutRp();
    const { ua, idToken } = await signIn(rp, cfg);
    op.clock.advance(2 * op.gh.ctx.config.tokens.idTokenTtl);
    try {
      // The session may have lapsed meanwhile: either way the logout redirects, never errors.
      const target = redirect(await ua.navigate(oidc.buildEndSessionUrl(cfg, { id_token_hint: idToken, post_logout_redirect_uri: BYE, state: 'late' })));
      assert.equal(target.href, `${BYE}?state=late`);
    } finally {
      op.clock.advance(-2 * op.gh.ctx.config.tokens.idTokenTtl);
    }
  });
});

describe('OIDC Back-Channel Logout 1.0', () => {
  test('oidcc-backchannel-rp-initiated-logout: the RP receives a logout_token that verifies against /jwks.json', async () => {
    const rcv = await receiver(200);
    try {
      const { rp, cfg } = await logoutRp({ backchannel_logout_uri: rcv.url, backchannel_logout_session_required: true });
      const { ua, idToken, claims } = await signIn(rp, cfg);
      const delivered = nextEvent('backchannel_logout.delivered', (e) => e.clientId === rp.client_id);
      redirect(await ua.navigate(oidc.buildEndSessionUrl(cfg, { id_token_hint: idToken, post_logout_redirect_uri: BYE })));
      assert.equal((await delivered).attempts, 1);
      assert.deepEqual(rcv.requests, ['POST application/x-www-form-urlencoded']);
      const token = rcv.tokens[0]!;
      // Back-Channel Logout §2.4: explicitly typed, signed like the client's ID tokens.
      assert.equal(decodeProtectedHeader(token).typ, 'logout+jwt');
      assert.equal(decodeProtectedHeader(token).alg, 'ES256');
      const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${op.url}/jwks.json`)), {
        issuer: op.url,
        audience: rp.client_id,
        typ: 'logout+jwt',
        currentDate: new Date(op.clock.now()),
      });
      assert.deepEqual(payload.events, { 'http://schemas.openid.net/event/backchannel-logout': {} });
      assert.equal(payload.sub, claims.sub);
      assert.equal(payload.sid, claims.sid, 'sid of the ended session (backchannel_logout_session_required)');
      assert.ok(typeof claims.sid === 'string' && claims.sid.length > 0);
      assert.equal(payload.nonce, undefined, '"A Logout Token MUST NOT contain a nonce Claim"');
      assert.ok(typeof payload.jti === 'string' && payload.jti.length >= 16);
      assert.ok(payload.exp! - payload.iat! <= 300, 'short-lived');
    } finally {
      await rcv.close();
    }
  });

  test('Back-Channel Logout §2.5: a failing receiver is retried with back-off, then given up', async () => {
    const rcv = await receiver(503);
    try {
      const { rp, cfg } = await logoutRp({ backchannel_logout_uri: rcv.url });
      const { ua, idToken } = await signIn(rp, cfg);
      const failed = nextEvent('backchannel_logout.failed', (e) => e.clientId === rp.client_id);
      redirect(await ua.navigate(oidc.buildEndSessionUrl(cfg, { id_token_hint: idToken, post_logout_redirect_uri: BYE })));
      const e = await failed;
      assert.deepEqual([e.attempts, e.reason], [RETRIES + 1, 'http_503']);
      assert.equal(rcv.hits, RETRIES + 1);
      assert.equal(new Set(rcv.tokens).size, 1, 'the same Logout Token (same jti) on every attempt');
    } finally {
      await rcv.close();
    }
  });

  test('S19 Back-Channel Logout §2.5 to an internal address that is not allow-listed: never sent, failed as refused_address', async () => {
    const rcv = await receiver(200);
    const clock = new TestClock();
    // The shared test config allow-lists 127.0.0.1; this server keeps the default (empty) list.
    const s = await startTestServer({ outbound: { allowHosts: [] } }, { clock, backchannel: { baseDelayMs: 1 } });
    const guarded: OidcServer = { ...s, clock };
    try {
      const alice = await createTestUser(guarded.gh, { username: 'guarded-alice' });
      const rp = await createRp(guarded.gh, 'confidential', {
        post_logout_redirect_uris: [BYE],
        id_token_signed_response_alg: 'ES256',
        backchannel_logout_uri: rcv.url,
      });
      const cfg = await rpConfig(guarded, rp, { metadata: { id_token_signed_response_alg: 'ES256' } });
      const ua = new UserAgent(guarded.url);
      const { tokens } = await codeFlow(guarded, cfg, rp, ua, alice, { scope: 'openid profile' });
      const failed = new Promise<EventMap['backchannel_logout.failed']>((resolve) => {
        const off = guarded.gh.ctx.events.on('backchannel_logout.failed', (e) => {
          off();
          resolve(e);
        });
      });
      redirect(await ua.navigate(oidc.buildEndSessionUrl(cfg, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: BYE })));
      const e = await failed;
      // Not retried: the destination itself is refused, a later attempt cannot do better.
      assert.deepEqual([e.clientId, e.attempts, e.reason], [rp.client_id, 1, 'refused_address']);
      assert.equal(rcv.connections, 0, 'the internal address was never contacted');
      assert.equal(rcv.hits, 0);
    } finally {
      await s.close();
      await rcv.close();
    }
  });

  test("Back-Channel Logout: the user's response never waits for the RP", async () => {
    const rcv = await receiver('hang');
    try {
      const { rp, cfg } = await logoutRp({ backchannel_logout_uri: rcv.url });
      const { ua, idToken } = await signIn(rp, cfg);
      const target = redirect(await ua.navigate(oidc.buildEndSessionUrl(cfg, { id_token_hint: idToken, post_logout_redirect_uri: BYE, state: 'fast' })));
      assert.equal(target.href, `${BYE}?state=fast`);
      await rcv.arrived;
      assert.equal(op.gh.services.logoutNotifier.pending, 1, 'still delivering after the user was redirected');
    } finally {
      const ended = nextEvent('backchannel_logout.failed');
      await rcv.close();
      await ended;
    }
  });
});

describe('OIDC Front-Channel Logout 1.0', () => {
  test('oidcc-frontchannel-rp-initiated-logout: an iframe per RP with iss and sid, frame-src for those origins only, then continue', async () => {
    const { rp, cfg } = await logoutRp({ frontchannel_logout_uri: `${RP}/fcl?app=1`, frontchannel_logout_session_required: true });
    const { ua, idToken, claims } = await signIn(rp, cfg);
    const done = page(await ua.navigate(oidc.buildEndSessionUrl(cfg, { id_token_hint: idToken, post_logout_redirect_uri: BYE, state: 'fc' })));
    assert.equal(done.status, 200);
    const src = decodeEntities(/<iframe class="gh-frontchannel" src="([^"]+)"/.exec(done.html)?.[1] ?? '');
    assert.ok(src, 'an iframe');
    const frame = new URL(src);
    assert.equal(`${frame.origin}${frame.pathname}`, `${RP}/fcl`);
    assert.equal(frame.searchParams.get('app'), '1', 'the registered query is kept');
    assert.equal(frame.searchParams.get('iss'), op.url);
    assert.equal(frame.searchParams.get('sid'), claims.sid);
    const csp = done.headers.get('content-security-policy') ?? '';
    assert.match(csp, /frame-src https:\/\/rp\.example\.test$/);
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.equal(decodeEntities(/id="gh-continue"[^>]*href="([^"]+)"/.exec(done.html)?.[1] ?? ''), `${BYE}?state=fc`);
    assert.match(done.html, /<script src="[^"]+\/assets\/logout\.js\?v/);
    assert.equal(await signedIn(ua), false);
  });
});

describe('OIDC Session Management 1.0', () => {
  test('check_session_iframe: served with frame-ancestors * (this page only) and a same-origin script', async () => {
    const res = await fetch(`${op.url}/session/check`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /frame-ancestors \*/);
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.equal(res.headers.get('x-frame-options'), null);
    const html = await res.text();
    const script = decodeEntities(/<script src="([^"]+)"><\/script>/.exec(html)?.[1] ?? '');
    assert.ok(script?.startsWith(`${op.url}/assets/check-session.js`));
    const asset = await fetch(script);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('content-type') ?? '', /javascript/);
    // Every other page stays unframeable.
    const other = await fetch(`${op.url}/end_session`);
    assert.match(other.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
  });

  test('oidcc-session-management-rp-initiated-logout: the OP iframe answers unchanged, then changed after logout', async () => {
    const { rp, cfg } = await logoutRp();
    const { ua, idToken, sessionState } = await signIn(rp, cfg);
    assert.ok(sessionState, 'session_state in the authorization response');
    const origin = new URL(rp.redirect_uri).origin;
    const [hash, salt] = sessionState.split('.') as [string, string];
    const browserState = ua.cookies.get('gh_browser_state');
    assert.ok(browserState, 'gh_browser_state cookie');
    // session_state = base64url(SHA-256(client_id + " " + origin + " " + browser_state + " " + salt)) + "." + salt
    assert.equal(createHash('sha256').update(`${rp.client_id} ${origin} ${browserState} ${salt}`).digest('base64url'), hash);
    const script = await (await fetch(`${op.url}/assets/check-session.js`)).text();
    assert.equal(await askOpFrame(script, `gh_browser_state=${browserState}`, `${rp.client_id} ${sessionState}`, origin), 'unchanged');
    redirect(await ua.navigate(oidc.buildEndSessionUrl(cfg, { id_token_hint: idToken, post_logout_redirect_uri: BYE })));
    const after = ua.cookies.get('gh_browser_state');
    assert.notEqual(after, browserState, 'the browser state changed');
    assert.equal(await askOpFrame(script, after ? `gh_browser_state=${after}` : '', `${rp.client_id} ${sessionState}`, origin), 'changed');
  });
});

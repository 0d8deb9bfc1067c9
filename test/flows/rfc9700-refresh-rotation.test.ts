/**
 * Refresh tokens for end-user grants: rotation with family lineage and reuse detection
 * (RFC 9700 §4.14.2), scope narrowing (RFC 6749 §6), `offline_access` (OIDC Core §11), lifetimes.
 * The relying party is openid-client; raw requests only for what a client library refuses to send.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as oidc from 'openid-client';
import {
  codeFlow,
  createRp,
  createTestUser,
  rpConfig,
  startRpFlow,
  tokenRequest,
  userinfo,
  type OidcServer,
  type TestRp,
  type TestUser,
} from '../support/oidc.ts';
import { UserAgent } from '../support/user-agent.ts';

let op: OidcServer;
let alice: TestUser;
let rp: TestRp;
before(async () => {
  ({ op, user: alice, rp } = await startRpFlow());
});
after(() => op?.close());

async function offline(client: TestRp = rp, scope = 'openid offline_access email profile') {
  const cfg = await rpConfig(op, client);
  const r = await codeFlow(op, cfg, client, new UserAgent(op.url), alice, { scope, prompt: 'consent' });
  assert.ok(r.tokens.refresh_token, 'a refresh token with offline_access');
  return { cfg, r, rt: r.tokens.refresh_token };
}

async function introspect(token: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${op.url}/introspect`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${rp.client_id}:${rp.client_secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ token }),
  });
  return (await res.json()) as Record<string, unknown>;
}

test('RFC 9700 §4.14.2 rotation: each refresh issues a new refresh token and retires the old one', async () => {
  const { cfg, rt } = await offline();
  const second = await oidc.refreshTokenGrant(cfg, rt);
  assert.ok(second.refresh_token && second.refresh_token !== rt);
  const third = await oidc.refreshTokenGrant(cfg, second.refresh_token);
  assert.ok(third.refresh_token && third.refresh_token !== second.refresh_token);
  assert.equal((await userinfo(op, third.access_token)).status, 200);
});

test('RFC 9700 §4.14.2 reuse of a rotated refresh token revokes the family', async () => {
  const { cfg, rt: rt1 } = await offline();
  const second = await oidc.refreshTokenGrant(cfg, rt1);
  const rt2 = second.refresh_token!;
  assert.equal((await introspect(rt2))['active'], true, 'control: the new refresh token is active');
  assert.equal((await introspect(second.access_token))['active'], true, 'control: the new access token is active');
  // The attacker (or the victim) replays the rotated token.
  const replay = await tokenRequest(op, rp, { grant_type: 'refresh_token', refresh_token: rt1 });
  assert.equal(replay.status, 400);
  assert.equal(replay.body['error'], 'invalid_grant');
  // "If a refresh token is compromised and subsequently used by both the attacker and the legitimate
  // client, one of them will present an invalidated refresh token, which will inform the authorization
  // server of the breach. The authorization server cannot determine which party submitted the invalid
  // refresh token, but it will revoke the active refresh token."
  const next = await tokenRequest(op, rp, { grant_type: 'refresh_token', refresh_token: rt2 });
  assert.equal(next.body['error'], 'invalid_grant', 'the active refresh token of the family is revoked');
  assert.equal((await introspect(rt2))['active'], false);
  // S4: the whole grant, access tokens included.
  assert.equal((await userinfo(op, second.access_token)).status, 401, 'access tokens of the family are revoked');
  assert.equal((await introspect(second.access_token))['active'], false);
});

test('RFC 9700 §4.14.2 / RFC 8707 §2 a refresh refused with invalid_target leaves the same refresh token usable (no reuse detection)', async () => {
  const { cfg, rt } = await offline();
  const refused = await tokenRequest(op, rp, { grant_type: 'refresh_token', refresh_token: rt, resource: 'not a uri' });
  assert.equal(refused.status, 400);
  assert.equal(refused.body['error'], 'invalid_target');
  assert.equal((await introspect(rt))['active'], true, 'the refused request consumed nothing');
  const retry = await oidc.refreshTokenGrant(cfg, rt);
  assert.ok(retry.refresh_token && retry.refresh_token !== rt, 'the retry with the same refresh token rotates it');
  assert.equal((await userinfo(op, retry.access_token)).status, 200);
});

test('RFC 9700 §4.14.2 reuse in one family leaves other grants of the same user and client alone', async () => {
  const a = await offline();
  const b = await offline();
  await oidc.refreshTokenGrant(a.cfg, a.rt);
  await tokenRequest(op, rp, { grant_type: 'refresh_token', refresh_token: a.rt });
  const other = await oidc.refreshTokenGrant(b.cfg, b.rt);
  assert.ok(other.access_token, 'an unrelated grant still refreshes');
});

test('RFC 6749 §6 scope can narrow on refresh, never widen', async () => {
  const { cfg, rt } = await offline(rp, 'openid offline_access email profile');
  const narrowed = await oidc.refreshTokenGrant(cfg, rt, { scope: 'openid email' });
  assert.deepEqual(narrowed.scope?.split(' ').sort(), ['email', 'openid']);
  const info = await oidc.fetchUserInfo(cfg, narrowed.access_token, oidc.skipSubjectCheck);
  assert.equal(info.email, alice.claims.email);
  assert.equal(info.name, undefined, 'profile is no longer in the access token');
  // "The requested scope MUST NOT include any scope not originally granted by the resource owner"
  const wider = await tokenRequest(op, rp, { grant_type: 'refresh_token', refresh_token: narrowed.refresh_token!, scope: 'openid email phone' });
  assert.equal(wider.status, 400);
  assert.equal(wider.body['error'], 'invalid_scope');
  // The original grant still allows profile again (narrowing an access token does not shrink the grant).
  const back = await oidc.refreshTokenGrant(cfg, narrowed.refresh_token!, { scope: 'openid email profile' });
  assert.ok(back.scope?.split(' ').includes('profile'));
});

test('OIDC Core §11 offline_access governs refresh tokens for OpenID requests', async () => {
  const cfg = await rpConfig(op, rp);
  const r = await codeFlow(op, cfg, rp, new UserAgent(op.url), alice, { scope: 'openid email' });
  assert.equal(r.tokens.refresh_token, undefined, 'no refresh token without offline_access');
});

test('OIDC Core §12.2 a refreshed ID token keeps iss, sub, aud, auth_time and has a new iat', async () => {
  const { cfg, r, rt } = await offline();
  op.clock.advance(5);
  const refreshed = await oidc.refreshTokenGrant(await rpConfig(op, rp), rt);
  const c = refreshed.claims();
  assert.ok(c, 'an ID token on refresh of an OpenID grant');
  assert.equal(c.iss, r.claims.iss);
  assert.equal(c.sub, r.claims.sub);
  assert.deepEqual(c.aud, r.claims.aud);
  assert.equal(c.auth_time, r.claims.auth_time, '"its value MUST represent the time of the original authentication"');
  assert.ok(c.iat > r.claims.iat);
  void cfg;
});

test('RFC 9700 §4.14.2 a public client gets rotating refresh tokens bound to its client_id', async () => {
  const pub = await createRp(op.gh, 'public');
  const { cfg, rt } = await offline(pub);
  const next = await oidc.refreshTokenGrant(cfg, rt);
  assert.ok(next.refresh_token && next.refresh_token !== rt);
  const other = await createRp(op.gh, 'public');
  const stolen = await tokenRequest(op, other, { grant_type: 'refresh_token', refresh_token: next.refresh_token });
  assert.equal(stolen.body['error'], 'invalid_grant');
});

test('refresh tokens expire after tokens.refreshTokenTtl (sliding)', async () => {
  const { rt } = await offline();
  op.clock.advance(op.gh.ctx.config.tokens.refreshTokenTtl + 1);
  const res = await tokenRequest(op, rp, { grant_type: 'refresh_token', refresh_token: rt });
  assert.equal(res.status, 400);
  assert.equal(res.body['error'], 'invalid_grant');
});

test('a refresh token family ends at tokens.refreshTokenAbsoluteTtl however often it rotates', async () => {
  const { rt } = await offline();
  const { refreshTokenTtl, refreshTokenAbsoluteTtl } = op.gh.ctx.config.tokens;
  let current = rt;
  let elapsed = 0;
  const step = Math.max(60, refreshTokenTtl - 60);
  while (elapsed + step < refreshTokenAbsoluteTtl) {
    op.clock.advance(step);
    elapsed += step;
    const res = await tokenRequest(op, rp, { grant_type: 'refresh_token', refresh_token: current });
    assert.equal(res.status, 200, `rotation at +${elapsed}s`);
    current = String(res.body['refresh_token']);
  }
  op.clock.advance(refreshTokenAbsoluteTtl - elapsed + 1);
  const res = await tokenRequest(op, rp, { grant_type: 'refresh_token', refresh_token: current });
  assert.equal(res.body['error'], 'invalid_grant');
});

test("a disabled user's refresh token is refused (invalid_grant)", async () => {
  const bob = await createTestUser(op.gh);
  const cfg = await rpConfig(op, rp);
  const r = await codeFlow(op, cfg, rp, new UserAgent(op.url), bob, { scope: 'openid offline_access', prompt: 'consent' });
  await op.gh.services.userService.setDisabled(bob.id, true, 'admin');
  const res = await tokenRequest(op, rp, { grant_type: 'refresh_token', refresh_token: r.tokens.refresh_token! });
  assert.equal(res.status, 400);
  assert.equal(res.body['error'], 'invalid_grant');
});

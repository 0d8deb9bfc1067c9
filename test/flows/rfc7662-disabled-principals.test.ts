/**
 * Disabled and deleted principals over real HTTP (CWE-613, docs/security.md): tokens of a
 * disabled or deleted user or client are inactive at introspection (RFC 7662 §2.2), refused at
 * UserInfo (RFC 6750 §3.1 invalid_token) and at refresh (RFC 6749 §5.2 invalid_grant), JWT and
 * opaque alike; disabling a user and changing its password end its sessions and revoke its
 * grants unless `users.revokeOnDisable` / `users.revokeOnPasswordChange` are off. The relying
 * party is oauth4webapi; operators act through the application layer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { ADMIN, OPERATOR } from '../support/app-world.ts';
import {
  assertAuthorizationError,
  authorizeCode,
  authRequest,
  createRp,
  createTestUser,
  rpConfig,
  serverMetadata,
  startOidcServer,
  userinfo,
  type OidcServer,
  type TestRp,
  type TestUser,
} from '../support/oidc.ts';
import { createTestClient, type TestClient } from '../support/server.ts';
import { UserAgent } from '../support/user-agent.ts';

const INSECURE = { [oauth.allowInsecureRequests]: true } as const;
const RS_ID = 'rs-introspector';

interface World {
  readonly op: OidcServer;
  readonly rs: TestClient;
  readonly rps: Readonly<Record<'jwt' | 'opaque', TestRp>>;
}

async function world(users: Record<string, boolean> = {}): Promise<World> {
  const op = await startOidcServer({ introspection: { privilegedClients: [RS_ID] }, users });
  const rs = await createTestClient(op.gh, { grant_types: ['client_credentials'] }, { clientId: RS_ID });
  return { op, rs, rps: { jwt: await createRp(op.gh), opaque: await createRp(op.gh, 'confidential', { access_token_format: 'opaque' }) } };
}

interface Signed {
  readonly tokens: oauth.TokenEndpointResponse;
  readonly as: oauth.AuthorizationServer;
  readonly client: oauth.Client;
  readonly auth: oauth.ClientAuth;
  readonly ua: UserAgent;
  readonly rp: TestRp;
}

/** Signs `user` in (a browser that keeps its session cookie) and redeems the code with oauth4webapi. */
async function signIn(w: World, rp: TestRp, user: TestUser): Promise<Signed> {
  const ua = new UserAgent(w.op.url);
  const cfg = await rpConfig(w.op, rp);
  const { req, callback } = await authorizeCode(cfg, rp, ua, user, { scope: 'openid offline_access email', prompt: 'consent' });
  const as = (await serverMetadata(w.op.url)) as oauth.AuthorizationServer;
  const client: oauth.Client = { client_id: rp.client_id };
  const auth = oauth.ClientSecretBasic(rp.client_secret);
  const validated = oauth.validateAuthResponse(as, client, callback, req.state);
  const res = await oauth.authorizationCodeGrantRequest(as, client, auth, validated, rp.redirect_uri, req.verifier, INSECURE);
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, res, { expectedNonce: req.nonce, requireIdToken: true });
  assert.ok(tokens.refresh_token, 'a refresh token with offline_access');
  return { tokens, as, client, auth, ua, rp };
}

/** RFC 7662 introspection by the privileged resource server. */
async function introspect(w: World, token: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${w.op.url}/introspect`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${w.rs.client_id}:${w.rs.client_secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ token }),
  });
  assert.equal(res.status, 200);
  return (await res.json()) as Record<string, unknown>;
}

/** The refresh with oauth4webapi: the new tokens, or the OAuth error code. */
async function refresh(s: Signed, rt = s.tokens.refresh_token!): Promise<oauth.TokenEndpointResponse | string> {
  const res = await oauth.refreshTokenGrantRequest(s.as, s.client, s.auth, rt, INSECURE);
  try {
    return await oauth.processRefreshTokenResponse(s.as, s.client, res);
  } catch (e) {
    if (e instanceof oauth.ResponseBodyError) return e.error;
    // A 401 with a challenge (invalid_client): oauth4webapi reports the challenge's error.
    if (e instanceof oauth.WWWAuthenticateChallengeError) return String(e.cause[0]?.parameters.error);
    throw e;
  }
}

async function assertUsable(w: World, s: Signed, message: string): Promise<void> {
  assert.equal((await introspect(w, s.tokens.access_token))['active'], true, `${message}: access token active`);
  assert.equal((await introspect(w, s.tokens.refresh_token!))['active'], true, `${message}: refresh token active`);
  assert.equal((await userinfo(w.op, s.tokens.access_token)).status, 200, `${message}: UserInfo answers`);
}

async function assertRefused(w: World, s: Signed, message: string): Promise<void> {
  // RFC 7662 §2.2: an inactive token gets "active": false and no other member.
  assert.deepEqual(await introspect(w, s.tokens.access_token), { active: false }, `${message}: access token`);
  assert.deepEqual(await introspect(w, s.tokens.refresh_token!), { active: false }, `${message}: refresh token`);
  const info = await userinfo(w.op, s.tokens.access_token);
  assert.equal(info.status, 401, `${message}: UserInfo`);
  assert.match(info.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  assert.equal(await refresh(s), 'invalid_grant', `${message}: refresh`);
}

const app = (w: World) => w.op.gh.services.application;
let seq = 0;
const newUser = (w: World) => createTestUser(w.op.gh, { username: `user-${++seq}` });

describe('CWE-613 disabled and deleted principals (defaults: users.revokeOnDisable, users.revokeOnPasswordChange)', () => {
  let w: World;
  before(async () => {
    w = await world();
  });
  after(() => w?.op.close());

  for (const format of ['jwt', 'opaque'] as const) {
    test(`RFC 7662 §2.2 / RFC 6750 §3.1 / RFC 6749 §5.2 users.disable: the ${format} access token and the refresh token are refused; enable brings back nothing`, async () => {
      const user = await newUser(w);
      const s = await signIn(w, w.rps[format], user);
      await assertUsable(w, s, 'control');
      const r = await app(w).users.disable(OPERATOR, { user: user.username });
      assert.equal(r.grants_revoked, 1);
      assert.equal(r.sessions_ended, 1);
      await assertRefused(w, s, 'disabled');
      await app(w).users.enable(OPERATOR, { user: user.username });
      // disable revoked the grant: its refresh token and its access tokens stay revoked.
      await assertRefused(w, s, 're-enabled');
    });
  }

  for (const format of ['jwt', 'opaque'] as const) {
    test(`RFC 7662 §2.2 the ${format} tokens of a disabled client are inactive while it is disabled, and active again once it is enabled`, async () => {
      const rp = await createRp(w.op.gh, 'confidential', format === 'opaque' ? { access_token_format: 'opaque' } : {});
      const s = await signIn(w, rp, await newUser(w));
      await assertUsable(w, s, 'control');
      await app(w).clients.disable(OPERATOR, { client_id: rp.client_id });
      assert.deepEqual(await introspect(w, s.tokens.access_token), { active: false });
      assert.deepEqual(await introspect(w, s.tokens.refresh_token!), { active: false });
      assert.equal((await userinfo(w.op, s.tokens.access_token)).status, 401);
      // The disabled client cannot even authenticate at the token endpoint (RFC 6749 §5.2 invalid_client).
      assert.equal(await refresh(s), 'invalid_client');
      await app(w).clients.enable(OPERATOR, { client_id: rp.client_id });
      await assertUsable(w, s, 're-enabled (disabling a client revokes nothing)');
      assert.equal(typeof (await refresh(s)), 'object', 'the refresh token works again');
    });
  }

  test('RFC 7662 §2.2 the tokens of a deleted user are inactive', async () => {
    const user = await newUser(w);
    const s = await signIn(w, w.rps.jwt, user);
    await assertUsable(w, s, 'control');
    await app(w).users.delete(ADMIN, { user: user.username });
    await assertRefused(w, s, 'deleted');
  });

  test('OIDC Core §3.1.2.6 users.set_password ends the sessions (prompt=none: login_required) and revokes the refresh tokens', async () => {
    const user = await newUser(w);
    const s = await signIn(w, w.rps.opaque, user);
    const cfg = await rpConfig(w.op, s.rp);
    const control = await authRequest(cfg, s.rp, { prompt: 'none' });
    const ok = await s.ua.authorize(control.url);
    assert.equal(ok.kind, 'redirect', 'control: the session answers prompt=none');
    await app(w).users.setPassword(OPERATOR, { user: user.username, password: 'a completely new passphrase' });
    const again = await authRequest(cfg, s.rp, { prompt: 'none' });
    assertAuthorizationError(w.op, await s.ua.authorize(again.url), s.rp, 'login_required', again.state);
    await assertRefused(w, s, 'after the password change');
  });
});

describe('CWE-613 with users.revokeOnDisable and users.revokeOnPasswordChange off: only the inactive-while-disabled rule', () => {
  let w: World;
  before(async () => {
    w = await world({ revokeOnDisable: false, revokeOnPasswordChange: false });
  });
  after(() => w?.op.close());

  for (const format of ['jwt', 'opaque'] as const) {
    test(`RFC 7662 §2.2 users.disable makes the ${format} tokens inactive; enable makes them active again`, async () => {
      const user = await newUser(w);
      const s = await signIn(w, w.rps[format], user);
      await assertUsable(w, s, 'control');
      const r = await app(w).users.disable(OPERATOR, { user: user.username });
      assert.deepEqual([r.sessions_ended, r.grants_revoked], [0, 0]);
      await assertRefused(w, s, 'disabled');
      await app(w).users.enable(OPERATOR, { user: user.username });
      await assertUsable(w, s, 're-enabled');
      assert.equal(typeof (await refresh(s)), 'object', 'the refresh token works again');
    });
  }

  test('RFC 7662 §2.2 a user removed from the store (nothing revoked) leaves only inactive tokens', async () => {
    const user = await newUser(w);
    const s = await signIn(w, w.rps.jwt, user);
    await assertUsable(w, s, 'control');
    await w.op.gh.services.storage.users.delete(w.op.gh.ctx.tenantId, user.id);
    await assertRefused(w, s, 'deleted');
  });

  test('users.set_password keeps the sessions and the refresh tokens', async () => {
    const user = await newUser(w);
    const s = await signIn(w, w.rps.opaque, user);
    await app(w).users.setPassword(OPERATOR, { user: user.username, password: 'a completely new passphrase' });
    const cfg = await rpConfig(w.op, s.rp);
    const again = await authRequest(cfg, s.rp, { prompt: 'none' });
    assert.equal((await s.ua.authorize(again.url)).kind, 'redirect', 'the session still answers prompt=none');
    await assertUsable(w, s, 'after the password change');
  });
});

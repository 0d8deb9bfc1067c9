/**
 * RFC 8707 Resource Indicators at the front of the code flow, over real HTTP: `/authorize` and
 * PAR (oauth4webapi) with `requireResourceRegistration` on (an unregistered resource is
 * `invalid_target`) and off (it is accepted and becomes the access token's audience). The token
 * endpoint's side is in rfc6749-bad-input.test.ts and rfc6749-code-redemption.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import { INSECURE } from '../support/oauth-client.ts';
import { assertAuthorizationError, callbackOf, serverMetadata, startRpFlow, type OidcServer, type TestRp, type TestUser } from '../support/oidc.ts';
import { UserAgent } from '../support/user-agent.ts';

const REGISTERED = 'https://api.example/a';
const UNKNOWN = 'https://unknown.example/api';
const RESOURCES = { resources: [{ identifier: REGISTERED, scopes: [] }] };

interface World {
  readonly op: OidcServer;
  readonly user: TestUser;
  readonly rp: TestRp;
  readonly as: oauth.AuthorizationServer;
}

async function world(requireResourceRegistration: boolean): Promise<World> {
  const { op, user, rp } = await startRpFlow({ server: { ...RESOURCES, requireResourceRegistration } });
  return { op, user, rp, as: (await serverMetadata(op.url)) as unknown as oauth.AuthorizationServer };
}

async function authorizationParams(w: World, extra: Record<string, string>): Promise<{ params: Record<string, string>; verifier: string }> {
  const verifier = oauth.generateRandomCodeVerifier();
  return {
    verifier,
    params: {
      response_type: 'code',
      client_id: w.rp.client_id,
      redirect_uri: w.rp.redirect_uri,
      scope: 'openid',
      state: 'st-8707',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...extra,
    },
  };
}

const push = (w: World, params: Record<string, string>) =>
  oauth.pushedAuthorizationRequest(w.as, { client_id: w.rp.client_id }, oauth.ClientSecretBasic(w.rp.client_secret), params, INSECURE);

describe('RFC 8707 resource at the authorization endpoint and PAR, requireResourceRegistration on', () => {
  let w: World;
  before(async () => {
    w = await world(true);
  });
  after(() => w?.op.close());

  test('RFC 8707 §2 /authorize: an unregistered resource is invalid_target, sent to the redirect URI with iss and state', async () => {
    const { params } = await authorizationParams(w, { resource: UNKNOWN });
    const out = await new UserAgent(w.op.url).navigate(`${w.op.url}/authorize?${new URLSearchParams(params)}`);
    assert.equal(out.kind, 'redirect', 'redirected to the client, not an error page');
    assertAuthorizationError(w.op, out, w.rp, 'invalid_target', 'st-8707');
  });

  test('RFC 8707 §2 /authorize: one unregistered resource among registered ones is invalid_target too', async () => {
    const { params } = await authorizationParams(w, {});
    const q = new URLSearchParams(params);
    q.append('resource', REGISTERED);
    q.append('resource', UNKNOWN);
    assertAuthorizationError(w.op, await new UserAgent(w.op.url).navigate(`${w.op.url}/authorize?${q}`), w.rp, 'invalid_target', 'st-8707');
  });

  test('RFC 8707 §2 /authorize: a registered resource goes on to sign-in', async () => {
    const { params } = await authorizationParams(w, { resource: REGISTERED });
    const out = await new UserAgent(w.op.url).navigate(`${w.op.url}/authorize?${new URLSearchParams(params)}`);
    assert.equal(out.kind === 'page' ? out.page.kind : out.kind, 'login');
  });

  test('RFC 9126 §2.3 + RFC 8707 §2 PAR: an unregistered resource is 400 invalid_target; a registered one is pushed', async () => {
    const { params } = await authorizationParams(w, { resource: UNKNOWN });
    const res = await push(w, params);
    assert.equal(res.status, 400);
    await assert.rejects(oauth.processPushedAuthorizationResponse(w.as, { client_id: w.rp.client_id }, res), (e: unknown) => {
      assert.ok(e instanceof oauth.ResponseBodyError, String(e));
      assert.equal(e.error, 'invalid_target');
      assert.equal(e.status, 400);
      return true;
    });
    const ok = await push(w, (await authorizationParams(w, { resource: REGISTERED })).params);
    assert.ok((await oauth.processPushedAuthorizationResponse(w.as, { client_id: w.rp.client_id }, ok)).request_uri);
  });
});

describe('RFC 8707 resource at the authorization endpoint and PAR, requireResourceRegistration off (the default)', () => {
  let w: World;
  before(async () => {
    w = await world(false);
  });
  after(() => w?.op.close());

  test('RFC 8707 §2 /authorize: an unregistered resource is accepted (sign-in follows)', async () => {
    const { params } = await authorizationParams(w, { resource: UNKNOWN });
    const out = await new UserAgent(w.op.url).navigate(`${w.op.url}/authorize?${new URLSearchParams(params)}`);
    assert.equal(out.kind === 'page' ? out.page.kind : out.kind, 'login');
  });

  test('RFC 8707 §2 PAR: an unregistered resource is pushed, and the access token from that request is for it (aud)', async () => {
    const client: oauth.Client = { client_id: w.rp.client_id };
    const { params, verifier } = await authorizationParams(w, { resource: UNKNOWN });
    const { request_uri } = await oauth.processPushedAuthorizationResponse(w.as, client, await push(w, params));
    const out = await new UserAgent(w.op.url).authorize(`${w.op.url}/authorize?${new URLSearchParams({ client_id: w.rp.client_id, request_uri })}`, {
      username: w.user.username,
      password: w.user.password,
    });
    const cb = oauth.validateAuthResponse(w.as, client, callbackOf(out), 'st-8707');
    const res = await oauth.authorizationCodeGrantRequest(w.as, client, oauth.ClientSecretBasic(w.rp.client_secret), cb, w.rp.redirect_uri, verifier, INSECURE);
    const tokens = await oauth.processAuthorizationCodeResponse(w.as, client, res);
    const aud = decodeJwt(tokens.access_token).aud;
    assert.deepEqual(Array.isArray(aud) ? aud : [aud], [UNKNOWN]);
  });
});

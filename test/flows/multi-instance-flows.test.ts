/**
 * Several instances behave as one server (docs/scaling.md): two Gatehouse instances, each with its
 * own pool, key manager, limiter and Redis connection, on one PostgreSQL database and the shared
 * Redis (random key prefix), behind one issuer URL. The test's front server hands each request to
 * the instance it names (`via`), as a load balancer without sticky sessions might. Over HTTP with
 * openid-client / oauth4webapi: code on A → token on B; a session from A recognised on B
 * (prompt=none); PAR pushed on A → /authorize on B; a device code issued on A, approved on B's
 * /device pages, polled on A; one rate limit counted across both (Redis); a rotation on A
 * (use case keys.rotate) published by B's JWKS and used by B's signatures within keys.refreshInterval;
 * a private_key_jwt assertion used on A refused on B. Skips (named) without PostgreSQL or Redis,
 * fails instead under CI=true / GATEHOUSE_TEST_REQUIRE_BACKENDS=1.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import * as oidc from 'openid-client';
import { cliActor } from '../../src/app/index.ts';
import { buildConfig } from '../../src/config/load.ts';
import { createGatehouse, type Gatehouse } from '../../src/compose.ts';
import { DEVICE_CODE_GRANT_TYPE } from '../../src/core/device-authorization/device-authorization.ts';
import { createTestDatabase } from '../support/databases.ts';
import { clientCredentialsWithProof, INSECURE } from '../support/oauth-client.ts';
import { authorizeCode, createRp, createTestUser, RP_REDIRECT, type TestRp, type TestUser } from '../support/oidc.ts';
import { deletePrefix, sharedRedis, testKeyPrefix, testRedisUrl } from '../support/redis.ts';
import { createTestClient } from '../support/server.ts';
import { UserAgent, type Page } from '../support/user-agent.ts';

describe('two instances on one PostgreSQL database and one Redis behave as one server', async () => {
  const db = await createTestDatabase('postgres');
  const redis = await sharedRedis();
  if ('skip' in db || 'skip' in redis) {
    test('skipped', { skip: 'skip' in db ? db.skip : (redis as { skip: string }).skip }, () => {});
    if (!('skip' in db)) await db.drop();
    return;
  }
  const keyPrefix = testKeyPrefix();
  const front: Server = createServer();
  let url = '';
  let A: Gatehouse;
  let B: Gatehouse;
  /** Which instance the front server hands the next requests to. */
  let via: 'A' | 'B' = 'A';
  const served = { A: 0, B: 0 };
  let user: TestUser;
  let rp: TestRp;
  let cfg: oidc.Configuration;
  let ua: UserAgent;

  before(async () => {
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
    const config = buildConfig({
      issuer: url,
      host: '127.0.0.1',
      port: 0,
      database: { url: db.url, poolSize: 4 },
      kek: randomBytes(32).toString('base64'),
      keys: { algorithms: ['ES256'], refreshInterval: 1 },
      tokens: { accessTokenSigningAlg: 'ES256', idTokenSigningAlg: 'ES256' },
      redis: { url: testRedisUrl(), keyPrefix },
      device: { interval: 1 },
      rateLimits: { userinfo: { perAddress: 4, window: 600 } },
      // Tests share two busy cores: CPU contention must not shed their requests as overload.
      resilience: { shed: { maxEventLoopDelayMs: 0 } },
      log: { level: 'silent' },
    });
    A = await createGatehouse(config, { logger: false, notice: () => {} });
    B = await createGatehouse(config, { logger: false, notice: () => {} });
    await Promise.all([A.app.ready(), B.app.ready()]);
    front.on('request', (req, res) => {
      served[via]++;
      (via === 'A' ? A : B).app.routing(req, res);
    });
    user = await createTestUser(A);
    rp = await createRp(A);
    const as = (
      await oidc.discovery(new URL(url), rp.client_id, undefined, oidc.ClientSecretBasic(rp.client_secret), { execute: [oidc.allowInsecureRequests] })
    ).serverMetadata();
    cfg = new oidc.Configuration(as, rp.client_id, { redirect_uris: [RP_REDIRECT] }, oidc.ClientSecretBasic(rp.client_secret));
    oidc.allowInsecureRequests(cfg);
    ua = new UserAgent(url);
  });
  after(async () => {
    front.closeAllConnections();
    await new Promise<void>((resolve) => front.close(() => resolve()));
    await A?.close();
    await B?.close();
    await deletePrefix(redis.client, keyPrefix);
    redis.client.disconnect();
    await db.drop();
  });

  /** Runs `fn` with the front server handing requests to `instance`; checks that one really answered. */
  async function on<T>(instance: 'A' | 'B', fn: () => Promise<T>): Promise<T> {
    via = instance;
    const before = served[instance];
    const out = await fn();
    assert.ok(served[instance] > before, `instance ${instance} served the step`);
    return out;
  }

  test('RFC 6749 §4.1: the code issued by A (sign-in on A) is redeemed on B; the session from A is recognised on B (prompt=none)', async () => {
    const { req, callback } = await on('A', () => authorizeCode(cfg, rp, ua, user));
    const tokens = await on('B', () =>
      oidc.authorizationCodeGrant(cfg, callback, { pkceCodeVerifier: req.verifier, expectedState: req.state, expectedNonce: req.nonce }),
    );
    assert.equal(tokens.claims()?.sub, user.id);
    // OIDC Core §3.1.2.1 prompt=none: no page, a code straight away, because B reads A's session from the store.
    const silent = await on('B', () => authorizeCode(cfg, rp, ua, null, { prompt: 'none' }));
    assert.ok(silent.code);
    const again = await on('A', () =>
      oidc.authorizationCodeGrant(cfg, silent.callback, {
        pkceCodeVerifier: silent.req.verifier,
        expectedState: silent.req.state,
        expectedNonce: silent.req.nonce,
      }),
    );
    assert.equal(again.claims()?.sub, user.id);
  });

  test('a sign-in page rendered by A is submitted to B and its consent page answered on A (sealed interaction and CSRF keys come from the KEK)', async () => {
    const other = await createTestUser(A);
    const browser = new UserAgent(url);
    const verifier = oidc.randomPKCECodeVerifier();
    const authUrl = oidc.buildAuthorizationUrl(cfg, {
      redirect_uri: RP_REDIRECT,
      scope: 'openid profile',
      response_type: 'code',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 's1',
    });
    const login = await on('A', () => browser.navigate(authUrl));
    assert.equal(login.kind === 'page' && login.page.kind, 'login');
    const consent = await on('B', () => browser.login((login as { page: Page }).page, other.username, other.password));
    assert.equal(consent.kind === 'page' && consent.page.kind, 'consent', 'B opened the sign-in A sealed and accepted its CSRF token');
    const done = await on('A', () => browser.consent((consent as { page: Page }).page, 'allow'));
    assert.equal(done.kind, 'redirect', 'A accepted the consent form B rendered');
    const tokens = await on('B', () => oidc.authorizationCodeGrant(cfg, (done as { url: URL }).url, { pkceCodeVerifier: verifier, expectedState: 's1' }));
    assert.equal(tokens.claims()?.sub, other.id);
  });

  test('RFC 9126 §2: a request pushed to A is used at /authorize on B', async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const pushed = await on('A', async () =>
      oidc.buildAuthorizationUrlWithPAR(cfg, {
        redirect_uri: RP_REDIRECT,
        scope: 'openid',
        response_type: 'code',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      }),
    );
    assert.match(pushed.searchParams.get('request_uri') ?? '', /^urn:ietf:params:oauth:request_uri:/);
    const out = await on('B', () => ua.authorize(pushed, {}));
    assert.equal(out.kind, 'redirect');
    const callback = (out as { url: URL }).url;
    const tokens = await on('A', () => oidc.authorizationCodeGrant(cfg, callback, { pkceCodeVerifier: verifier, expectedState: state }));
    assert.ok(tokens.access_token);
  });

  test("RFC 8628: a device code issued by A is approved on B's /device pages and polled on A", async () => {
    const device = await createTestClient(A, { client_name: 'TV', token_endpoint_auth_method: 'none', grant_types: [DEVICE_CODE_GRANT_TYPE], scope: 'openid' });
    const as = await oauth.processDiscoveryResponse(
      new URL(url),
      await on('A', () => oauth.discoveryRequest(new URL(url), { algorithm: 'oidc', ...INSECURE })),
    );
    const c: oauth.Client = { client_id: device.client_id, id_token_signed_response_alg: 'ES256' };
    const issuedAt = Date.now();
    const r = await on('A', async () =>
      oauth.processDeviceAuthorizationResponse(as, c, await oauth.deviceAuthorizationRequest(as, c, oauth.None(), { scope: 'openid' }, INSECURE)),
    );
    // `ua` is signed in (the first test, on A): B shows the confirmation page for A's code.
    const confirm = await on('B', async () => {
      const entry = await ua.navigate(`${url}/device?user_code=${encodeURIComponent(r.user_code)}`);
      assert.equal(entry.kind, 'page');
      return ua.submit((entry as { page: Page }).page.forms[0]!, { user_code: r.user_code });
    });
    assert.equal(confirm.kind, 'page');
    assert.equal((confirm as { page: Page }).page.kind, 'consent');
    const done = await on('B', () => ua.consent((confirm as { page: Page }).page, 'allow'));
    assert.match((done as { page: Page }).page.text, /return to your device/i);
    // RFC 8628 §3.5: the first poll after `interval` seconds.
    const wait = issuedAt + (r.interval ?? 1) * 1000 - Date.now();
    if (wait > 0) await new Promise((res) => setTimeout(res, wait));
    const tokens = await on('A', async () =>
      oauth.processDeviceCodeResponse(as, c, await oauth.deviceCodeGrantRequest(as, c, oauth.None(), r.device_code, INSECURE)),
    );
    assert.equal(oauth.getValidatedIdTokenClaims(tokens)?.sub, user.id);
  });

  test('rate limits are counted once across instances (Redis): 4 userinfo calls per address in all, then 429 on either', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await on(i % 2 ? 'B' : 'A', () => fetch(`${url}/userinfo`));
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    assert.deepEqual(
      statuses.map((s) => s === 429),
      [false, false, false, false, true, true],
      `statuses ${statuses}`,
    );
  });

  test("RFC 7517: a rotation on A (use case keys.rotate) is in B's JWKS and signs B's tokens within keys.refreshInterval", async () => {
    const cc = await createTestClient(A);
    const token = async () => {
      const res = await fetch(`${url}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${cc.client_id}:${cc.client_secret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'read' }).toString(),
      });
      assert.equal(res.status, 200);
      return ((await res.json()) as { access_token: string }).access_token;
    };
    const oldKid = decodeProtectedHeader(await on('B', token)).kid;
    const result = (await A.services.application.run('keys.rotate', cliActor({ USER: 'test' }), {})) as { keys: { kid: string; status: string }[] };
    const newKid = result.keys.find((k) => k.status === 'active')?.kid;
    assert.ok(newKid && newKid !== oldKid, 'A activated a new key');
    const jwks = (await (await on('B', () => fetch(`${url}/jwks.json`))).json()) as { keys: { kid: string }[] };
    assert.ok(
      jwks.keys.some((k) => k.kid === newKid),
      'B already publishes the new active key (it was the published next key)',
    );
    const deadline = Date.now() + (A.services.config.keys.refreshInterval + 2) * 1000;
    let kid = oldKid;
    while (kid !== newKid && Date.now() < deadline) {
      kid = decodeProtectedHeader(await on('B', token)).kid;
      if (kid !== newKid) await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(kid, newKid, `B signs with the new key within keys.refreshInterval (${A.services.config.keys.refreshInterval} s)`);
  });

  test('RFC 7523 §3 item 7: a private_key_jwt assertion used on A is refused on B (shared replay cache)', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const c = await createTestClient(A, { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } });
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(c.client_id)
      .setSubject(c.client_id)
      .setAudience(url)
      .setIssuedAt(now)
      .setExpirationTime(now + 120)
      .sign(privateKey);
    const use = async () => {
      const res = await fetch(`${url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          scope: 'read',
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
        }).toString(),
      });
      await res.arrayBuffer();
      return res.status;
    };
    assert.equal(await on('A', use), 200);
    assert.equal(await on('B', use), 401, 'the replay on the other instance is refused');
  });

  test('RFC 9449 §11.1: a DPoP proof used on A is refused on B (the jti replay cache is shared, Redis and the store)', async () => {
    const c = await createTestClient(A);
    const keys = await oauth.generateKeyPair('ES256', { extractable: true });
    // The proof oauth4webapi makes for POST /token, caught in its fetch (not sent) to be replayed by hand.
    let proof = '';
    const capture = async (_u: string, init: oauth.CustomFetchOptions<string, oauth.ProtectedResourceRequestBody>) => {
      proof = (init.headers as Record<string, string>)['dpop']!;
      return new Response('{}', { status: 200 });
    };
    await oauth.protectedResourceRequest('unused', 'POST', new URL(`${url}/token`), undefined, undefined, {
      DPoP: oauth.DPoP({}, keys),
      [oauth.customFetch]: capture,
      [oauth.allowInsecureRequests]: true,
    });
    const use = () => clientCredentialsWithProof(url, c, proof);
    assert.equal(await on('A', use), '200 DPoP');
    assert.equal(await on('B', use), '400 invalid_dpop_proof: the DPoP proof was already used', 'the replay on the other instance is refused');
    // Without Redis the store alone decides (RFC 9449 §11.1 never rests on one instance's memory).
    await deletePrefix(redis.client, keyPrefix);
    assert.equal(await on('A', use), '400 invalid_dpop_proof: the DPoP proof was already used', 'the store remembers the jti too');
  });
});

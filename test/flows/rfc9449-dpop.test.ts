/**
 * RFC 9449 DPoP end to end, driven by oauth4webapi's client side (`DPoP()` handles,
 * `isDPoPNonceError`): client_credentials, the code flow with PKCE (`dpop_jkt` at /authorize and
 * a DPoP header at PAR), refresh of a public client (bound) and of a confidential one (not
 * bound), UserInfo and the admin API (the resource-server kit), the nonce round trip at the token
 * endpoint and at a resource; and one negative test per rule. Malformed proofs are built with
 * oauth4webapi's `modifyAssertion` hook where it can express them, with jose otherwise.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import { cliActor } from '../../src/app/index.ts';
import { DEVICE_CODE_GRANT_TYPE } from '../../src/core/device-authorization/device-authorization.ts';
import { discover, INSECURE } from '../support/oauth-client.ts';
import { authorizeCode, createRp, createTestUser, rpConfig, startOidcServer, type OidcServer, type TestRp, type TestUser } from '../support/oidc.ts';
import { createTestClient } from '../support/server.ts';
import { UserAgent } from '../support/user-agent.ts';
import { parseChallenges } from '../support/www-authenticate.ts';

const CLI = { ...cliActor({ USER: 'tester' }), origin: 'cli:test' };

interface Dpop {
  readonly handle: oauth.DPoPHandle;
  readonly keys: oauth.CryptoKeyPair;
  readonly jkt: string;
}

async function dpopKey(modify?: (header: Record<string, unknown>, payload: Record<string, unknown>) => void): Promise<Dpop> {
  const keys = await oauth.generateKeyPair('ES256', { extractable: true });
  const handle = oauth.DPoP({}, keys, modify ? { [oauth.modifyAssertion]: modify } : {});
  return { handle, keys, jkt: await handle.calculateThumbprint() };
}

/** A DPoP handle on the same key pair whose proofs `modify` spoils. */
function spoiled(d: Dpop, modify: (header: Record<string, unknown>, payload: Record<string, unknown>) => void): oauth.DPoPHandle {
  return oauth.DPoP({}, d.keys, { [oauth.modifyAssertion]: modify });
}

/**
 * The proof oauth4webapi would send for `method url` (with `ath` when `accessToken` is given),
 * caught in its fetch and not sent: for replaying it by hand.
 */
async function proofFor(handle: oauth.DPoPHandle, method: string, url: URL, accessToken = 'unused'): Promise<string> {
  let proof = '';
  const capture = async (_u: string, init: oauth.CustomFetchOptions<string, oauth.ProtectedResourceRequestBody>) => {
    proof = (init.headers as Record<string, string>)['dpop']!;
    return new Response('{}', { status: 200 });
  };
  await oauth.protectedResourceRequest(accessToken, method, url, undefined, undefined, { DPoP: handle, [oauth.customFetch]: capture, ...INSECURE });
  return proof;
}

/** A proof built by hand (for what oauth4webapi refuses to produce: HMAC, `none`, a private jwk). */
async function handProof(opts: { htu: string; htm?: string; alg?: string; privateJwk?: boolean; none?: boolean }): Promise<string> {
  const payload = { jti: crypto.randomUUID(), htm: opts.htm ?? 'POST', htu: opts.htu, iat: Math.floor(Date.now() / 1000) };
  if (opts.none) {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    return `${b64({ typ: 'dpop+jwt', alg: 'none', jwk: await exportJWK(publicKey) })}.${b64(payload)}.`;
  }
  if (opts.alg === 'HS256') {
    const secret = crypto.getRandomValues(new Uint8Array(32));
    const jwk = { kty: 'oct', k: Buffer.from(secret).toString('base64url') };
    return new SignJWT(payload).setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk } as never).sign(secret);
  }
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk: JWK = opts.privateJwk ? await exportJWK(privateKey) : await exportJWK(publicKey);
  return new SignJWT(payload).setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk }).sign(privateKey);
}

async function tokenError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof oauth.ResponseBodyError) return e.error;
    throw e;
  }
  assert.fail('the request was expected to fail');
}

describe('RFC 9449 DPoP (nonces not required)', () => {
  let op: OidcServer;
  let as: oauth.AuthorizationServer;
  let service: { client_id: string; client_secret: string };
  let opaqueService: { client_id: string; client_secret: string };
  let admin: { client_id: string; client_secret: string };
  let user: TestUser;
  let publicRp: TestRp;
  let confidentialRp: TestRp;

  before(async () => {
    op = await startOidcServer({ registration: { enabled: true, allowedScopes: ['read'] }, rateLimits: { registration: { perAddress: 0 } } });
    as = await discover(op.url, 'oidc');
    service = await createTestClient(op.gh);
    opaqueService = await createTestClient(op.gh, { access_token_format: 'opaque' });
    const created = (await op.gh.services.application.run('clients.create', CLI, {
      client_name: 'admin automation',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'gatehouse:admin',
    })) as { client: { client_id: string }; client_secret: string };
    admin = { client_id: created.client.client_id, client_secret: created.client_secret };
    user = await createTestUser(op.gh);
    publicRp = await createRp(op.gh, 'public');
    confidentialRp = await createRp(op.gh, 'confidential');
  });
  after(() => op?.close());

  const cc = (client: { client_id: string; client_secret: string }, DPoP: oauth.DPoPHandle | undefined, params: Record<string, string> = {}) =>
    oauth
      .clientCredentialsGrantRequest(as, { client_id: client.client_id }, oauth.ClientSecretBasic(client.client_secret), params, {
        ...(DPoP ? { DPoP } : {}),
        ...INSECURE,
      })
      .then((r) => oauth.processClientCredentialsResponse(as, { client_id: client.client_id }, r));

  const introspect = async (token: string, caller = service) => {
    const res = await oauth.introspectionRequest(as, { client_id: caller.client_id }, oauth.ClientSecretBasic(caller.client_secret), token, INSECURE);
    return oauth.processIntrospectionResponse(as, { client_id: caller.client_id }, res);
  };

  /** The code flow with PKCE for `rp` (authorization in a user agent), redeemed by oauth4webapi with `DPoP`. */
  async function codeFlow(rp: TestRp, DPoP: oauth.DPoPHandle | undefined, params: Record<string, string> = {}) {
    const cfg = await rpConfig(op, rp);
    const { req, callback } = await authorizeCode(cfg, rp, new UserAgent(op.url), user, { scope: 'openid offline_access', prompt: 'consent', ...params });
    const client = { client_id: rp.client_id };
    const auth = rp.kind === 'public' ? oauth.None() : oauth.ClientSecretBasic(rp.client_secret);
    const cb = oauth.validateAuthResponse(as, client, callback, req.state);
    const res = await oauth.authorizationCodeGrantRequest(as, client, auth, cb, rp.redirect_uri, req.verifier, { ...(DPoP ? { DPoP } : {}), ...INSECURE });
    return oauth.processAuthorizationCodeResponse(as, client, res, { expectedNonce: req.nonce });
  }

  const refresh = (rp: TestRp, refreshToken: string, DPoP: oauth.DPoPHandle | undefined) => {
    const client = { client_id: rp.client_id };
    const auth = rp.kind === 'public' ? oauth.None() : oauth.ClientSecretBasic(rp.client_secret);
    return oauth
      .refreshTokenGrantRequest(as, client, auth, refreshToken, { ...(DPoP ? { DPoP } : {}), ...INSECURE })
      .then((r) => oauth.processRefreshTokenResponse(as, client, r));
  };

  const adminUrl = () => new URL(`${op.url}/admin/api/v1/clients`);

  test('RFC 9449 §5.1 discovery advertises dpop_signing_alg_values_supported, asymmetric algorithms only', () => {
    const algs = as['dpop_signing_alg_values_supported'] as string[];
    assert.ok(Array.isArray(algs) && algs.includes('ES256'));
    assert.ok(algs.every((a) => !a.startsWith('HS') && a !== 'none'));
  });

  test('RFC 9449 §5 client_credentials with a proof: token_type DPoP, cnf.jkt the RFC 7638 thumbprint; introspection reports both (JWT and opaque)', async () => {
    const d = await dpopKey();
    const jwt = await cc(service, d.handle);
    assert.equal(jwt.token_type, 'dpop');
    assert.deepEqual(decodeJwt(jwt.access_token).cnf, { jkt: d.jkt });
    assert.equal(d.jkt, await calculateJwkThumbprint(await exportJWK(d.keys.publicKey)));
    const info = await introspect(jwt.access_token);
    assert.equal(info.active, true);
    assert.equal(info.token_type, 'DPoP');
    assert.deepEqual(info.cnf, { jkt: d.jkt });
    const opaque = await cc(opaqueService, d.handle);
    assert.equal(opaque.token_type, 'dpop');
    assert.equal(opaque.access_token.split('.').length, 1);
    const oinfo = await introspect(opaque.access_token, opaqueService);
    assert.equal(oinfo.token_type, 'DPoP');
    assert.deepEqual(oinfo.cnf, { jkt: d.jkt });
    // No proof: a bearer token as before.
    const bearer = await cc(service, undefined);
    assert.equal(bearer.token_type, 'bearer');
    assert.equal(decodeJwt(bearer.access_token).cnf, undefined);
  });

  test('RFC 9449 §7.1 the admin API (resource-server kit) takes a DPoP-bound token with its proof', async () => {
    const d = await dpopKey();
    const { access_token } = await cc(admin, d.handle, { scope: 'gatehouse:admin' });
    const res = await oauth.protectedResourceRequest(access_token, 'GET', adminUrl(), undefined, undefined, { DPoP: d.handle, ...INSECURE });
    assert.equal(res.status, 200);
    const meta = (await (await fetch(`${op.url}/.well-known/oauth-protected-resource/admin/api/v1`)).json()) as Record<string, unknown>;
    assert.ok((meta.dpop_signing_alg_values_supported as string[]).includes('ES256'));
  });

  test('RFC 9449 §7.2 a DPoP-bound token presented as Bearer is refused at the kit and at UserInfo, with Bearer and DPoP challenges', async () => {
    const d = await dpopKey();
    const { access_token } = await cc(admin, d.handle, { scope: 'gatehouse:admin' });
    const res = await fetch(adminUrl(), { headers: { authorization: `Bearer ${access_token}` } });
    assert.equal(res.status, 401);
    const challenges = parseChallenges(res.headers.get('www-authenticate') ?? '');
    assert.equal(challenges[0]?.scheme, 'Bearer');
    assert.equal(challenges[0]?.params['error'], 'invalid_token');
    assert.equal(challenges[1]?.scheme, 'DPoP');
    assert.ok(challenges[1]?.params['algs']?.split(' ').includes('ES256'));
    // A user's DPoP token at UserInfo.
    const u = await dpopKey();
    const tokens = await codeFlow(publicRp, u.handle);
    const info = await fetch(`${op.url}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(info.status, 401);
    const c2 = parseChallenges(info.headers.get('www-authenticate') ?? '');
    assert.deepEqual(
      c2.map((c) => c.scheme),
      ['Bearer', 'DPoP'],
    );
    assert.equal(c2[0]?.params['error'], 'invalid_token');
  });

  test('RFC 9449 §4.3 item 12 an ath that does not match the access token is invalid_dpop_proof (401, DPoP challenge)', async () => {
    const d = await dpopKey();
    const { access_token } = await cc(admin, d.handle, { scope: 'gatehouse:admin' });
    const bad = spoiled(d, (_h, p) => {
      p.ath = 'x'.repeat(43);
    });
    await assert.rejects(
      oauth.protectedResourceRequest(access_token, 'GET', adminUrl(), undefined, undefined, { DPoP: bad, ...INSECURE }),
      (e: unknown) =>
        e instanceof oauth.WWWAuthenticateChallengeError &&
        e.status === 401 &&
        e.cause.some((c) => c.scheme === 'dpop' && c.parameters.error === 'invalid_dpop_proof'),
    );
    // A proof of another key for the right token: the binding check refuses it.
    const other = await dpopKey();
    await assert.rejects(
      oauth.protectedResourceRequest(access_token, 'GET', adminUrl(), undefined, undefined, { DPoP: other.handle, ...INSECURE }),
      (e: unknown) => e instanceof oauth.WWWAuthenticateChallengeError && e.cause.some((c) => c.scheme === 'dpop' && c.parameters.error === 'invalid_token'),
    );
  });

  test('RFC 9449 §11.1 a replayed proof (same jti) is refused at the token endpoint and at a resource', async () => {
    const d = await dpopKey();
    // A proof for POST /token (its ath is ignored there: no access token is presented).
    const proof = await proofFor(d.handle, 'POST', new URL(`${op.url}/token`));
    const send = () =>
      fetch(`${op.url}/token`, {
        method: 'POST',
        headers: {
          dpop: proof,
          authorization: `Basic ${Buffer.from(`${service.client_id}:${service.client_secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
    const first = await send();
    assert.equal(first.status, 200);
    assert.equal(((await first.json()) as { token_type: string }).token_type, 'DPoP');
    const replay = await send();
    assert.equal(replay.status, 400);
    assert.equal(((await replay.json()) as { error: string }).error, 'invalid_dpop_proof');
    // At the kit: the same proof twice.
    const { access_token } = await cc(admin, d.handle, { scope: 'gatehouse:admin' });
    const kitProof = await proofFor(d.handle, 'GET', adminUrl(), access_token);
    const get = () => fetch(adminUrl(), { headers: { authorization: `DPoP ${access_token}`, dpop: kitProof } });
    assert.equal((await get()).status, 200);
    const again = await get();
    assert.equal(again.status, 401);
    assert.match(again.headers.get('www-authenticate') ?? '', /DPoP [^]*error="invalid_dpop_proof"/);
  });

  test('RFC 9449 §11.1 at UserInfo and the admin API a proof whose token is refused spends no jti; an accepted one does', async () => {
    const { replay } = op.gh.services.storage;
    const tenant = op.gh.services.tenantId;
    const d = await dpopKey();
    const keyOf = (proof: string) => `${tenant}#dpop:${d.jkt}:${decodeJwt(proof).jti as string}`;
    const userinfoUrl = new URL(`${op.url}/userinfo`);
    for (const url of [userinfoUrl, adminUrl()]) {
      const proof = await proofFor(d.handle, 'GET', url, 'made-up-token');
      const res = await fetch(url, { headers: { authorization: 'DPoP made-up-token', dpop: proof } });
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      // Spending the same key now succeeds: the refused request left nothing in the cache.
      assert.equal(await replay.useOnce(keyOf(proof), Math.floor(Date.now() / 1000) + 60), true, `${url.pathname}: not spent`);
    }
    const { access_token } = await cc(admin, d.handle, { scope: 'gatehouse:admin' });
    const proof = await proofFor(d.handle, 'GET', adminUrl(), access_token);
    assert.equal((await fetch(adminUrl(), { headers: { authorization: `DPoP ${access_token}`, dpop: proof } })).status, 200);
    assert.equal(await replay.useOnce(keyOf(proof), Math.floor(Date.now() / 1000) + 60), false, 'the accepted proof was spent');
  });

  test('RFC 9449 §4.3 items 8, 9, 11 wrong htm, wrong htu, stale iat and future iat are invalid_dpop_proof', async () => {
    const d = await dpopKey();
    const now = () => Math.floor(Date.now() / 1000);
    const cases: [string, (h: Record<string, unknown>, p: Record<string, unknown>) => void][] = [
      ['htm GET', (_h, p) => void (p.htm = 'GET')],
      ['htu of another endpoint', (_h, p) => void (p.htu = `${op.url}/introspect`)],
      ['htu of another host', (_h, p) => void (p.htu = 'https://as.example.com/token')],
      ['iat ten minutes ago', (_h, p) => void (p.iat = now() - 600)],
      ['iat ten minutes ahead', (_h, p) => void (p.iat = now() + 600)],
      ['typ jwt', (h) => void (h.typ = 'JWT')],
      ['no jti', (_h, p) => void delete p.jti],
    ];
    for (const [name, modify] of cases) {
      assert.equal(await tokenError(cc(service, spoiled(d, modify))), 'invalid_dpop_proof', name);
    }
    // RFC 9449 §4.3: the query and fragment of htu are ignored; the normalised form matches.
    const upper = op.url.replace('http://', 'HTTP://');
    assert.equal(
      (
        await cc(
          service,
          spoiled(d, (_h, p) => void (p.htu = `${upper}/token?x=1#f`)),
        )
      ).token_type,
      'dpop',
    );
  });

  test('RFC 9449 §4.3 item 5 and §4.2: HS256, alg none and a private key in jwk are refused', async () => {
    const send = async (proof: string) => {
      const res = await fetch(`${op.url}/token`, {
        method: 'POST',
        headers: {
          dpop: proof,
          authorization: `Basic ${Buffer.from(`${service.client_id}:${service.client_secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
      assert.equal(res.status, 400);
      return ((await res.json()) as { error: string; error_description: string }).error_description;
    };
    const htu = `${op.url}/token`;
    assert.match(await send(await handProof({ htu, alg: 'HS256' })), /alg must be one of/);
    assert.match(await send(await handProof({ htu, none: true })), /alg must be one of/);
    assert.match(await send(await handProof({ htu, privateJwk: true })), /must be a public key/);
    // The control: the same construction with a public jwk passes.
    const ok = await fetch(htu, {
      method: 'POST',
      headers: {
        dpop: await handProof({ htu }),
        authorization: `Basic ${Buffer.from(`${service.client_id}:${service.client_secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    assert.equal(ok.status, 200);
  });

  test('RFC 9449 §5.2 a client registered with dpop_bound_access_tokens (operator use case: CLI, admin API) is refused without a proof', async () => {
    const created = (await op.gh.services.application.run('clients.create', CLI, {
      client_name: 'dpop only',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'read',
      dpop_bound_access_tokens: true,
    })) as { client: { client_id: string; dpop_bound_access_tokens?: boolean }; client_secret: string };
    assert.equal(created.client.dpop_bound_access_tokens, true);
    const strict = { client_id: created.client.client_id, client_secret: created.client_secret };
    assert.equal(await tokenError(cc(strict, undefined)), 'invalid_dpop_proof');
    const d = await dpopKey();
    assert.equal((await cc(strict, d.handle)).token_type, 'dpop');
  });

  test('RFC 9449 §5.2 dpop_bound_access_tokens through dynamic registration (RFC 7591): echoed, then enforced', async () => {
    const res = await fetch(`${op.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'dcr dpop',
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: 'read',
        dpop_bound_access_tokens: true,
      }),
    });
    assert.equal(res.status, 201);
    const reg = (await res.json()) as { client_id: string; client_secret: string; dpop_bound_access_tokens?: boolean };
    assert.equal(reg.dpop_bound_access_tokens, true);
    assert.equal(await tokenError(cc(reg, undefined)), 'invalid_dpop_proof');
    assert.equal((await cc(reg, (await dpopKey()).handle)).token_type, 'dpop');
  });

  test('RFC 9449 §10 dpop_jkt at /authorize binds the code: another key is invalid_grant (code spent), no proof is invalid_dpop_proof', async () => {
    const d = await dpopKey();
    const other = await dpopKey();
    assert.equal(await tokenError(codeFlow(publicRp, other.handle, { dpop_jkt: d.jkt })), 'invalid_grant');
    assert.equal(await tokenError(codeFlow(publicRp, undefined, { dpop_jkt: d.jkt })), 'invalid_dpop_proof');
    const tokens = await codeFlow(publicRp, d.handle, { dpop_jkt: d.jkt });
    assert.equal(tokens.token_type, 'dpop');
    assert.deepEqual(decodeJwt(tokens.access_token).cnf, { jkt: d.jkt });
    // UserInfo with the DPoP scheme and a proof (oauth4webapi userInfoRequest).
    const client = { client_id: publicRp.client_id };
    const info = await oauth.userInfoRequest(as, client, tokens.access_token, { DPoP: d.handle, ...INSECURE });
    const claims = await oauth.processUserInfoResponse(as, client, decodeJwt(tokens.id_token!).sub!, info);
    assert.equal(claims.sub, decodeJwt(tokens.id_token!).sub);
  });

  test('RFC 9449 §5 a public client’s refresh token is bound: another key is invalid_grant, no proof invalid_dpop_proof, the key rotates it', async () => {
    const d = await dpopKey();
    const tokens = await codeFlow(publicRp, d.handle);
    assert.ok(tokens.refresh_token);
    const stored = await op.gh.services.storage.tokens.find(
      op.gh.services.tenantId,
      (await import('../../src/core/crypto.ts')).opaqueTokenKey(tokens.refresh_token),
    );
    assert.deepEqual(stored?.cnf, { jkt: d.jkt });
    const other = await dpopKey();
    assert.equal(await tokenError(refresh(publicRp, tokens.refresh_token, other.handle)), 'invalid_grant');
    assert.equal(await tokenError(refresh(publicRp, tokens.refresh_token, undefined)), 'invalid_dpop_proof');
    // Neither attempt spent or revoked it: the holder of the key still refreshes.
    const next = await refresh(publicRp, tokens.refresh_token, d.handle);
    assert.equal(next.token_type, 'dpop');
    assert.deepEqual(decodeJwt(next.access_token).cnf, { jkt: d.jkt });
    assert.ok(next.refresh_token);
  });

  test('RFC 9449 §5 / RFC 9700 §4.14.2: an already-rotated bound refresh token without the key, or with another key, ends nothing; with the key it is reuse', async () => {
    const d = await dpopKey();
    const first = await codeFlow(publicRp, d.handle);
    const second = await refresh(publicRp, first.refresh_token!, d.handle);
    assert.ok(second.refresh_token);
    // Whoever holds the rotated token but not the key proves nothing: refused, family untouched.
    assert.equal(await tokenError(refresh(publicRp, first.refresh_token!, undefined)), 'invalid_dpop_proof');
    assert.equal(await tokenError(refresh(publicRp, first.refresh_token!, (await dpopKey()).handle)), 'invalid_grant');
    const third = await refresh(publicRp, second.refresh_token!, d.handle);
    assert.ok(third.refresh_token, 'the key holder still refreshes');
    // Presented with the key, a rotated token is a replay by the key holder: the family ends.
    assert.equal(await tokenError(refresh(publicRp, second.refresh_token!, d.handle)), 'invalid_grant');
    assert.equal(await tokenError(refresh(publicRp, third.refresh_token!, d.handle)), 'invalid_grant');
  });

  test('RFC 9449 §5 a confidential client’s refresh token is not bound to the key (its authentication binds it)', async () => {
    const d = await dpopKey();
    const tokens = await codeFlow(confidentialRp, d.handle);
    assert.equal(tokens.token_type, 'dpop');
    const other = await dpopKey();
    const next = await refresh(confidentialRp, tokens.refresh_token!, other.handle);
    assert.deepEqual(decodeJwt(next.access_token).cnf, { jkt: other.jkt });
    const bearer = await refresh(confidentialRp, next.refresh_token!, undefined);
    assert.equal(bearer.token_type, 'bearer');
  });

  test('RFC 9449 §5 the device_code grant binds too: DPoP access token, the public device client’s refresh token bound', async () => {
    const tv = await createTestClient(op.gh, {
      client_name: 'TV',
      token_endpoint_auth_method: 'none',
      grant_types: [DEVICE_CODE_GRANT_TYPE, 'refresh_token'],
      scope: 'openid offline_access',
    });
    const c: oauth.Client = { client_id: tv.client_id };
    const started = await oauth.processDeviceAuthorizationResponse(
      as,
      c,
      await oauth.deviceAuthorizationRequest(as, c, oauth.None(), { scope: 'openid offline_access' }, INSECURE),
    );
    // The user approves (the verification service the /device pages use).
    const found = await op.gh.services.deviceVerification.find(started.user_code);
    assert.ok(found);
    const now = Math.floor(op.clock.now() / 1000);
    assert.equal(await op.gh.services.deviceVerification.approve(found, { userId: user.id, sid: 'sid-tv', authTime: now, amr: ['pwd'], acr: null }), true);
    const d = await dpopKey();
    const tokens = await oauth.processDeviceCodeResponse(
      as,
      c,
      await oauth.deviceCodeGrantRequest(as, c, oauth.None(), started.device_code, { DPoP: d.handle, ...INSECURE }),
    );
    assert.equal(tokens.token_type, 'dpop');
    assert.deepEqual(decodeJwt(tokens.access_token).cnf, { jkt: d.jkt });
    assert.ok(tokens.refresh_token);
    const other = await dpopKey();
    const refreshed = oauth
      .refreshTokenGrantRequest(as, c, oauth.None(), tokens.refresh_token, { DPoP: other.handle, ...INSECURE })
      .then((r) => oauth.processRefreshTokenResponse(as, c, r));
    assert.equal(await tokenError(refreshed), 'invalid_grant');
  });

  test('RFC 9449 §10.1 a DPoP header at PAR binds the code; a mismatching dpop_jkt at PAR is invalid_dpop_proof', async () => {
    const d = await dpopKey();
    const client = { client_id: publicRp.client_id };
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const params = {
      response_type: 'code',
      redirect_uri: publicRp.redirect_uri,
      scope: 'openid',
      state,
      nonce: oauth.generateRandomNonce(),
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    };
    const mismatch = await oauth.pushedAuthorizationRequest(as, client, oauth.None(), { ...params, dpop_jkt: 'A'.repeat(43) }, { DPoP: d.handle, ...INSECURE });
    assert.equal(await tokenError(oauth.processPushedAuthorizationResponse(as, client, mismatch)), 'invalid_dpop_proof');
    const pushed = await oauth.processPushedAuthorizationResponse(
      as,
      client,
      await oauth.pushedAuthorizationRequest(as, client, oauth.None(), params, { DPoP: d.handle, ...INSECURE }),
    );
    const ua = new UserAgent(op.url);
    const outcome = await ua.authorize(new URL(`${op.url}/authorize?client_id=${client.client_id}&request_uri=${encodeURIComponent(pushed.request_uri)}`), {
      username: user.username,
      password: user.password,
    });
    assert.equal(outcome.kind, 'redirect');
    const cb = oauth.validateAuthResponse(as, client, (outcome as { url: URL }).url, state);
    const other = await dpopKey();
    const res = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), cb, publicRp.redirect_uri, verifier, { DPoP: other.handle, ...INSECURE });
    assert.equal(await tokenError(oauth.processAuthorizationCodeResponse(as, client, res)), 'invalid_grant');
  });
});

describe('RFC 9449 §8, §9 server nonces (dpop.requireNonce)', () => {
  let op: OidcServer;
  let as: oauth.AuthorizationServer;
  let admin: { client_id: string; client_secret: string };

  before(async () => {
    op = await startOidcServer({ dpop: { requireNonce: true, nonceWindow: 60 } });
    as = await discover(op.url);
    const created = (await op.gh.services.application.run('clients.create', CLI, {
      client_name: 'admin automation',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'gatehouse:admin',
    })) as { client: { client_id: string }; client_secret: string };
    admin = { client_id: created.client.client_id, client_secret: created.client_secret };
  });
  after(() => op?.close());

  const request = (DPoP: oauth.DPoPHandle) =>
    oauth
      .clientCredentialsGrantRequest(
        as,
        { client_id: admin.client_id },
        oauth.ClientSecretBasic(admin.client_secret),
        { scope: 'gatehouse:admin' },
        { DPoP, ...INSECURE },
      )
      .then((r) => oauth.processClientCredentialsResponse(as, { client_id: admin.client_id }, r));

  test('RFC 9449 §8 the token endpoint answers use_dpop_nonce with a DPoP-Nonce header; the retry with it succeeds', async () => {
    const d = await dpopKey();
    let first: unknown;
    try {
      await request(d.handle);
    } catch (e) {
      first = e;
    }
    assert.ok(oauth.isDPoPNonceError(first), 'the first proof (no nonce) is refused with use_dpop_nonce');
    assert.equal((first as oauth.ResponseBodyError).status, 400);
    assert.ok((first as oauth.ResponseBodyError).response.headers.get('dpop-nonce'));
    const tokens = await request(d.handle);
    assert.equal(tokens.token_type, 'dpop');
  });

  test('RFC 9449 §8 a proof without the nonce, or with a made-up one, is use_dpop_nonce', async () => {
    const d = await dpopKey();
    await request(d.handle).catch(() => {});
    assert.equal(await tokenError(request(spoiled(d, (_h, p) => void delete p.nonce))), 'use_dpop_nonce');
    assert.equal(await tokenError(request(spoiled(d, (_h, p) => void (p.nonce = 'not-a-nonce')))), 'use_dpop_nonce');
  });

  test('RFC 9449 §9 a resource answers an expired nonce with 401, WWW-Authenticate DPoP error="use_dpop_nonce" and a fresh DPoP-Nonce; the retry succeeds', async () => {
    // The client's clock follows the server's test clock (iat from it), as a synchronised client's would.
    const d = await dpopKey((_h, p) => void (p.iat = Math.floor(op.clock.now() / 1000)));
    await request(d.handle).catch(() => {});
    const { access_token } = await request(d.handle);
    const url = new URL(`${op.url}/admin/api/v1/clients`);
    const call = () => oauth.protectedResourceRequest(access_token, 'GET', url, undefined, undefined, { DPoP: d.handle, ...INSECURE });
    assert.equal((await call()).status, 200, 'the nonce from the token endpoint is good at the resource');
    // Two windows later the nonce the client holds is no longer accepted (rotation).
    op.clock.advance(121);
    let err: unknown;
    try {
      await call();
    } catch (e) {
      err = e;
    }
    assert.ok(oauth.isDPoPNonceError(err), 'use_dpop_nonce in a DPoP challenge');
    assert.equal((err as oauth.WWWAuthenticateChallengeError).status, 401);
    assert.ok((err as oauth.WWWAuthenticateChallengeError).response.headers.get('dpop-nonce'));
    assert.equal((await call()).status, 200, 'the retry carries the fresh nonce');
    op.clock.advance(-121);
  });

  test('RFC 9449 §8.2 rotation at the admin API and /admin/mcp: a proof with the previous window’s nonce passes and the response carries the fresh DPoP-Nonce', async () => {
    const d = await dpopKey((_h, p) => void (p.iat = Math.floor(op.clock.now() / 1000)));
    await request(d.handle).catch(() => {});
    const { access_token } = await request(d.handle);
    const proofAt = (method: string, url: URL, nonce: string) =>
      proofFor(
        spoiled(d, (_h, p) => {
          p.iat = Math.floor(op.clock.now() / 1000);
          p.nonce = nonce;
        }),
        method,
        url,
        access_token,
      );
    const api = new URL(`${op.url}/admin/api/v1/clients`);
    const mcp = new URL(`${op.url}/admin/mcp`);
    const first = await fetch(api, { headers: { authorization: `DPoP ${access_token}`, dpop: await proofAt('GET', api, 'x') } });
    const old = first.headers.get('dpop-nonce');
    assert.equal(first.status, 401);
    assert.ok(old, 'use_dpop_nonce hands out the current nonce');
    const within = await fetch(api, { headers: { authorization: `DPoP ${access_token}`, dpop: await proofAt('GET', api, old) } });
    assert.equal(within.status, 200);
    assert.equal(within.headers.get('dpop-nonce'), null, 'nothing new to hand out within the window');
    op.clock.advance(60);
    try {
      const rotated = await fetch(api, { headers: { authorization: `DPoP ${access_token}`, dpop: await proofAt('GET', api, old) } });
      assert.equal(rotated.status, 200, 'the previous window’s nonce is still accepted');
      const fresh = rotated.headers.get('dpop-nonce');
      assert.ok(fresh && fresh !== old, 'the admin API hands out the fresh nonce');
      // A token for /admin/mcp (RFC 8707 resource), with a proof carrying the old nonce.
      const forMcp = await oauth
        .clientCredentialsGrantRequest(
          as,
          { client_id: admin.client_id },
          oauth.ClientSecretBasic(admin.client_secret),
          { scope: 'gatehouse:admin', resource: mcp.href },
          { DPoP: d.handle, ...INSECURE },
        )
        .then((r) => oauth.processClientCredentialsResponse(as, { client_id: admin.client_id }, r));
      const mcpProof = await proofFor(
        spoiled(d, (_h, p) => {
          p.iat = Math.floor(op.clock.now() / 1000);
          p.nonce = old;
        }),
        'POST',
        mcp,
        forMcp.access_token,
      );
      const listed = await fetch(mcp, {
        method: 'POST',
        headers: {
          authorization: `DPoP ${forMcp.access_token}`,
          dpop: mcpProof,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
      });
      assert.equal(listed.status, 200, `${listed.headers.get('www-authenticate')} ${await listed.clone().text()}`);
      assert.equal(listed.headers.get('dpop-nonce'), fresh, '/admin/mcp hands out the fresh nonce too');
    } finally {
      op.clock.advance(-60);
    }
  });
});

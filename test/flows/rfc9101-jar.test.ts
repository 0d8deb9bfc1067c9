/**
 * RFC 9101 JWT-Secured Authorization Requests over real HTTP: openid-client signs request objects
 * (buildAuthorizationUrlWithJAR) with a key the client registered; hand-made objects (jose) cover
 * the refusals. Request objects are also pushed to /par (RFC 9126 §3).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWTPayload } from 'jose';
import * as oauth from 'oauth4webapi';
import * as oidc from 'openid-client';
import type { ParRecord } from '../../src/core/model/par-request.ts';
import { INSECURE } from '../support/oauth-client.ts';
import {
  callbackOf,
  createRp,
  createTestUser,
  rpConfig,
  serverMetadata,
  startOidcServer,
  type OidcServer,
  type TestRp,
  type TestUser,
} from '../support/oidc.ts';
import { UserAgent, type Outcome } from '../support/user-agent.ts';

let op: OidcServer;
let alice: TestUser;
let rp: TestRp;
let key: CryptoKey;
const KID = 'rp-request-key';

const login = () => ({ username: alice.username, password: alice.password });

async function pkce() {
  const verifier = oidc.randomPKCECodeVerifier();
  return { verifier, challenge: await oidc.calculatePKCECodeChallenge(verifier) };
}

/** The claims of a good request object for `rp`, with `over` applied (undefined removes a claim). */
function claims(challenge: string, over: JWTPayload = {}): JWTPayload {
  const now = Math.floor(op.clock.now() / 1000);
  return {
    iss: rp.client_id,
    aud: op.url,
    iat: now,
    nbf: now,
    exp: now + 60,
    jti: oidc.randomState(),
    client_id: rp.client_id,
    response_type: 'code',
    redirect_uri: rp.redirect_uri,
    scope: 'openid email',
    state: 'inner-state',
    nonce: 'inner-nonce',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...over,
  };
}

const sign = (payload: JWTPayload, k: CryptoKey = key) =>
  new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: KID, typ: 'oauth-authz-req+jwt' }).sign(k);

function authorizeWith(request: string, outer: Record<string, string> = {}): URL {
  return new URL(`${op.url}/authorize?${new URLSearchParams({ client_id: rp.client_id, ...outer, request })}`);
}

/** The request was refused: an error page, or invalid_request_object back at the redirect URI. */
function assertRefused(out: Outcome): void {
  if (out.kind === 'page') {
    assert.equal(out.page.status, 400, `error page (${out.page.text.slice(0, 200)})`);
    return;
  }
  assert.equal(out.kind, 'redirect');
  if (out.kind !== 'redirect') return;
  const p = out.url.searchParams;
  assert.equal(p.get('error'), 'invalid_request_object', p.get('error_description') ?? '');
  assert.equal(p.get('code'), null);
}

before(async () => {
  op = await startOidcServer();
  alice = await createTestUser(op.gh, { username: 'alice-jar' });
  const pair = await generateKeyPair('ES256', { extractable: true });
  key = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'ES256', use: 'sig' };
  rp = await createRp(op.gh, 'confidential', { jwks: { keys: [jwk] }, request_object_signing_alg: 'ES256' });
});

after(async () => {
  await op.close();
});

describe('RFC 9101 JWT-Secured Authorization Request', () => {
  test("RFC 9101 §5.1 a request object signed with the client's registered key is accepted (openid-client)", async () => {
    const cfg = await rpConfig(op, rp);
    const { verifier, challenge } = await pkce();
    const url = await oidc.buildAuthorizationUrlWithJAR(
      cfg,
      {
        redirect_uri: rp.redirect_uri,
        scope: 'openid',
        response_type: 'code',
        state: 'jar-state',
        nonce: 'jar-nonce',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      },
      { key, kid: KID },
    );
    const tokens = await oidc.authorizationCodeGrant(cfg, callbackOf(await new UserAgent(op.url).authorize(url, login())), {
      pkceCodeVerifier: verifier,
      expectedState: 'jar-state',
      expectedNonce: 'jar-nonce',
    });
    assert.equal(tokens.claims()?.sub, alice.id);
  });

  test('RFC 9101 §6.3 only the parameters inside the object are used; outer ones are ignored', async () => {
    const { verifier, challenge } = await pkce();
    const url = authorizeWith(await sign(claims(challenge)), {
      response_type: 'code',
      scope: 'openid profile',
      state: 'outer-state',
      nonce: 'outer-nonce',
      redirect_uri: 'https://evil.example/cb',
      prompt: 'none',
    });
    const cb = callbackOf(await new UserAgent(op.url).authorize(url, login()));
    assert.equal(`${cb.origin}${cb.pathname}`, rp.redirect_uri, 'the inner redirect_uri');
    assert.equal(cb.searchParams.get('state'), 'inner-state');
    const tokens = await oidc.authorizationCodeGrant(await rpConfig(op, rp), cb, {
      pkceCodeVerifier: verifier,
      expectedState: 'inner-state',
      expectedNonce: 'inner-nonce',
    });
    assert.equal(tokens.claims()?.nonce, 'inner-nonce');
    assert.equal(tokens.scope, 'openid email', 'the inner scope');
  });

  test('RFC 8414 §2 / RFC 9101 §10.1 every advertised request_object_signing_alg is accepted, and no HMAC is advertised', async () => {
    const advertised = ((await serverMetadata(op.url)).request_object_signing_alg_values_supported ?? []).filter((a) => a !== 'none');
    assert.ok(advertised.length > 0);
    assert.deepEqual(
      advertised.filter((a) => a.startsWith('HS')),
      [],
      'request objects are verified with public keys only',
    );
    for (const alg of advertised) {
      const pair = await generateKeyPair(alg, { extractable: true });
      const kid = `k-${alg}`;
      const client = await createRp(op.gh, 'confidential', {
        jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' }] },
        request_object_signing_alg: alg,
      });
      const { challenge } = await pkce();
      const payload = { ...claims(challenge), iss: client.client_id, client_id: client.client_id, redirect_uri: client.redirect_uri };
      const request = await new SignJWT(payload).setProtectedHeader({ alg, kid, typ: 'oauth-authz-req+jwt' }).sign(pair.privateKey);
      const url = new URL(`${op.url}/authorize?${new URLSearchParams({ client_id: client.client_id, request })}`);
      const cb = callbackOf(await new UserAgent(op.url).authorize(url, login()));
      assert.equal(cb.searchParams.get('state'), 'inner-state', alg);
      assert.ok(cb.searchParams.get('code'), `${alg}: a code`);
    }
  });

  test('RFC 9101 §6.2 alg none is refused unless the server allows unsigned request objects', async () => {
    const { challenge } = await pkce();
    const unsigned = new UnsecuredJWT(claims(challenge)).encode();
    assertRefused(await new UserAgent(op.url).authorize(authorizeWith(unsigned), login()));
  });

  test('RFC 9101 §4 a wrong aud or iss is refused', async () => {
    const { challenge } = await pkce();
    for (const over of [{ aud: 'https://other-as.example' }, { iss: 'someone-else' }]) {
      assertRefused(await new UserAgent(op.url).authorize(authorizeWith(await sign(claims(challenge, over))), login()));
    }
  });

  test('draft-ietf-oauth-rfc7523bis a request object whose aud has several values is refused at /authorize and /par, the issuer among them or not', async () => {
    const { challenge } = await pkce();
    const injected = await sign(claims(challenge, { aud: [op.url, 'https://evil.example'] }));
    const out = await new UserAgent(op.url).authorize(authorizeWith(injected), login());
    assertRefused(out);
    if (out.kind === 'redirect') assert.equal(out.url.searchParams.get('error_description'), 'the request object aud must be a single value');
    assert.ok(!(out.kind === 'page' ? out.page.text : out.kind === 'redirect' ? out.url.href : '').includes('evil.example'), 'the bad value is not echoed');

    const as = (await serverMetadata(op.url)) as unknown as oauth.AuthorizationServer;
    const auth = oauth.ClientSecretBasic(rp.client_secret);
    for (const aud of [
      [op.url, 'https://evil.example'],
      [op.url, `${op.url}/par`],
    ]) {
      const res = await oauth.pushedAuthorizationRequest(as, { client_id: rp.client_id }, auth, { request: await sign(claims(challenge, { aud })) }, INSECURE);
      assert.equal(res.status, 400);
      assert.deepEqual(await res.json(), { error: 'invalid_request_object', error_description: 'the request object aud must be a single value' });
    }
    // The same object with the issuer as its one value (a one-element array) is accepted.
    const single = await oauth.pushedAuthorizationRequest(
      as,
      { client_id: rp.client_id },
      auth,
      { request: await sign(claims(challenge, { aud: [op.url] })) },
      INSECURE,
    );
    assert.equal(single.status, 201);
  });

  test('RFC 9101 §6.2 a signature by a key the client did not register is refused', async () => {
    const { challenge } = await pkce();
    const stranger = await generateKeyPair('ES256');
    assertRefused(await new UserAgent(op.url).authorize(authorizeWith(await sign(claims(challenge), stranger.privateKey)), login()));
  });

  test('RFC 9101 §6.2 an expired request object is refused', async () => {
    const { challenge } = await pkce();
    const now = Math.floor(op.clock.now() / 1000);
    assertRefused(
      await new UserAgent(op.url).authorize(authorizeWith(await sign(claims(challenge, { iat: now - 200, nbf: now - 200, exp: now - 100 }))), login()),
    );
  });

  test('RFC 9126 §3 a request object pushed to /par is verified and its parameters are what the request_uri carries', async () => {
    const as = (await serverMetadata(op.url)) as unknown as oauth.AuthorizationServer;
    const { verifier, challenge } = await pkce();
    const auth = oauth.ClientSecretBasic(rp.client_secret);
    const ok = await oauth.pushedAuthorizationRequest(
      as,
      { client_id: rp.client_id },
      auth,
      { request: await sign(claims(challenge)), state: 'outer-state' },
      INSECURE,
    );
    assert.equal(ok.status, 201);
    const { request_uri } = await oauth.processPushedAuthorizationResponse(as, { client_id: rp.client_id }, ok);
    const cb = callbackOf(
      await new UserAgent(op.url).authorize(new URL(`${op.url}/authorize?${new URLSearchParams({ client_id: rp.client_id, request_uri })}`), login()),
    );
    assert.equal(cb.searchParams.get('state'), 'inner-state');
    await oidc.authorizationCodeGrant(await rpConfig(op, rp), cb, { pkceCodeVerifier: verifier, expectedState: 'inner-state', expectedNonce: 'inner-nonce' });

    const unsigned = await oauth.pushedAuthorizationRequest(
      as,
      { client_id: rp.client_id },
      auth,
      { request: new UnsecuredJWT(claims(challenge)).encode() },
      INSECURE,
    );
    assert.equal(unsigned.status, 400);
    assert.equal(((await unsigned.json()) as { error: string }).error, 'invalid_request_object');
    const wrongAud = await oauth.pushedAuthorizationRequest(
      as,
      { client_id: rp.client_id },
      auth,
      { request: await sign(claims(challenge, { aud: `${op.url}/par-typo` })) },
      INSECURE,
    );
    assert.equal(((await wrongAud.json()) as { error: string }).error, 'invalid_request_object');
  });

  test('RFC 9126 §3 with RFC 6749 §3.1 a pushed request object is stored as its recognized parameters only: not the JWT, not its unknown members', async () => {
    const as = (await serverMetadata(op.url)) as unknown as oauth.AuthorizationServer;
    const { challenge } = await pkce();
    const store = op.gh.services.storage.par;
    const insert = store.insert;
    const stored: ParRecord[] = [];
    // A recording wrapper on the real store instance: the row still goes in.
    store.insert = (record) => {
      stored.push(structuredClone(record));
      return insert.call(store, record);
    };
    try {
      const request = await sign(claims(challenge, { x_filler: 'a'.repeat(30_000), x_flag: true, x_count: 7 }));
      const res = await oauth.pushedAuthorizationRequest(
        as,
        { client_id: rp.client_id },
        oauth.ClientSecretBasic(rp.client_secret),
        { request, state: 'outer-state' },
        INSECURE,
      );
      assert.equal(res.status, 201);
    } finally {
      store.insert = insert;
    }
    assert.equal(stored.length, 1);
    assert.deepEqual(stored[0]?.params, {
      client_id: rp.client_id,
      response_type: 'code',
      redirect_uri: rp.redirect_uri,
      scope: 'openid email',
      state: 'inner-state',
      nonce: 'inner-nonce',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
  });

  test('RFC 9101 §6.2 the server accepts alg none when configured to, still taking parameters from inside only', async () => {
    const lax = await startOidcServer({
      keys: { algorithms: ['ES256'] },
      tokens: { idTokenSigningAlg: 'ES256' },
      authorization: { allowUnsignedRequestObjects: true },
    });
    try {
      const user = await createTestUser(lax.gh, { username: 'carol-jar' });
      const c = await createRp(lax.gh);
      const { verifier, challenge } = await pkce();
      const now = Math.floor(lax.clock.now() / 1000);
      const object = new UnsecuredJWT({
        iss: c.client_id,
        aud: lax.url,
        exp: now + 60,
        client_id: c.client_id,
        response_type: 'code',
        scope: 'openid',
        redirect_uri: c.redirect_uri,
        state: 'inner',
        nonce: 'n',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }).encode();
      const url = new URL(
        `${lax.url}/authorize?${new URLSearchParams({ client_id: c.client_id, response_type: 'code', scope: 'openid', state: 'outer', request: object })}`,
      );
      const cb = callbackOf(await new UserAgent(lax.url).authorize(url, { username: user.username, password: user.password }));
      assert.equal(cb.searchParams.get('state'), 'inner');
      const tokens = await oidc.authorizationCodeGrant(await rpConfig(lax, c), cb, { pkceCodeVerifier: verifier, expectedState: 'inner', expectedNonce: 'n' });
      assert.equal(tokens.claims()?.sub, user.id);
    } finally {
      await lax.close();
    }
  });
});

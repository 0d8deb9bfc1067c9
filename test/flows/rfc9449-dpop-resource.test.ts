/**
 * RFC 9449 DPoP at a protected resource, over HTTP, driven by oauth4webapi (`DPoP()` handles,
 * `modifyAssertion`, `isDPoPNonceError`): every way a request to UserInfo with a DPoP-bound token
 * can be wrong (replay, htm, htu, iat both ways, ath, no proof, another key, an unbound token with
 * the DPoP scheme); server nonces at UserInfo and PAR and their rotation; `dpop_jkt` pushed to PAR
 * as a form parameter; and a proof replayed on a second instance that shares only the store (no
 * Redis: SQLite file, PostgreSQL). The token-endpoint side is in rfc9449-dpop.test.ts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import { createTestDatabase } from '../support/databases.ts';
import { clientCredentialsWithProof, discover, INSECURE } from '../support/oauth-client.ts';
import { authorizeCode, createRp, createTestUser, rpConfig, startOidcServer, type OidcServer, type TestRp, type TestUser } from '../support/oidc.ts';
import { createTestClient, startTestServer } from '../support/server.ts';
import { UserAgent } from '../support/user-agent.ts';
import { parseChallenges } from '../support/www-authenticate.ts';

type Modify = (header: Record<string, unknown>, payload: Record<string, unknown>) => void;

interface Dpop {
  readonly handle: oauth.DPoPHandle;
  readonly keys: oauth.CryptoKeyPair;
  readonly jkt: string;
}

async function dpopKey(modify?: Modify): Promise<Dpop> {
  const keys = await oauth.generateKeyPair('ES256', { extractable: true });
  const handle = oauth.DPoP({}, keys, modify ? { [oauth.modifyAssertion]: modify } : {});
  return { handle, keys, jkt: await handle.calculateThumbprint() };
}

/** Another handle on the same key pair (no nonce learnt yet), its proofs changed by `modify`. */
const handleOf = (d: Dpop, modify?: Modify): oauth.DPoPHandle => oauth.DPoP({}, d.keys, modify ? { [oauth.modifyAssertion]: modify } : {});

/** The proof oauth4webapi would send for `method url` (with `ath` of `accessToken`), caught in its fetch and not sent. */
async function proofFor(handle: oauth.DPoPHandle, method: string, url: URL, accessToken: string): Promise<string> {
  let proof = '';
  const capture = async (_u: string, init: oauth.CustomFetchOptions<string, oauth.ProtectedResourceRequestBody>) => {
    proof = (init.headers as Record<string, string>)['dpop']!;
    return new Response('{}', { status: 200 });
  };
  await oauth.protectedResourceRequest(accessToken, method, url, undefined, undefined, { DPoP: handle, [oauth.customFetch]: capture, ...INSECURE });
  return proof;
}

/**
 * RFC 9449 §7.1/§7.2 at UserInfo: 401, a bare Bearer challenge and the error on the DPoP one (the
 * scheme the client used), with `algs`. Returns the error_description.
 */
async function dpopRefusal(res: Response, error: string): Promise<string> {
  const header = res.headers.get('www-authenticate') ?? '';
  assert.equal(res.status, 401, `401 expected (${header})`);
  const challenges = parseChallenges(header);
  assert.deepEqual(
    challenges.map((c) => c.scheme),
    ['Bearer', 'DPoP'],
  );
  assert.equal(challenges[0]!.params['error'], undefined, 'the error is on the scheme the client used');
  const dpop = challenges[1]!.params;
  assert.equal(dpop['error'], error, dpop['error_description']);
  assert.ok(dpop['algs']?.split(' ').includes('ES256'));
  await res.arrayBuffer();
  return dpop['error_description'] ?? '';
}

/** oauth4webapi's pattern: a request refused with use_dpop_nonce is sent again (the handle now holds the nonce). */
async function retryOnNonce<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (e) {
    if (oauth.isDPoPNonceError(e)) return send();
    throw e;
  }
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('the request was expected to fail');
}

/** The code flow with PKCE for a public `rp` (sign-in in a user agent), redeemed with `DPoP` (retried once on use_dpop_nonce). */
async function codeFlow(op: OidcServer, as: oauth.AuthorizationServer, rp: TestRp, user: TestUser, DPoP?: oauth.DPoPHandle) {
  const { req, callback } = await authorizeCode(await rpConfig(op, rp), rp, new UserAgent(op.url), user, { scope: 'openid' });
  const client = { client_id: rp.client_id };
  const cb = oauth.validateAuthResponse(as, client, callback, req.state);
  return retryOnNonce(async () => {
    const res = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), cb, rp.redirect_uri, req.verifier, {
      ...(DPoP ? { DPoP } : {}),
      ...INSECURE,
    });
    return oauth.processAuthorizationCodeResponse(as, client, res, { expectedNonce: req.nonce });
  });
}

/** A pushed authorization request (RFC 9126) for a public `rp`: `push` sends it, `authorizeAndRedeem` signs in with its request_uri and returns `redeem`. */
async function parRequest(op: OidcServer, as: oauth.AuthorizationServer, rp: TestRp, user: TestUser, extra: Record<string, string> = {}) {
  const client = { client_id: rp.client_id };
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const params = {
    response_type: 'code',
    redirect_uri: rp.redirect_uri,
    scope: 'openid',
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...extra,
  };
  const push = async (DPoP?: oauth.DPoPHandle) =>
    oauth.processPushedAuthorizationResponse(
      as,
      client,
      await oauth.pushedAuthorizationRequest(as, client, oauth.None(), params, { ...(DPoP ? { DPoP } : {}), ...INSECURE }),
    );
  const authorizeAndRedeem = async (requestUri: string) => {
    const url = new URL(`${op.url}/authorize?client_id=${encodeURIComponent(rp.client_id)}&request_uri=${encodeURIComponent(requestUri)}`);
    const outcome = await new UserAgent(op.url).authorize(url, { username: user.username, password: user.password });
    assert.equal(outcome.kind, 'redirect');
    const cb = oauth.validateAuthResponse(as, client, (outcome as { url: URL }).url, state);
    return async (DPoP?: oauth.DPoPHandle) =>
      oauth.processAuthorizationCodeResponse(
        as,
        client,
        await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), cb, rp.redirect_uri, verifier, { ...(DPoP ? { DPoP } : {}), ...INSECURE }),
      );
  };
  return { push, authorizeAndRedeem };
}

describe('RFC 9449 §7.1 UserInfo with a DPoP-bound access token (nonces not required)', () => {
  let op: OidcServer;
  let as: oauth.AuthorizationServer;
  let user: TestUser;
  let rp: TestRp;
  let d: Dpop;
  /** Bound to `d`. */
  let bound: string;
  /** A plain Bearer token of the same user and client. */
  let bearer: string;
  let sub: string;
  let userinfoUrl: URL;
  const client = () => ({ client_id: rp.client_id });

  before(async () => {
    op = await startOidcServer();
    as = await discover(op.url, 'oidc');
    user = await createTestUser(op.gh);
    rp = await createRp(op.gh, 'public');
    d = await dpopKey();
    const tokens = await codeFlow(op, as, rp, user, d.handle);
    assert.equal(tokens.token_type, 'dpop');
    assert.deepEqual(decodeJwt(tokens.access_token).cnf, { jkt: d.jkt });
    bound = tokens.access_token;
    sub = decodeJwt(tokens.id_token!).sub!;
    const plain = await codeFlow(op, as, rp, user);
    assert.equal(plain.token_type, 'bearer');
    bearer = plain.access_token;
    userinfoUrl = new URL(as.userinfo_endpoint!);
  });
  after(() => op?.close());

  const userinfo = (token: string, DPoP?: oauth.DPoPHandle) => oauth.userInfoRequest(as, client(), token, { ...(DPoP ? { DPoP } : {}), ...INSECURE });
  const withProof = (token: string, proof: string | undefined) =>
    fetch(userinfoUrl, { headers: { authorization: `DPoP ${token}`, ...(proof === undefined ? {} : { dpop: proof }) } });

  test('RFC 9449 §7.1 the bound token with a proof of its key gets the claims (oauth4webapi userInfoRequest)', async () => {
    const claims = await oauth.processUserInfoResponse(as, client(), sub, await userinfo(bound, d.handle));
    assert.equal(claims.sub, sub);
  });

  test('RFC 9449 §11.1 / §4.3 item 12 a proof replayed at UserInfo is invalid_dpop_proof', async () => {
    const proof = await proofFor(d.handle, 'GET', userinfoUrl, bound);
    const first = await withProof(bound, proof);
    assert.equal(first.status, 200);
    assert.equal(((await first.json()) as { sub: string }).sub, sub);
    assert.match(await dpopRefusal(await withProof(bound, proof), 'invalid_dpop_proof'), /already used/);
  });

  test('RFC 9449 §4.3 items 8 and 9 at UserInfo: a proof for another method (htm) or another URI (htu) is invalid_dpop_proof', async () => {
    const htm = handleOf(d, (_h, p) => void (p.htm = 'POST'));
    assert.match(await dpopRefusal(await userinfo(bound, htm), 'invalid_dpop_proof'), /htm/);
    const htu = handleOf(d, (_h, p) => void (p.htu = `${op.url}/token`));
    assert.match(await dpopRefusal(await userinfo(bound, htu), 'invalid_dpop_proof'), /htu/);
    const host = handleOf(d, (_h, p) => void (p.htu = 'https://rs.example.com/userinfo'));
    assert.match(await dpopRefusal(await userinfo(bound, host), 'invalid_dpop_proof'), /htu/);
  });

  test('RFC 9449 §4.3 item 11 at UserInfo: an iat older than dpop.proofMaxAge + clockSkew, or beyond clockSkew ahead, is invalid_dpop_proof', async () => {
    const { proofMaxAge, clockSkew } = op.gh.services.config.dpop;
    const now = () => Math.floor(op.clock.now() / 1000);
    const stale = handleOf(d, (_h, p) => void (p.iat = now() - proofMaxAge - clockSkew - 5));
    assert.match(await dpopRefusal(await userinfo(bound, stale), 'invalid_dpop_proof'), /too old/);
    const future = handleOf(d, (_h, p) => void (p.iat = now() + clockSkew + 5));
    assert.match(await dpopRefusal(await userinfo(bound, future), 'invalid_dpop_proof'), /future/);
    // Within the skew both ways: accepted.
    const early = handleOf(d, (_h, p) => void (p.iat = now() + clockSkew - 5));
    assert.equal((await userinfo(bound, early)).status, 200);
  });

  test('RFC 9449 §4.3 item 12 / §7 at UserInfo: a proof whose ath is the hash of another access token is invalid_dpop_proof', async () => {
    const forOther = await proofFor(d.handle, 'GET', userinfoUrl, bearer);
    assert.match(await dpopRefusal(await withProof(bound, forOther), 'invalid_dpop_proof'), /ath/);
  });

  test('RFC 9449 §7.1 the DPoP scheme without a DPoP header is invalid_dpop_proof', async () => {
    assert.match(await dpopRefusal(await withProof(bound, undefined), 'invalid_dpop_proof'), /proof is required/);
  });

  test('RFC 9449 §7.1 / §6.1 a valid proof of a key other than cnf.jkt is invalid_token (the RFC’s "Invalid DPoP key binding" response)', async () => {
    const other = await dpopKey();
    assert.match(await dpopRefusal(await userinfo(bound, other.handle), 'invalid_token'), /does not match the key/);
  });

  test('RFC 9449 §7.1 an unbound (Bearer) access token sent with the DPoP scheme and a proof is invalid_token; as Bearer it is accepted', async () => {
    assert.match(await dpopRefusal(await userinfo(bearer, d.handle), 'invalid_token'), /not DPoP-bound/);
    const ok = await userinfo(bearer);
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { sub: string }).sub, sub);
  });

  test('RFC 9449 §10.1 dpop_jkt as a PAR form parameter without a DPoP header binds the code: another key is invalid_grant, the key redeems it', async () => {
    const k = await dpopKey();
    const other = await dpopKey();
    const spent = await parRequest(op, as, rp, user, { dpop_jkt: k.jkt });
    const redeemSpent = await spent.authorizeAndRedeem((await spent.push()).request_uri);
    assert.equal(((await failure(redeemSpent(other.handle))) as oauth.ResponseBodyError).error, 'invalid_grant');
    const par = await parRequest(op, as, rp, user, { dpop_jkt: k.jkt });
    const redeem = await par.authorizeAndRedeem((await par.push()).request_uri);
    assert.equal(((await failure(redeem(undefined))) as oauth.ResponseBodyError).error, 'invalid_dpop_proof', 'no proof: refused, the code stays usable');
    const tokens = await redeem(k.handle);
    assert.equal(tokens.token_type, 'dpop');
    assert.deepEqual(decodeJwt(tokens.access_token).cnf, { jkt: k.jkt });
  });
});

describe('RFC 9449 §8, §9 server nonces at UserInfo and PAR (dpop.requireNonce)', () => {
  const WINDOW = 60;
  let op: OidcServer;
  let as: oauth.AuthorizationServer;
  let user: TestUser;
  let rp: TestRp;
  /** Its proofs' iat follows the server's test clock, as a synchronised client's would. */
  let d: Dpop;
  let bound: string;
  let sub: string;
  const client = () => ({ client_id: rp.client_id });
  const iatFromServer: Modify = (_h, p) => void (p.iat = Math.floor(op.clock.now() / 1000));

  before(async () => {
    op = await startOidcServer({ dpop: { requireNonce: true, nonceWindow: WINDOW } });
    as = await discover(op.url, 'oidc');
    user = await createTestUser(op.gh);
    rp = await createRp(op.gh, 'public');
    d = await dpopKey(iatFromServer);
    const tokens = await codeFlow(op, as, rp, user, d.handle);
    assert.equal(tokens.token_type, 'dpop');
    bound = tokens.access_token;
    sub = decodeJwt(tokens.id_token!).sub!;
  });
  after(() => op?.close());

  const userinfo = (DPoP: oauth.DPoPHandle) => oauth.userInfoRequest(as, client(), bound, { DPoP, ...INSECURE });

  test('RFC 9449 §9 UserInfo answers a proof without a nonce with 401, WWW-Authenticate DPoP error="use_dpop_nonce" and DPoP-Nonce; oauth4webapi’s retry succeeds', async () => {
    const fresh = handleOf(d, iatFromServer);
    const first = await userinfo(fresh);
    const nonce = first.headers.get('dpop-nonce');
    assert.ok(nonce, 'a DPoP-Nonce header');
    const e = await failure(oauth.processUserInfoResponse(as, client(), sub, first));
    assert.ok(oauth.isDPoPNonceError(e), 'oauth4webapi reads it as a nonce error');
    assert.equal(await dpopRefusal(first, 'use_dpop_nonce'), 'the DPoP proof must carry the server nonce');
    const claims = await oauth.processUserInfoResponse(as, client(), sub, await userinfo(fresh));
    assert.equal(claims.sub, sub, 'the retry, carrying the nonce, is served');
  });

  test('RFC 9449 §8 (PAR, §10) a DPoP header without the nonce is 400 use_dpop_nonce with DPoP-Nonce; the retry is pushed and binds the code', async () => {
    const k = await dpopKey(iatFromServer);
    const par = await parRequest(op, as, rp, user);
    const e = await failure(par.push(k.handle));
    assert.ok(oauth.isDPoPNonceError(e));
    assert.ok(e instanceof oauth.ResponseBodyError);
    assert.equal(e.status, 400);
    assert.equal(e.error, 'use_dpop_nonce');
    assert.ok(e.response.headers.get('dpop-nonce'), 'a DPoP-Nonce header');
    const pushed = await par.push(k.handle);
    assert.match(pushed.request_uri, /^urn:ietf:params:oauth:request_uri:/);
    const redeem = await par.authorizeAndRedeem(pushed.request_uri);
    const other = await dpopKey(iatFromServer);
    // The other key has no nonce yet: its first proof is refused with use_dpop_nonce (the code is
    // not touched), the retry carries the nonce and meets the binding.
    assert.equal(((await failure(retryOnNonce(() => redeem(other.handle)))) as oauth.ResponseBodyError).error, 'invalid_grant', 'the code is bound to k');
    const second = await parRequest(op, as, rp, user);
    const tokens = await (await second.authorizeAndRedeem((await second.push(k.handle)).request_uri))(k.handle);
    assert.equal(tokens.token_type, 'dpop');
    assert.deepEqual(decodeJwt(tokens.access_token).cnf, { jkt: k.jkt });
  });

  test('RFC 9449 §8.2 rotation at UserInfo: a proof with the previous window’s nonce passes and the response carries the fresh DPoP-Nonce', async () => {
    const offset = op.clock.offsetMs;
    try {
      // One second into a nonce window, so that nothing below crosses a window boundary by chance.
      const w = WINDOW * 1000;
      op.clock.offsetMs += w - (op.clock.now() % w) + 1000;
      const h = handleOf(d, iatFromServer);
      const first = await userinfo(h);
      const old = first.headers.get('dpop-nonce');
      assert.equal(await dpopRefusal(first, 'use_dpop_nonce'), 'the DPoP proof must carry the server nonce');
      assert.ok(old);
      const current = await userinfo(h);
      assert.equal(current.status, 200, 'the current nonce is accepted');
      assert.equal(current.headers.get('dpop-nonce'), null, 'nothing new to hand out within the window');
      await current.arrayBuffer();
      op.clock.advance(WINDOW);
      const rotated = await userinfo(h);
      assert.equal(rotated.status, 200, 'the previous window’s nonce is still accepted');
      const fresh = rotated.headers.get('dpop-nonce');
      assert.ok(fresh && fresh !== old, 'the success carries a fresh DPoP-Nonce');
      assert.equal(((await rotated.json()) as { sub: string }).sub, sub);
      // oauth4webapi took the fresh nonce from the success: its next proof uses it and passes.
      const next = await userinfo(h);
      assert.equal(next.status, 200);
      assert.equal(next.headers.get('dpop-nonce'), null);
      await next.arrayBuffer();
      // One more window: the first nonce is no longer accepted.
      op.clock.advance(WINDOW);
      const stale = handleOf(d, (h2, p) => {
        iatFromServer(h2, p);
        p.nonce = old;
      });
      assert.equal(await dpopRefusal(await userinfo(stale), 'use_dpop_nonce'), 'the DPoP nonce is invalid or expired');
    } finally {
      op.clock.offsetMs = offset;
    }
  });
});

describe('RFC 9449 §11.1 replay across two instances without Redis: the store is the shared jti cache', () => {
  const ISSUER = 'https://as.example';
  for (const backend of ['sqlite', 'postgres'] as const) {
    test(`RFC 9449 §11.1 a proof used at instance A is refused at instance B (${backend} store, no Redis)`, async (t) => {
      const cleanup: (() => Promise<unknown>)[] = [];
      try {
        let url: string;
        if (backend === 'sqlite') {
          const dir = await mkdtemp(join(tmpdir(), 'gh-dpop-replay-'));
          cleanup.push(() => rm(dir, { recursive: true, force: true }));
          url = `sqlite:${join(dir, 'gh.db')}`;
        } else {
          const db = await createTestDatabase('postgres');
          if ('skip' in db) return void t.skip(db.skip);
          cleanup.push(() => db.drop());
          url = db.url;
        }
        const shared = { issuer: ISSUER, kek: randomBytes(32).toString('base64'), database: { url } };
        const a = await startTestServer(shared);
        cleanup.unshift(() => a.close());
        const b = await startTestServer(shared);
        cleanup.unshift(() => b.close());
        assert.equal(a.gh.services.config.redis.url, undefined, 'no Redis');
        const c = await createTestClient(a.gh);
        const d = await dpopKey();
        // One proof for POST {issuer}/token, sent to each instance by hand.
        const proof = await proofFor(d.handle, 'POST', new URL(`${ISSUER}/token`), 'unused');
        const use = (at: string) => clientCredentialsWithProof(at, c, proof);
        assert.equal(await use(a.url), '200 DPoP');
        assert.equal(await use(b.url), '400 invalid_dpop_proof: the DPoP proof was already used', 'the replay on the other instance is refused');
      } finally {
        for (const f of cleanup) await f();
      }
    });
  }
});

/**
 * draft-ietf-oauth-client-id-metadata-document over the wire: a client whose client_id is the
 * https URL of its metadata document, served by this test on 127.0.0.1 with a throwaway CA
 * (trusted through the tests-only `outboundTestCa` switch; loopback reached through the test
 * servers' `outbound.allowHosts: ['127.0.0.1']`). oauth4webapi drives PAR, the code flow with
 * PKCE and refresh; our UserAgent plays the browser. Each refusal is checked on the wire (the
 * "unknown client" page, `invalid_client`) and by its logged reason, and the document server
 * counts what was fetched.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import * as oauth from 'oauth4webapi';
import { OPERATOR_POLICY } from '../../src/core/registration/client-metadata.ts';
import { INSECURE } from '../support/oauth-client.ts';
import { assertErrorPage, callbackOf, createTestUser, TestClock, type TestUser } from '../support/oidc.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { makeTestTls, type TestTls } from '../support/test-tls.ts';
import { UserAgent, type Outcome, type Page } from '../support/user-agent.ts';

let tls: TestTls;
let clientKey: { privateKey: CryptoKey; publicKey: CryptoKey };
let clientJwk: Record<string, unknown>;
let docs: Server;
let base: string;
const fetched: string[] = [];
/** Every request the document server answered, with its validators and the status it got. */
const requests: { path: string; status: number; ifNoneMatch?: string; ifModifiedSince?: string }[] = [];
/** The document server's clock (its Date, Expires and Last-Modified): the server's TestClock in the cache tests. */
let originNow = () => Date.now();
const httpDate = (ms: number) => new Date(ms).toUTCString();
/** What /etag.json currently serves (its ETag and client_name follow it), and whether it is failing. */
let etagVersion = 1;
let etagFailing = false;
const LAST_MODIFIED = 'Thu, 01 Jan 2026 00:00:00 GMT';
const REDIRECT = 'http://127.0.0.1:53123/cb';

const CIMD = { enabled: true };

function document(path: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client_id: `${base}${path}`,
    client_name: 'Agent Smith',
    application_type: 'native',
    // An https redirect on the document's host (a web origin: remembered consent would be read
    // for a registered client) and a loopback one (RFC 8252 §7.3).
    redirect_uris: [`${base}/cb`, REDIRECT],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    scope: 'openid profile offline_access',
    ...extra,
  };
}

before(async () => {
  tls = await makeTestTls();
  clientKey = await generateKeyPair('ES256', { extractable: true });
  clientJwk = { ...(await exportJWK(clientKey.publicKey)), kid: 'cimd-1', alg: 'ES256', use: 'sig' };
  docs = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const path = new URL(req.url ?? '/', 'https://x').pathname;
    fetched.push(path);
    const inm = req.headers['if-none-match'];
    const ims = req.headers['if-modified-since'];
    const log = (status: number) =>
      requests.push({ path, status, ...(inm !== undefined ? { ifNoneMatch: inm } : {}), ...(ims !== undefined ? { ifModifiedSince: ims } : {}) });
    // Date from the origin's clock, the way a server in sync with ours sends it.
    const date = httpDate(originNow());
    /** 200 with `headers` over the defaults (an empty value leaves that field out). */
    const json = (body: unknown, headers: Record<string, string> = {}) => {
      log(200);
      const all = Object.entries({ 'content-type': 'application/json', 'cache-control': 'max-age=300', date, ...headers }).filter(([, v]) => v !== '');
      res.writeHead(200, Object.fromEntries(all));
      res.end(JSON.stringify(body));
    };
    const notModified = (headers: Record<string, string> = {}) => {
      log(304);
      res.writeHead(304, { date, ...headers }).end();
    };
    switch (path) {
      // RFC 9111 cache behaviour, one document per rule.
      case '/etag.json': {
        if (etagFailing) {
          log(503);
          return res.writeHead(503, { date }).end();
        }
        const etag = `"v${etagVersion}"`;
        if (inm === etag) return notModified({ etag, 'cache-control': 'no-cache' });
        return json(document(path, { client_name: `Agent v${etagVersion}` }), { etag, 'cache-control': 'no-cache' });
      }
      case '/last-modified.json':
        if (ims === LAST_MODIFIED) return notModified({ 'cache-control': 'max-age=60' });
        return json(document(path), { 'last-modified': LAST_MODIFIED, 'cache-control': 'max-age=60' });
      case '/age.json':
        return json(document(path), { 'cache-control': 'max-age=300', age: '290' });
      case '/expires.json':
        return json(document(path), { 'cache-control': '', expires: httpDate(originNow() + 120_000) });
      case '/bad-expires.json':
        return json(document(path), { 'cache-control': '', expires: '0' });
      case '/short.json':
        return json(document(path), { 'cache-control': 'max-age=5' });
      case '/client.json':
      case '/par-client.json':
      case '/@alice/client.json':
        return json(document(path));
      case '/no-store.json':
        return json(document(path), { 'cache-control': 'no-store' });
      case '/redirect.json':
        res.writeHead(302, { location: '/client.json' });
        return res.end();
      case '/mismatch.json':
        return json(document(path, { client_id: `${base}/client.json` }));
      case '/big.json':
        return json(document(path, { software_id: 'x'.repeat(1900), software_version: 'y'.repeat(1900), tos_uri: `https://127.0.0.1/${'z'.repeat(1900)}` }));
      case '/secret.json':
        return json(document(path, { token_endpoint_auth_method: 'client_secret_basic', client_secret: 'shh' }));
      case '/pkjwt.json':
        return json(document(path, { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [clientJwk] } }));
      case '/web-client.json':
        return json(document(path, { application_type: 'web', redirect_uris: ['https://app.example/cb'] }));
      case '/deep-jwks.json': {
        // A jwks key member nested 6000 levels (12 KB): JSON.parse takes it, JSON.stringify overflows.
        log(200);
        const deep = `${'['.repeat(6000)}${']'.repeat(6000)}`;
        const doc = JSON.stringify(document(path, { token_endpoint_auth_method: 'private_key_jwt' }));
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', date });
        return res.end(`${doc.slice(0, -1)},"jwks":{"keys":[{"kty":"EC","crv":"P-256","x":${deep},"y":"y"}]}}`);
      }
      case '/elsewhere.json':
        return json(document(path, { redirect_uris: ['https://evil.example/cb'] }));
      default:
        res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => docs.listen(0, '127.0.0.1', r));
  base = `https://127.0.0.1:${(docs.address() as AddressInfo).port}`;
});

after(async () => {
  docs?.closeAllConnections();
  await new Promise((r) => docs?.close(r));
});

/** A server with client id metadata documents on (overridable), its log lines captured. */
async function server(
  cimd: Record<string, unknown> = CIMD,
  overrides: Record<string, unknown> = {},
  clock?: TestClock,
): Promise<{ s: TestServer; logs: string[] }> {
  const s = await startTestServer({ clientIdMetadataDocuments: cimd, ...overrides }, { outboundTestCa: tls.ca, ...(clock ? { clock } : {}) });
  const logs: string[] = [];
  s.gh.services.setLog((level, message) => logs.push(`${level} ${message}`));
  return { s, logs };
}

const page = (o: Outcome): Page => (o.kind === 'page' ? o.page : assert.fail(`expected a page, got ${o.kind}`));

function authorizeUrl(s: TestServer, clientId: string, challenge: string, extra: Record<string, string> = {}): string {
  const u = new URL(`${s.url}/authorize`);
  for (const [k, v] of Object.entries({
    client_id: clientId,
    redirect_uri: `${base}/cb`,
    response_type: 'code',
    scope: 'openid profile offline_access',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    prompt: 'consent',
    ...extra,
  }))
    if (v !== '') u.searchParams.set(k, v);
  return u.href;
}

describe('Client ID Metadata Documents, enabled', () => {
  let s: TestServer;
  let logs: string[];
  let user: TestUser;
  let as: oauth.AuthorizationServer;
  before(async () => {
    ({ s, logs } = await server());
    user = await createTestUser(s.gh);
    as = await oauth.processDiscoveryResponse(new URL(s.url), await oauth.discoveryRequest(new URL(s.url), { algorithm: 'oidc', ...INSECURE }));
  });
  after(() => s?.close());

  test('§5 discovery advertises client_id_metadata_document_supported', () => {
    assert.equal(as['client_id_metadata_document_supported'], true);
  });

  test('§4 a code flow with PKCE and a refresh, the client known only by its document; the consent page names its host every time', async () => {
    const clientId = `${base}/client.json`;
    const client: oauth.Client = { client_id: clientId };
    const before = fetched.filter((p) => p === '/client.json').length;
    const ua = new UserAgent(s.url);
    for (const round of [1, 2]) {
      const verifier = oauth.generateRandomCodeVerifier();
      const state = oauth.generateRandomState();
      // No prompt=consent the second time (nor offline_access, which needs it): consent is asked
      // again anyway, the first one is never remembered for such a client.
      const second = { state, prompt: '', scope: 'openid profile' };
      const url = authorizeUrl(s, clientId, await oauth.calculatePKCECodeChallenge(verifier), round === 1 ? { state } : second);
      let out = await ua.navigate(url);
      if (page(out).kind === 'login') out = await ua.login(page(out), user.username, user.password);
      const consent = page(out);
      assert.equal(consent.kind, 'consent', `round ${round}: the consent page is shown (${consent.text.slice(0, 200)}) ${logs.join('\n')}`);
      assert.match(consent.text, /Agent Smith/);
      assert.match(consent.text, /not registered here.*127\.0\.0\.1:\d+/s, 'the page says which host the document is on');
      const callback = callbackOf(await ua.consent(consent, 'allow'));
      const params = oauth.validateAuthResponse(as, client, callback, state);
      const res = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, `${base}/cb`, verifier, INSECURE);
      const tokens = await oauth.processAuthorizationCodeResponse(as, client, res);
      assert.ok(tokens.access_token);
      const claims = oauth.getValidatedIdTokenClaims(tokens)!;
      assert.equal(claims.aud, clientId, 'the ID token is for the URL client_id');
      if (round === 2) continue;
      assert.ok(tokens.refresh_token, 'offline_access from the document scope');
      const refreshed = await oauth.processRefreshTokenResponse(
        as,
        client,
        await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token, INSECURE),
      );
      assert.ok(refreshed.access_token);
    }
    // max-age=300 keeps it: the flows above (authorize, consent, token, refresh) fetched it once.
    assert.equal(fetched.filter((p) => p === '/client.json').length - before, 1, 'cached per Cache-Control');
    assert.deepEqual(
      logs.filter((l) => l.includes('refused')),
      [],
    );
  });

  test('RFC 9126 PAR with a metadata-document client (public, no credential), then /authorize with the request_uri', async () => {
    const clientId = `${base}/par-client.json`;
    const client: oauth.Client = { client_id: clientId };
    const verifier = oauth.generateRandomCodeVerifier();
    const res = await oauth.pushedAuthorizationRequest(
      as,
      client,
      oauth.None(),
      {
        redirect_uri: REDIRECT,
        response_type: 'code',
        scope: 'openid',
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      },
      INSECURE,
    );
    const { request_uri } = await oauth.processPushedAuthorizationResponse(as, client, res);
    const ua = new UserAgent(s.url);
    const out = await ua.authorize(`${s.url}/authorize?client_id=${encodeURIComponent(clientId)}&request_uri=${encodeURIComponent(request_uri)}`, {
      username: user.username,
      password: user.password,
    });
    const params = oauth.validateAuthResponse(as, client, callbackOf(out), oauth.expectNoState);
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, REDIRECT, verifier, INSECURE),
    );
    assert.ok(tokens.access_token);
  });

  test('private_key_jwt with the document’s jwks: the code is redeemed with an assertion signed by its key; another key is invalid_client', async () => {
    const clientId = `${base}/pkjwt.json`;
    const client: oauth.Client = { client_id: clientId };
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const ua = new UserAgent(s.url);
    const out = await ua.authorize(authorizeUrl(s, clientId, await oauth.calculatePKCECodeChallenge(verifier), { state, scope: 'openid' }), {
      username: user.username,
      password: user.password,
    });
    const params = oauth.validateAuthResponse(as, client, callbackOf(out), state);
    const stranger = await generateKeyPair('ES256');
    const wrong = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.PrivateKeyJwt({ key: stranger.privateKey, kid: 'cimd-1' }),
      params,
      `${base}/cb`,
      verifier,
      INSECURE,
    );
    assert.equal(wrong.status, 401, 'an assertion signed with a key outside the document is refused');
    await wrong.body?.cancel();
    const res = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.PrivateKeyJwt({ key: clientKey.privateKey, kid: 'cimd-1' }),
      params,
      `${base}/cb`,
      verifier,
      INSECURE,
    );
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, res);
    assert.ok(tokens.access_token);
  });

  test('Cache-Control: no-store is never cached: each lookup fetches the document again', async () => {
    const clientId = `${base}/no-store.json`;
    const count = () => fetched.filter((p) => p === '/no-store.json').length;
    const start = count();
    for (let i = 0; i < 2; i++) {
      const out = await new UserAgent(s.url).navigate(authorizeUrl(s, clientId, 'x'.repeat(43)));
      assert.equal(page(out).kind, 'login');
    }
    assert.equal(count() - start, 2);
  });

  test('§3 an "@" in the path is no userinfo: /@alice/client.json is fetched and its client accepted; a user name in the authority is refused unfetched', async () => {
    const clientId = `${base}/@alice/client.json`;
    const count = () => fetched.filter((p) => p === '/@alice/client.json').length;
    const start = count();
    const out = await new UserAgent(s.url).navigate(authorizeUrl(s, clientId, 'x'.repeat(43)));
    assert.equal(page(out).kind, 'login', `${page(out).text.slice(0, 200)} ${logs.join('\n')}`);
    assert.equal(count() - start, 1, 'the document was fetched');
    assert.ok(!logs.some((l) => l.includes(clientId)), logs.join('\n'));
    const before = fetched.length;
    const withUser = `https://alice@${new URL(base).host}/@alice/client.json`;
    assertErrorPage(await new UserAgent(s.url).navigate(authorizeUrl(s, withUser, 'x'.repeat(43))));
    assert.equal(fetched.length, before, 'nothing was fetched');
    assert.ok(
      logs.some((l) => l.includes(withUser) && /invalid_url: carries a username or password/.test(l)),
      logs.join('\n'),
    );
  });

  const refusals: [string, string, RegExp][] = [
    ['§4.1 a document that redirects (never followed)', '/redirect.json', /fetch_failed: redirect/],
    ['§4.1 a document whose client_id differs from its URL', '/mismatch.json', /client_id_mismatch/],
    ['§6.6 a document over outbound.maxClientMetadataBytes (5 KiB)', '/big.json', /fetch_failed: too_large/],
    ['§4.1 a document with a client secret (only public clients)', '/secret.json', /confidential/],
    ['a redirect URI outside the document host (and not loopback)', '/elsewhere.json', /redirect_uri_not_allowed/],
  ];
  for (const [name, path, reason] of refusals) {
    test(`refused: ${name}`, async () => {
      const out = await new UserAgent(s.url).navigate(authorizeUrl(s, `${base}${path}`, 'x'.repeat(43)));
      assertErrorPage(out);
      assert.match(page(out).text, /unknown client/i);
      assert.ok(
        logs.some((l) => l.includes(`${base}${path}`) && reason.test(l)),
        logs.join('\n'),
      );
      // The /redirect.json target was never fetched through the redirect: the one fetch is the 302.
      if (path === '/redirect.json') assert.equal(fetched.at(-1), '/redirect.json');
    });
  }

  test('§3 refused before any fetch: a non-https client_id, a client_id URL with a fragment or dot segments', async () => {
    const count = fetched.length;
    for (const id of [`http://127.0.0.1:${new URL(base).port}/client.json`, `${base}/client.json#x`, `${base}/a/../client.json`, `${base}`]) {
      const out = await new UserAgent(s.url).navigate(authorizeUrl(s, id, 'x'.repeat(43)));
      assertErrorPage(out);
    }
    assert.equal(fetched.length, count, 'nothing was fetched');
    assert.ok(logs.some((l) => /invalid_url: not an https URL/.test(l)));
    assert.ok(logs.some((l) => /invalid_url: carries a fragment/.test(l)));
  });

  test('RFC 9126 §2.3 PAR with a refused document client is invalid_client (401 with a challenge)', async () => {
    const clientId = `${base}/mismatch.json`;
    const res = await oauth.pushedAuthorizationRequest(
      as,
      { client_id: clientId },
      oauth.None(),
      { redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' },
      INSECURE,
    );
    assert.equal(res.status, 401);
    // oauth4webapi reports a 401 by its WWW-Authenticate challenge; the body says the same.
    let body: unknown;
    await assert.rejects(oauth.processPushedAuthorizationResponse(as, { client_id: clientId }, res), (e: unknown) => {
      assert.ok(e instanceof oauth.WWWAuthenticateChallengeError, String(e));
      assert.equal(e.cause[0]?.parameters.error, 'invalid_client');
      body = e.response.json();
      return true;
    });
    assert.equal(((await body) as { error: string }).error, 'invalid_client');
    assert.ok(
      logs.some((l) => l.includes(clientId) && /client_id_mismatch/.test(l)),
      logs.join('\n'),
    );
  });

  test('/token with a refused document client is invalid_client', async () => {
    const res = await fetch(`${s.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: 'x',
        redirect_uri: REDIRECT,
        code_verifier: 'x'.repeat(43),
        client_id: `${base}/mismatch.json`,
      }),
    });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_client');
  });
});

describe('Client ID Metadata Documents, RFC 9111 private cache (the document server shares the server clock)', () => {
  let s: TestServer;
  let logs: string[];
  let user: TestUser;
  const clock = new TestClock();
  before(async () => {
    originNow = () => clock.now();
    ({ s, logs } = await server(CIMD, {}, clock));
    user = await createTestUser(s.gh);
  });
  after(async () => {
    originNow = () => Date.now();
    await s?.close();
  });

  /** One /authorize with the client: the page it gets (login when the client resolved). */
  const lookup = async (path: string, ua = new UserAgent(s.url)): Promise<Page> => page(await ua.navigate(authorizeUrl(s, `${base}${path}`, 'x'.repeat(43))));
  const served = (path: string) => requests.filter((r) => r.path === path);

  test('§4.3.2 no-cache with an ETag: each use is a conditional GET (If-None-Match) answered 304, and a changed document takes effect at the next use', async () => {
    const ua = new UserAgent(s.url);
    let out = await ua.navigate(authorizeUrl(s, `${base}/etag.json`, 'x'.repeat(43)));
    if (page(out).kind === 'login') out = await ua.login(page(out), user.username, user.password);
    assert.equal(page(out).kind, 'consent', logs.join('\n'));
    assert.match(page(out).text, /Agent v1/);
    assert.equal(served('/etag.json').filter((r) => r.status === 200).length, 1);
    const before = served('/etag.json').length;
    assert.equal((await lookup('/etag.json', ua)).kind, 'consent');
    const again = served('/etag.json').slice(before);
    assert.ok(again.length >= 1, 'the stored document was not used without asking the origin');
    assert.deepEqual(
      again.map((r) => [r.status, r.ifNoneMatch]),
      again.map(() => [304, '"v1"']),
      'every later use revalidated it, and the 304 reused it',
    );
    etagVersion = 2;
    const changed = await lookup('/etag.json', ua);
    assert.equal(changed.kind, 'consent');
    assert.match(changed.text, /Agent v2/, 'the new document replaced the stored one');
    assert.deepEqual(
      served('/etag.json')
        .filter((r) => r.status === 200)
        .map((r) => r.ifNoneMatch),
      [undefined, '"v1"'],
    );
    // And it is stored in its turn: the next use revalidates it by its own ETag.
    assert.match((await lookup('/etag.json', ua)).text, /Agent v2/);
    assert.deepEqual(served('/etag.json').at(-1), { path: '/etag.json', status: 304, ifNoneMatch: '"v2"' });
    assert.deepEqual(
      logs.filter((l) => l.includes('refused')),
      [],
    );
  });

  test('§4.3 a revalidation that fails (503) refuses the client: the stored document is not used stale', async () => {
    etagFailing = true;
    try {
      const out = await new UserAgent(s.url).navigate(authorizeUrl(s, `${base}/etag.json`, 'x'.repeat(43)));
      assertErrorPage(out);
      assert.match(page(out).text, /unknown client/i);
      assert.ok(
        logs.some((l) => l.includes(`${base}/etag.json`) && /fetch_failed: status 503/.test(l)),
        logs.join('\n'),
      );
    } finally {
      etagFailing = false;
    }
    assert.equal((await lookup('/etag.json')).kind, 'login', 'back once the origin answers');
  });

  test('§4.3.1 Last-Modified: once max-age has run out the document is revalidated with If-Modified-Since; the 304 makes it fresh again', async () => {
    assert.equal((await lookup('/last-modified.json')).kind, 'login');
    assert.equal((await lookup('/last-modified.json')).kind, 'login');
    assert.deepEqual(
      served('/last-modified.json').map((r) => r.status),
      [200],
      'fresh: not asked again',
    );
    clock.advance(61);
    assert.equal((await lookup('/last-modified.json')).kind, 'login');
    assert.deepEqual(served('/last-modified.json').at(-1), { path: '/last-modified.json', status: 304, ifModifiedSince: LAST_MODIFIED });
    assert.equal((await lookup('/last-modified.json')).kind, 'login');
    assert.equal(served('/last-modified.json').length, 2, "the 304's max-age=60 made it fresh again");
  });

  test('§4.2.3 the Age header counts: max-age=300 with Age: 290 is fetched again after 10 s', async () => {
    await lookup('/age.json');
    clock.advance(8);
    await lookup('/age.json');
    assert.equal(served('/age.json').length, 1);
    clock.advance(3);
    await lookup('/age.json');
    assert.equal(served('/age.json').length, 2);
  });

  test('§4.2.1 Expires minus Date gives the lifetime (120 s); an invalid Expires ("0") is stale, fetched at every use', async () => {
    await lookup('/expires.json');
    clock.advance(118);
    await lookup('/expires.json');
    assert.equal(served('/expires.json').length, 1);
    clock.advance(3);
    await lookup('/expires.json');
    assert.equal(served('/expires.json').length, 2);
    assert.equal((await lookup('/bad-expires.json')).kind, 'login');
    const once = served('/bad-expires.json').length;
    await lookup('/bad-expires.json');
    assert.ok(served('/bad-expires.json').length > once, 'not kept');
  });

  test('§4.2 a short max-age is not raised to a minimum: max-age=5 is fetched again after 6 s', async () => {
    await lookup('/short.json');
    await lookup('/short.json');
    assert.equal(served('/short.json').length, 1);
    clock.advance(6);
    await lookup('/short.json');
    assert.equal(served('/short.json').length, 2);
  });
});

describe('Client ID Metadata Documents, redirectUris: any', () => {
  test('consent is asked every time, even with an https web redirect for which a registered public client would be approved silently (RFC 8252 §8.6)', async () => {
    const { s } = await server({ enabled: true, redirectUris: 'any' });
    try {
      const user = await createTestUser(s.gh);
      const ua = new UserAgent(s.url);
      const clientId = `${base}/web-client.json`;
      for (const round of [1, 2]) {
        const url = authorizeUrl(s, clientId, 'x'.repeat(43), {
          redirect_uri: 'https://app.example/cb',
          scope: 'openid',
          prompt: round === 1 ? 'consent' : '',
        });
        let out = await ua.navigate(url);
        if (page(out).kind === 'login') out = await ua.login(page(out), user.username, user.password);
        assert.equal(page(out).kind, 'consent', `round ${round}`);
        assert.match(page(out).text, /not registered here/);
        assert.equal(callbackOf(await ua.consent(page(out), 'allow')).origin, 'https://app.example');
      }
      // Control: a registered public client with the same redirect is approved silently the second time.
      const registered = await s.gh.services.clientService.create({
        metadata: {
          client_name: 'Registered',
          redirect_uris: ['https://app.example/cb'],
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code'],
          scope: 'openid',
        },
        policy: OPERATOR_POLICY,
        via: 'cli',
      });
      const rounds: string[] = [];
      for (const round of [1, 2]) {
        const url = authorizeUrl(s, registered.client.clientId, 'x'.repeat(43), {
          redirect_uri: 'https://app.example/cb',
          scope: 'openid',
          prompt: round === 1 ? 'consent' : '',
        });
        const out = await ua.navigate(url);
        rounds.push(out.kind === 'page' ? out.page.kind : out.kind);
        const back = out.kind === 'page' ? await ua.consent(out.page, 'allow') : out;
        assert.ok(callbackOf(back).searchParams.get('code'), `round ${round} returns a code`);
      }
      assert.deepEqual(rounds, ['consent', 'redirect']);
    } finally {
      await s.close();
    }
  });
});

describe('Client ID Metadata Documents, refused by policy', () => {
  test('S19: without the test allow-list, a client_id URL whose host is 127.0.0.1 is refused after resolution and never fetched', async () => {
    const { s, logs } = await server(CIMD, { outbound: { allowHosts: [] } });
    try {
      const count = fetched.length;
      // The address literal, and a name that resolves to it (checked at connect time, after resolution).
      for (const id of [`${base}/client.json`, `https://localhost:${new URL(base).port}/client.json`]) {
        const out = await new UserAgent(s.url).navigate(authorizeUrl(s, id, 'x'.repeat(43)));
        assertErrorPage(out);
        assert.ok(
          logs.some((l) => l.includes(id) && /fetch_failed: refused_address/.test(l)),
          logs.join('\n'),
        );
      }
      assert.equal(fetched.length, count);
    } finally {
      await s.close();
    }
  });

  test('denyHosts refuses the host; trust allow-list refuses a host not listed; nothing is fetched', async () => {
    for (const cimd of [
      { enabled: true, denyHosts: ['127.0.0.1'] },
      { enabled: true, trust: 'allow-list', allowHosts: ['*.example.com'] },
    ]) {
      const { s, logs } = await server(cimd);
      try {
        const count = fetched.length;
        const out = await new UserAgent(s.url).navigate(authorizeUrl(s, `${base}/client.json`, 'x'.repeat(43)));
        assertErrorPage(out);
        assert.equal(fetched.length, count);
        assert.ok(
          logs.some((l) => /host_not_trusted/.test(l)),
          logs.join('\n'),
        );
      } finally {
        await s.close();
      }
    }
  });

  test('denyHosts holds whatever the final dot: a client_id host ending with a dot is refused (not in normal form), a listed name with a final dot still denies the name; nothing is fetched', async () => {
    const port = new URL(base).port;
    for (const [denyHosts, id, reason] of [
      [['localhost'], `https://localhost.:${port}/client.json`, /invalid_url: host ends with a dot/],
      [['localhost.'], `https://localhost:${port}/client.json`, /host_not_trusted/],
    ] as const) {
      const { s, logs } = await server({ enabled: true, denyHosts });
      try {
        const count = fetched.length;
        assertErrorPage(await new UserAgent(s.url).navigate(authorizeUrl(s, id, 'x'.repeat(43))));
        assert.equal(fetched.length, count, `${id} was not fetched`);
        assert.ok(
          logs.some((l) => l.includes(id) && reason.test(l)),
          logs.join('\n'),
        );
      } finally {
        await s.close();
      }
    }
  });

  test('a document nested thousands of levels deep (under a 64 KiB maxClientMetadataBytes) is an unknown client: the error page at /authorize, invalid_client at /par and /token, never a 500', async () => {
    const { s, logs } = await server(CIMD, { outbound: { allowHosts: ['127.0.0.1'], maxClientMetadataBytes: 65_536 } });
    try {
      const clientId = `${base}/deep-jwks.json`;
      const count = fetched.filter((p) => p === '/deep-jwks.json').length;
      const out = await new UserAgent(s.url).navigate(authorizeUrl(s, clientId, 'x'.repeat(43)));
      assertErrorPage(out);
      assert.match(page(out).text, /unknown client/i);
      const form = { client_id: clientId, redirect_uri: REDIRECT, code_verifier: 'x'.repeat(43) };
      for (const [path, body] of [
        ['/par', { ...form, response_type: 'code', scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }],
        ['/token', { ...form, grant_type: 'authorization_code', code: 'x' }],
      ] as const) {
        const res = await fetch(`${s.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(body),
        });
        assert.equal(res.status, 401, path);
        assert.equal(((await res.json()) as { error: string }).error, 'invalid_client', path);
      }
      assert.equal(fetched.filter((p) => p === '/deep-jwks.json').length - count, 3, 'fetched for each lookup (no-store)');
      assert.ok(
        logs.some((l) => l.includes(clientId) && /invalid_metadata: the document nests deeper than 32 levels/.test(l)),
        logs.join('\n'),
      );
    } finally {
      await s.close();
    }
  });

  test('trust allow-list: a listed host is fetched and its client accepted', async () => {
    const { s, logs } = await server({ enabled: true, trust: 'allow-list', allowHosts: ['127.0.0.1'] });
    try {
      const count = fetched.filter((p) => p === '/client.json').length;
      const out = await new UserAgent(s.url).navigate(authorizeUrl(s, `${base}/client.json`, 'x'.repeat(43)));
      assert.equal(page(out).kind, 'login', `${page(out).text.slice(0, 200)} ${logs.join('\n')}`);
      assert.equal(fetched.filter((p) => p === '/client.json').length - count, 1, 'the document was fetched');
      assert.deepEqual(
        logs.filter((l) => l.includes('refused')),
        [],
      );
    } finally {
      await s.close();
    }
  });

  test('S17 off (the default): not advertised, and a URL client_id is an unknown client, not fetched', async () => {
    const s = await startTestServer({}, { outboundTestCa: tls.ca });
    try {
      const meta = (await (await fetch(`${s.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      assert.equal(meta['client_id_metadata_document_supported'], undefined);
      const count = fetched.length;
      assertErrorPage(await new UserAgent(s.url).navigate(authorizeUrl(s, `${base}/client.json`, 'x'.repeat(43))));
      assert.equal(fetched.length, count);
    } finally {
      await s.close();
    }
  });
});

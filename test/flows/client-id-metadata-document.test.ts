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
import { assertErrorPage, callbackOf, createTestUser, type TestUser } from '../support/oidc.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { makeTestTls, type TestTls } from '../support/test-tls.ts';
import { UserAgent, type Outcome, type Page } from '../support/user-agent.ts';

let tls: TestTls;
let clientKey: { privateKey: CryptoKey; publicKey: CryptoKey };
let clientJwk: Record<string, unknown>;
let docs: Server;
let base: string;
const fetched: string[] = [];
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
    const json = (body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300', ...headers });
      res.end(JSON.stringify(body));
    };
    switch (path) {
      case '/client.json':
      case '/par-client.json':
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
async function server(cimd: Record<string, unknown> = CIMD, overrides: Record<string, unknown> = {}): Promise<{ s: TestServer; logs: string[] }> {
  const s = await startTestServer({ clientIdMetadataDocuments: cimd, ...overrides }, { outboundTestCa: tls.ca });
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

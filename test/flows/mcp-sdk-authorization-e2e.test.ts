/**
 * MCP authorization (2025-06-18) end to end with the official TypeScript SDK on both sides and a
 * person in real Chromium. An MCP server built with the SDK (McpServer + stateless
 * StreamableHTTPServerTransport on node:http, loopback) is protected by the resource-server kit
 * for a registered resource and needs a user token with scope `read`. The SDK's client runs its
 * own OAuth flow with a real `OAuthClientProvider` (authorization code + PKCE S256): the kit's 401
 * with `resource_metadata` → RFC 9728 metadata → Gatehouse's RFC 8414 metadata → client identity →
 * `/authorize` in Chromium (sign-in, consent, Allow) → the loopback callback → `finishAuth(code)`
 * → a tool call whose answer is computed from the verified token.
 *
 * Run 1: the client is known by a Client ID Metadata Document (`provider.clientMetadataUrl`,
 * served here over https on loopback with a throwaway CA that only tests can make Gatehouse
 * trust). Run 2: the SDK registers itself (RFC 7591). Then tokens for another resource, expired
 * and garbage tokens are refused by the MCP server with the RFC 6750 §3.1 challenge.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type OAuthClientProvider, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { generateKeyPair, SignJWT } from 'jose';
import { createResourceServer, requireScopesMiddleware, type VerifiedToken } from '../../src/resource-server-kit/mod.ts';
import { type Chromium, type ClientSite, launchBrowser, startClientSite, type Tab, withTab } from '../support/browser.ts';
import { freePort } from '../support/free-port.ts';
import { createTestUser, type TestUser } from '../support/oidc.ts';
import { createTestClient, startTestServer, type TestServer } from '../support/server.ts';
import { makeTestTls } from '../support/test-tls.ts';
import { parseChallenge } from '../support/www-authenticate.ts';

const AGENT_NAME = 'Orders Agent';

/** One request the SDK client made, and what came back. */
interface Seen {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly wwwAuthenticate: string | null;
  /** The names of a form body's parameters (to see how the client authenticated), never the values. */
  readonly formKeys: readonly string[];
  readonly authorization: boolean;
}

/**
 * An in-memory `OAuthClientProvider`, as an MCP host application writes one. The browser part is
 * `signIn`, called with the authorization URL; it returns the callback URL the browser landed on.
 */
class TestProvider implements OAuthClientProvider {
  readonly authorizationUrls: URL[] = [];
  callback: URL | undefined;
  private info: OAuthClientInformationMixed | undefined;
  private saved: OAuthTokens | undefined;
  private verifier = '';
  private readonly st = randomBytes(16).toString('base64url');
  readonly redirectUrl: string;
  readonly clientMetadata: OAuthClientMetadata;
  /** SEP-991: used as `client_id` when the authorization server supports metadata documents. */
  readonly clientMetadataUrl: string | undefined;
  private readonly signIn: (url: URL) => Promise<URL>;
  constructor(redirectUrl: string, clientMetadata: OAuthClientMetadata, signIn: (url: URL) => Promise<URL>, clientMetadataUrl?: string) {
    this.redirectUrl = redirectUrl;
    this.clientMetadata = clientMetadata;
    this.signIn = signIn;
    this.clientMetadataUrl = clientMetadataUrl;
  }
  state(): string {
    return this.st;
  }
  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed): void {
    this.info = info;
  }
  tokens(): OAuthTokens | undefined {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens): void {
    this.saved = tokens;
  }
  /** Replaces the access token with one the MCP server refuses, keeping the refresh token. */
  spoilAccessToken(): void {
    if (this.saved) this.saved = { ...this.saved, access_token: 'no-longer-valid' };
  }
  async redirectToAuthorization(url: URL): Promise<void> {
    this.authorizationUrls.push(url);
    this.callback = await this.signIn(url);
  }
  saveCodeVerifier(v: string): void {
    this.verifier = v;
  }
  codeVerifier(): string {
    return this.verifier;
  }
}

let gh: TestServer;
let chromium: Chromium | { skip: string };
let rp: ClientSite;
let docs: HttpsServer;
let docsBase: string;
let mcpServer: Server;
let mcpUrl: string;
let otherUrl: string;
let user: TestUser;
let clockOffset = 0;

/** The callback the SDK client listens on (RFC 8252 §7.3 loopback). */
const redirectUrl = () => rp.redirectUri;

/** The metadata document: a public client (the draft allows no shared secret). */
const documentMetadata = (): OAuthClientMetadata => ({
  client_name: AGENT_NAME,
  redirect_uris: [redirectUrl()],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
  scope: 'read',
});

/**
 * What the SDK's own example client (examples/client/simpleOAuthClient) registers: a confidential
 * client with `client_secret_post` and no scope (the SDK adds the one from the 401 challenge).
 */
const registrationMetadata = (): OAuthClientMetadata => ({
  client_name: AGENT_NAME,
  redirect_uris: [redirectUrl()],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_post',
});

before(async () => {
  chromium = await launchBrowser();
  rp = await startClientSite();
  const tls = await makeTestTls();
  docs = createHttpsServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    if (req.url !== '/mcp-client.json') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
    res.end(JSON.stringify({ client_id: `${docsBase}/mcp-client.json`, ...documentMetadata() }));
  });
  await new Promise<void>((r) => docs.listen(0, '127.0.0.1', r));
  docsBase = `https://127.0.0.1:${(docs.address() as AddressInfo).port}`;

  const port = await freePort();
  mcpUrl = `http://127.0.0.1:${port}/mcp`;
  otherUrl = `http://127.0.0.1:${await freePort()}/other-mcp`;
  gh = await startTestServer(
    {
      resources: [
        { identifier: mcpUrl, scopes: ['read'] },
        { identifier: otherUrl, scopes: ['read'] },
      ],
      requireResourceRegistration: true,
      clientIdMetadataDocuments: { enabled: true, allowedScopes: ['read'] },
      registration: { enabled: true, allowedScopes: ['read'], allowedGrantTypes: ['authorization_code', 'refresh_token'] },
    },
    { outboundTestCa: tls.ca, clock: { now: () => Date.now() + clockOffset } },
  );
  user = await createTestUser(gh.gh);

  // The MCP server: the kit's guard, then the SDK's server with a tool that reads the verified token.
  const rs = createResourceServer({ issuer: gh.url, resource: mcpUrl, scopesSupported: ['read'], verification: { kind: 'jwt' } });
  const guard = requireScopesMiddleware(rs, ['read']);
  mcpServer = createServer((req: IncomingMessage & { auth?: VerifiedToken }, res) => {
    if (req.url === rs.metadataPath) return void res.setHeader('content-type', 'application/json').end(JSON.stringify(rs.metadata));
    guard(req, res, async () => {
      const server = new McpServer({ name: 'orders', version: '1.0.0' });
      server.registerTool('whoami', { description: 'The signed-in user, from the verified access token' }, async (extra) => {
        const token = extra.authInfo as unknown as VerifiedToken;
        const who = { sub: token.subject, client_id: token.clientId, scopes: token.scopes, aud: token.audience };
        return { content: [{ type: 'text', text: JSON.stringify(who) }] };
      });
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      await server.connect(transport);
      await transport.handleRequest(req, res);
    });
  });
  await new Promise<void>((resolve) => mcpServer.listen(port, '127.0.0.1', resolve));
});

after(async () => {
  if (chromium && 'browser' in chromium) await chromium.close();
  mcpServer?.closeAllConnections();
  mcpServer?.close();
  docs?.closeAllConnections();
  docs?.close();
  await rp?.close();
  await gh?.close();
});

/** Signs `user` in on the page at `url`, checks the consent page with `onConsent`, presses Allow; the callback URL. */
async function signInAndAllow(tab: Tab, url: URL, onConsent: (text: string) => void): Promise<URL> {
  const { page } = tab;
  await page.goto(url.href);
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Sign in' }).click()]);
  await page.getByRole('heading', { name: `${AGENT_NAME} wants to access your account` }).waitFor();
  onConsent(await page.locator('main').innerText());
  await tab.shot('consent');
  await Promise.all([page.waitForURL(`${rp.origin}/**`), page.getByRole('button', { name: 'Allow' }).click()]);
  return new URL(page.url());
}

/** A `fetch` for the SDK client that records every request it makes. */
function recordingFetch(seen: Seen[]): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    const url = input instanceof Request ? input.url : String(input);
    const body = init?.body;
    seen.push({
      method: init?.method ?? 'GET',
      url,
      status: res.status,
      wwwAuthenticate: res.headers.get('www-authenticate'),
      formKeys: body instanceof URLSearchParams ? [...body.keys()].sort() : [],
      authorization: new Headers(init?.headers).has('authorization'),
    });
    return res;
  };
}

/**
 * The whole MCP authorization as a host application runs it: connect (→ 401 → discovery → the
 * browser), `finishAuth(code)`, connect again, call the tool. The tool's answer, parsed.
 */
async function authorizeAndCall(provider: TestProvider, seen: Seen[]): Promise<Record<string, unknown>> {
  const fetchFn = recordingFetch(seen);
  const first = new Client({ name: 'e2e-host', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider, fetch: fetchFn });
  await assert.rejects(first.connect(transport), UnauthorizedError, 'the first connect hands over to the browser');
  const callback = provider.callback;
  assert.ok(callback, 'the browser came back to the callback');
  assert.equal(callback.searchParams.get('state'), provider.state(), 'state round-trips');
  assert.equal(callback.searchParams.get('iss'), gh.url, 'RFC 9207 iss in the response');
  const code = callback.searchParams.get('code');
  assert.ok(code, `a code in ${callback.href}`);
  await transport.finishAuth(code);
  await transport.close();

  const mcp = new Client({ name: 'e2e-host', version: '1.0.0' });
  await mcp.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider, fetch: fetchFn }));
  const whoami = async () => {
    const result = (await mcp.callTool({ name: 'whoami', arguments: {} })) as CallToolResult;
    const text = result.content[0];
    assert.ok(text && text.type === 'text', 'a text result');
    return JSON.parse(text.text) as Record<string, unknown>;
  };
  try {
    const who = await whoami();
    // RFC 6749 §6 through the SDK: the server refuses the access token (401 invalid_token), the
    // SDK refreshes (with `resource` again) and retries, and the answer is the same.
    const refreshToken = (await provider.tokens())?.refresh_token;
    assert.ok(refreshToken, 'a refresh token was issued (refresh_token grant registered)');
    provider.spoilAccessToken();
    assert.deepEqual(await whoami(), who, 'the refreshed token is for the same user and resource');
    const refresh = seen.filter((s) => s.url === `${gh.url}/token` && s.formKeys.includes('refresh_token'));
    assert.equal(refresh.length, 1, 'one refresh');
    assert.ok(refresh[0]?.formKeys.includes('resource'), 'RFC 8707 §2.2: the refresh names the resource');
    assert.equal(refresh[0]?.status, 200);
    assert.notEqual((await provider.tokens())?.refresh_token, refreshToken, 'RFC 9700 §4.14.2: the refresh token rotated');
    return who;
  } finally {
    await mcp.close();
  }
}

/** MCP authorization §2.3 / RFC 9728 §5.1 / RFC 8414 §3: the order of what the SDK fetched before the browser. */
function assertDiscovery(seen: Seen[], registered: boolean): void {
  const path = (s: Seen) => `${s.method} ${new URL(s.url).origin === new URL(gh.url).origin ? 'AS' : 'MCP'} ${new URL(s.url).pathname}`;
  const unauthenticated = seen[0];
  assert.ok(unauthenticated);
  assert.equal(path(unauthenticated), 'POST MCP /mcp');
  assert.equal(unauthenticated.status, 401);
  const ch = parseChallenge(unauthenticated.wwwAuthenticate ?? '');
  assert.equal(ch.scheme, 'Bearer');
  assert.equal(ch.params['resource_metadata'], `${new URL(mcpUrl).origin}/.well-known/oauth-protected-resource/mcp`);
  assert.equal(ch.params['error'], undefined, 'RFC 6750 §3.1: no error without credentials');
  const steps = seen.map(path);
  const prm = steps.indexOf('GET MCP /.well-known/oauth-protected-resource/mcp');
  const asm = steps.indexOf('GET AS /.well-known/oauth-authorization-server');
  const token = steps.indexOf('POST AS /token');
  assert.ok(prm > 0 && asm > prm && token > asm, `PRM, then AS metadata, then the token request: ${steps.join(', ')}`);
  assert.equal(steps.includes('POST AS /register'), registered, steps.join(', '));
  assert.equal(seen[token]?.status, 200);
}

/** The authorization request the SDK built: PKCE S256 and the resource (RFC 8707). */
function assertAuthorizationRequest(url: URL, clientId: string): void {
  assert.equal(url.origin + url.pathname, `${gh.url}/authorize`);
  assert.equal(url.searchParams.get('client_id'), clientId);
  assert.equal(url.searchParams.get('response_type'), 'code');
  assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
  assert.match(url.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
  assert.equal(url.searchParams.get('resource'), mcpUrl);
  assert.equal(url.searchParams.get('scope'), 'read', 'the scope from the 401 challenge');
  assert.equal(url.searchParams.get('redirect_uri'), redirectUrl());
}

/** A raw MCP request with `token`, for the refusals the SDK turns into exceptions. */
function callWith(token: string): Promise<Response> {
  return fetch(mcpUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
  });
}

async function assertInvalidToken(res: Response, what: string): Promise<void> {
  assert.equal(res.status, 401, what);
  const ch = parseChallenge(res.headers.get('www-authenticate') ?? '');
  assert.equal(ch.scheme, 'Bearer', what);
  assert.equal(ch.params['error'], 'invalid_token', what);
  assert.equal(ch.params['resource_metadata'], `${new URL(mcpUrl).origin}/.well-known/oauth-protected-resource/mcp`, what);
  assert.equal(((await res.json()) as { error: string }).error, 'invalid_token', what);
}

describe('MCP authorization with the official SDK, end to end in Chromium', () => {
  test('RFC 8414 §2: Gatehouse advertises S256 and client_id_metadata_document_supported', async () => {
    const meta = (await (await fetch(`${gh.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    assert.equal(meta['client_id_metadata_document_supported'], true);
    assert.ok((meta['code_challenge_methods_supported'] as string[]).includes('S256'));
    assert.ok(meta['registration_endpoint'], 'RFC 7591 registration is on');
  });

  test('run 1, Client ID Metadata Document: 401 → RFC 9728 → RFC 8414 → Chromium sign-in and consent naming the host → finishAuth → tool call as the user', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    const clientId = `${docsBase}/mcp-client.json`;
    const seen: Seen[] = [];
    await withTab(chromium, 'mcp-sdk-cimd', async (tab) => {
      const provider = new TestProvider(
        redirectUrl(),
        documentMetadata(),
        (url) =>
          signInAndAllow(tab, url, (text) => {
            assert.match(text, /not registered here/);
            assert.ok(text.includes(new URL(docsBase).host), `the consent page names ${new URL(docsBase).host}: ${text}`);
          }),
        clientId,
      );
      const who = await authorizeAndCall(provider, seen);
      assert.deepEqual(who, { sub: user.id, client_id: clientId, scopes: ['read'], aud: [mcpUrl] });
      assert.equal(provider.authorizationUrls.length, 1);
      assertAuthorizationRequest(provider.authorizationUrls[0]!, clientId);
      assert.equal(provider.clientInformation()?.client_id, clientId, 'the SDK used the URL as client_id');
    });
    assertDiscovery(seen, false);
    const token = seen.find((s) => s.url === `${gh.url}/token` && s.formKeys.includes('code'));
    assert.deepEqual(
      token?.formKeys,
      ['client_id', 'code', 'code_verifier', 'grant_type', 'redirect_uri', 'resource'],
      'a public client: client_id, no secret',
    );
    assert.equal(token?.authorization, false);
  });

  test('run 2, RFC 7591 dynamic registration by the SDK: the same flow with the registered client_id', async (t) => {
    if ('skip' in chromium) return t.skip(chromium.skip);
    const seen: Seen[] = [];
    await withTab(chromium, 'mcp-sdk-dcr', async (tab) => {
      const provider = new TestProvider(redirectUrl(), registrationMetadata(), (url) =>
        signInAndAllow(tab, url, (text) => assert.doesNotMatch(text, /not registered here/)),
      );
      const who = await authorizeAndCall(provider, seen);
      const clientId = provider.clientInformation()?.client_id;
      assert.ok(clientId && !clientId.startsWith('http'), `a registered client_id: ${clientId}`);
      assert.deepEqual(who, { sub: user.id, client_id: clientId, scopes: ['read'], aud: [mcpUrl] });
      assertAuthorizationRequest(provider.authorizationUrls[0]!, clientId);
    });
    assertDiscovery(seen, true);
    const token = seen.find((s) => s.url === `${gh.url}/token` && s.formKeys.includes('code'));
    assert.deepEqual(
      token?.formKeys,
      ['client_id', 'client_secret', 'code', 'code_verifier', 'grant_type', 'redirect_uri', 'resource'],
      'client_secret_post with the registered secret',
    );
  });

  test('RFC 8707 §2 / RFC 6750 §3.1: a token for another registered resource is invalid_token at the MCP server', async () => {
    const client = await createTestClient(gh.gh, { scope: 'read' });
    const res = await fetch(`${gh.url}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'read', resource: otherUrl }),
    });
    assert.equal(res.status, 200);
    const { access_token } = (await res.json()) as { access_token: string };
    await assertInvalidToken(await callWith(access_token), 'a token for another resource');
  });

  test('RFC 6750 §3.1: an expired token, a forged one and garbage are invalid_token', async () => {
    const client = await createTestClient(gh.gh, { scope: 'read' });
    const issue = async () => {
      const res = await fetch(`${gh.url}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'read', resource: mcpUrl }),
      });
      assert.equal(res.status, 200);
      return ((await res.json()) as { access_token: string }).access_token;
    };
    const good = await issue();
    assert.equal((await callWith(good)).status, 200, 'the same kind of token, fresh, is accepted');
    clockOffset = -2 * 86_400_000;
    let expired: string;
    try {
      expired = await issue();
    } finally {
      clockOffset = 0;
    }
    await assertInvalidToken(await callWith(expired), 'an expired token');
    const stranger = await generateKeyPair('ES256');
    const forged = await new SignJWT({ client_id: client.client_id, scope: 'read' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'forged' })
      .setIssuer(gh.url)
      .setAudience(mcpUrl)
      .setSubject(user.id)
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti(randomBytes(8).toString('hex'))
      .sign(stranger.privateKey);
    await assertInvalidToken(await callWith(forged), 'a token signed by another key');
    await assertInvalidToken(await callWith('garbage-token'), 'garbage');
  });
});

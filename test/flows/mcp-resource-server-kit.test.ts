/**
 * An MCP server built with the official SDK (McpServer + stateless StreamableHTTPServerTransport
 * on node:http), protected by the resource-server kit in a few lines, driven by the SDK's client
 * with its own OAuth flow (ClientCredentialsProvider: the kit's 401 → RFC 9728 metadata → RFC 8414
 * discovery of Gatehouse → client_credentials with `resource`). The same server once more on the
 * SDK's web-standard transport (WebStandardStreamableHTTPServerTransport, `Request` in, `Response`
 * out), guarded by the kit's web-`Request` face: `rs.authenticate(request)` → `authInfo`.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createResourceServer, errorResponse, requireScopesMiddleware, type VerifiedToken } from '../../src/resource-server-kit/mod.ts';
import { freePort } from '../support/free-port.ts';
import { webServer } from '../support/resource-server-kit.ts';
import { createTestClient, startTestServer, type TestClient, type TestServer } from '../support/server.ts';

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

let gh: TestServer;
let mcpServer: Server;
let mcpUrl: string;
let client: TestClient;
let web: Awaited<ReturnType<typeof webServer>>;
let webMcpUrl: string;

before(async () => {
  const port = await freePort();
  mcpUrl = `http://127.0.0.1:${port}/mcp`;
  web = await webServer();
  webMcpUrl = `${web.url}/mcp`;
  gh = await startTestServer({
    resources: [
      { identifier: mcpUrl, scopes: ['read', 'write'] },
      { identifier: webMcpUrl, scopes: ['read', 'write'] },
    ],
  });
  client = await createTestClient(gh.gh);

  // The few lines a server author writes:
  const rs = createResourceServer({ issuer: gh.url, resource: mcpUrl, scopesSupported: ['read'], verification: { kind: 'jwt' } });
  const guard = requireScopesMiddleware(rs, ['read']);
  mcpServer = createServer((req: IncomingMessage & { auth?: VerifiedToken }, res) => {
    if (req.url === rs.metadataPath) return void res.setHeader('content-type', 'application/json').end(JSON.stringify(rs.metadata));
    guard(req, res, async () => {
      const server = new McpServer({ name: 'orders', version: '1.0.0' });
      server.registerTool('whoami', { description: 'The caller, from the verified access token' }, async (extra) => ({
        content: [{ type: 'text', text: `${extra.authInfo?.clientId} ${extra.authInfo?.scopes.join(' ')}` }],
      }));
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      await server.connect(transport);
      await transport.handleRequest(req, res);
    });
  });
  await new Promise<void>((resolve) => mcpServer.listen(port, '127.0.0.1', resolve));

  // The web-standard version (Hono, Workers, Deno, Bun, Next.js route handlers): Request in, Response out.
  const webRs = createResourceServer({ issuer: gh.url, resource: webMcpUrl, scopesSupported: ['read'], verification: { kind: 'jwt' } });
  web.use(async (request) => {
    if (new URL(request.url).pathname === webRs.metadataPath) return webRs.metadataResponse();
    let token: VerifiedToken;
    try {
      token = await webRs.authenticate(request, { scopes: ['read'] });
    } catch (e) {
      return errorResponse(e);
    }
    const server = new McpServer({ name: 'orders', version: '1.0.0' });
    server.registerTool('whoami', { description: 'The caller, from the verified access token' }, async (extra) => ({
      content: [{ type: 'text', text: `${extra.authInfo?.clientId} ${extra.authInfo?.scopes.join(' ')} ${sha256(extra.authInfo?.token ?? '')}` }],
    }));
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    await server.connect(transport);
    return transport.handleRequest(request, { authInfo: token });
  });
});
after(async () => {
  mcpServer?.close();
  web?.server.close();
  await gh?.close();
});

test('MCP authorization: the SDK client finds Gatehouse through the kit’s 401 and RFC 9728 metadata, gets a token for the resource and calls a tool', async () => {
  const provider = new ClientCredentialsProvider({ clientId: client.client_id, clientSecret: client.client_secret, scope: 'read', expectedIssuer: gh.url });
  const mcp = new Client({ name: 'kit-test', version: '1.0.0' });
  await mcp.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider }));
  try {
    const result = (await mcp.callTool({ name: 'whoami', arguments: {} })) as CallToolResult;
    assert.deepEqual(result.content, [{ type: 'text', text: `${client.client_id} read` }]);
  } finally {
    await mcp.close();
  }
});

test('RFC 6750 §3.1 without a token the MCP endpoint answers 401 with resource_metadata and no error', async () => {
  const res = await fetch(mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(res.status, 401);
  assert.equal(
    res.headers.get('www-authenticate'),
    `Bearer resource_metadata="http://${new URL(mcpUrl).host}/.well-known/oauth-protected-resource/mcp", scope="read"`,
  );
});

test('MCP authorization on the SDK’s web-standard transport: the kit’s web-Request face verifies the token and hands it to the tool as authInfo', async () => {
  const provider = new ClientCredentialsProvider({ clientId: client.client_id, clientSecret: client.client_secret, scope: 'read', expectedIssuer: gh.url });
  const mcp = new Client({ name: 'kit-test', version: '1.0.0' });
  await mcp.connect(new StreamableHTTPClientTransport(new URL(webMcpUrl), { authProvider: provider }));
  try {
    const result = (await mcp.callTool({ name: 'whoami', arguments: {} })) as CallToolResult;
    const used = (await provider.tokens())?.access_token;
    assert.ok(used, 'the SDK client got a token from Gatehouse');
    assert.deepEqual(result.content, [{ type: 'text', text: `${client.client_id} read ${sha256(used)}` }]);
  } finally {
    await mcp.close();
  }
  // Without a token: the kit's 401, which is what sent the SDK client to Gatehouse.
  const res = await fetch(webMcpUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(res.status, 401);
  assert.equal(res.headers.get('www-authenticate'), `Bearer resource_metadata="${web.url}/.well-known/oauth-protected-resource/mcp", scope="read"`);
});

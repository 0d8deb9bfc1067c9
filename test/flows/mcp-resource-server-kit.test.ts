/**
 * An MCP server built with the official SDK (McpServer + stateless StreamableHTTPServerTransport
 * on node:http), protected by the resource-server kit in a few lines, driven by the SDK's client
 * with its own OAuth flow (ClientCredentialsProvider: the kit's 401 → RFC 9728 metadata → RFC 8414
 * discovery of Gatehouse → client_credentials with `resource`).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createResourceServer, requireScopesMiddleware, type VerifiedToken } from '../../src/resource-server-kit/mod.ts';
import { freePort } from '../support/free-port.ts';
import { createTestClient, startTestServer, type TestClient, type TestServer } from '../support/server.ts';

let gh: TestServer;
let mcpServer: Server;
let mcpUrl: string;
let client: TestClient;

before(async () => {
  const port = await freePort();
  mcpUrl = `http://127.0.0.1:${port}/mcp`;
  gh = await startTestServer({ resources: [{ identifier: mcpUrl, scopes: ['read', 'write'] }] });
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
});
after(async () => {
  mcpServer?.close();
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

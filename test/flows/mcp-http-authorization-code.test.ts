/**
 * `/admin/mcp` with a person signed in (MCP authorization spec: authorization code + PKCE,
 * RFC 8707 `resource`). An operator registers a confidential client (`clients.create`, as
 * `gatehouse clients create --grant-types authorization_code --redirect-uris … --scopes
 * "openid gatehouse:admin"` does); openid-client drives the code flow with PKCE and
 * `resource={issuer}/admin/mcp` through the test user agent; the official MCP SDK client
 * (`StreamableHTTPClientTransport`, bearer token in `requestInit` headers) then lists and calls
 * tools. The token acts AS THE USER, with the weaker of scope and the user's current role
 * (src/http/admin-actor.ts): admin → every tool, auditor → read tools only, anyone else → 403.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { cliActor, type Actor } from '../../src/app/index.ts';
import { codeFlow, createTestUser, rpConfig, startOidcServer, type OidcServer, type TestRp, type TestUser } from '../support/oidc.ts';
import { UserAgent } from '../support/user-agent.ts';
import { parseChallenge } from '../support/www-authenticate.ts';

const CLI: Actor = { ...cliActor({ USER: 'tester' }), origin: 'cli:test' };
const REDIRECT = 'https://mcp-app.example.test/oauth/callback';
let op: OidcServer;
let rp: TestRp;
let MCP: string;
const users: Record<'plain' | 'auditor' | 'admin', TestUser> = {} as never;

before(async () => {
  op = await startOidcServer();
  MCP = `${op.url}/admin/mcp`;
  // The operator registers the application through the application layer (the CLI's path).
  const out = (await op.gh.services.application.run('clients.create', CLI, {
    client_name: 'MCP application (authorization code)',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [REDIRECT],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'openid gatehouse:admin',
  })) as { client: { client_id: string }; client_secret: string };
  const client = await op.gh.services.ports.clients.get(op.gh.services.tenantId, out.client.client_id);
  assert.ok(client);
  rp = { client_id: out.client.client_id, client_secret: out.client_secret, client, redirect_uri: REDIRECT, kind: 'confidential' };
  users.plain = await createTestUser(op.gh, { roles: ['user'] });
  users.auditor = await createTestUser(op.gh, { roles: ['auditor'] });
  users.admin = await createTestUser(op.gh, { roles: ['admin'] });
});
after(() => op?.close());

/** The code flow with PKCE (S256) for `user`, asking for the MCP resource (RFC 8707). */
async function mcpToken(user: TestUser): Promise<string> {
  const cfg = await rpConfig(op, rp);
  const flow = await codeFlow(op, cfg, rp, new UserAgent(op.url), user, { scope: 'openid gatehouse:admin', resource: MCP });
  assert.ok(flow.req.verifier, 'PKCE verifier sent');
  return flow.tokens.access_token;
}

async function connect(token: string): Promise<Client> {
  const client = new Client({ name: 'gatehouse-code-flow-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(MCP), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

/** A raw JSON-RPC POST, for the HTTP answers (403 + challenge) the SDK turns into exceptions. */
const post = (token: string, message: unknown) =>
  fetch(MCP, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
    },
    body: JSON.stringify(message),
  });

const CREATE = (name: string) => ({
  name: 'clients_create',
  arguments: { client_name: name, grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', scope: 'read' },
});

async function auditOfCreate(clientId: string) {
  const page = (await op.gh.services.application.run('audit.list', CLI, { action: 'clients.create' })) as {
    items: { actor: { kind: string; id: string }; outcome: string; object: { id: string | null } }[];
  };
  return page.items.filter((i) => i.object.id === clientId);
}

describe('MCP authorization (authorization code + PKCE, RFC 8707 resource) for a signed-in user', () => {
  test('RFC 8707 §2: the user’s token is issued for the MCP resource with the admin scope and names the user', async () => {
    const claims = decodeJwt(await mcpToken(users.admin));
    assert.equal(claims.aud, MCP);
    assert.match(String(claims.scope), /\bgatehouse:admin\b/);
    assert.equal(claims.client_id, rp.client_id);
    assert.ok(claims.sub);
  });

  test('a user with the admin role: tools/list has the mutating tools; clients_create is audited as admin_user with the user id (as the console does)', async () => {
    const mcp = await connect(await mcpToken(users.admin));
    try {
      const { tools } = await mcp.listTools();
      const names = tools.map((t) => t.name);
      for (const n of ['clients_create', 'clients_delete', 'keys_rotate', 'clients_list', 'audit_list']) assert.ok(names.includes(n), n);
      const r = (await mcp.callTool(CREATE('made over MCP by a person'))) as CallToolResult;
      assert.equal(r.isError, undefined, JSON.stringify(r.content));
      const id = (r.structuredContent as { client: { client_id: string } }).client.client_id;
      assert.ok(await op.gh.services.ports.clients.get(op.gh.services.tenantId, id), 'the client exists');
      assert.deepEqual(
        (await auditOfCreate(id)).map((i) => [i.actor.kind, i.actor.id, i.outcome]),
        [['admin_user', users.admin.id, 'success']],
        'the actor is the person, not the client that holds the token',
      );
    } finally {
      await mcp.close();
    }
  });

  test('a user with only the auditor role: read tools only; a mutating call is 403 insufficient_scope (scope=gatehouse:admin)', async () => {
    const token = await mcpToken(users.auditor);
    const mcp = await connect(token);
    try {
      const { tools } = await mcp.listTools();
      assert.ok(tools.length > 0);
      assert.ok(
        tools.every((t) => t.annotations?.readOnlyHint === true),
        `only read tools: ${tools.filter((t) => t.annotations?.readOnlyHint !== true).map((t) => t.name)}`,
      );
      assert.ok(!tools.some((t) => t.name === 'clients_create'));
      const list = (await mcp.callTool({ name: 'clients_list', arguments: {} })) as CallToolResult;
      assert.equal(list.isError, undefined);
      await assert.rejects(mcp.callTool(CREATE('an auditor tries')));
    } finally {
      await mcp.close();
    }
    const res = await post(token, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: CREATE('an auditor tries again') });
    assert.equal(res.status, 403);
    const c = parseChallenge(res.headers.get('www-authenticate') ?? '');
    assert.deepEqual([c.params['error'], c.params['scope']], ['insufficient_scope', 'gatehouse:admin']);
    const all = (await op.gh.services.application.run('clients.list', CLI, { q: 'an auditor tries', sort: 'client_name' })) as { items: unknown[] };
    assert.equal(all.items.length, 0, 'nothing was created');
  });

  test('a user with neither role: 403 insufficient_scope, even for tools/list, although the client holds gatehouse:admin', async () => {
    const token = await mcpToken(users.plain);
    assert.equal(decodeJwt(token).aud, MCP);
    const res = await post(token, { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
    assert.equal(res.status, 403);
    const c = parseChallenge(res.headers.get('www-authenticate') ?? '');
    assert.equal(c.params['error'], 'insufficient_scope');
    assert.match(c.params['error_description'] ?? '', /neither the admin nor the auditor role/);
    await assert.rejects(connect(token));
  });
});

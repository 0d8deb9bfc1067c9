/**
 * `/admin/mcp`: the MCP admin server over Streamable HTTP inside the running server, as an OAuth
 * protected resource per the MCP authorization spec (RFC 9728 metadata, RFC 8707 audience, admin
 * scopes, RFC 6750 challenges). Driven by the official MCP SDK's `Client` and
 * `StreamableHTTPClientTransport`, including its own OAuth flow (ClientCredentialsProvider:
 * RFC 9728 → RFC 8414 discovery → token request with `resource`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import type * as oauth from 'oauth4webapi';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { cliActor, type Actor } from '../../src/app/index.ts';
import { clientCredentials, discover } from '../support/oauth-client.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { parseChallenge } from '../support/www-authenticate.ts';

const CLI: Actor = { ...cliActor({ USER: 'tester' }), origin: 'cli:test' };
let s: TestServer;
let as: oauth.AuthorizationServer;
let MCP: string;
let adminClient: { client_id: string; client_secret: string };
let readClient: { client_id: string; client_secret: string };
let plainClient: { client_id: string; client_secret: string };
let adminToken: string;
let readToken: string;
let apiToken: string;

async function createClient(scope: string, extra: Record<string, unknown> = {}) {
  const out = (await s.gh.services.application.run('clients.create', CLI, {
    ...extra,
    client_name: `mcp automation ${scope}`,
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'client_secret_basic',
    scope,
  })) as { client: { client_id: string }; client_secret: string };
  return { client_id: out.client.client_id, client_secret: out.client_secret };
}

before(async () => {
  s = await startTestServer({ registration: { enabled: true, allowedScopes: ['read', 'gatehouse:admin'] }, rateLimits: { registration: { perAddress: 0 } } });
  as = await discover(s.url);
  MCP = `${s.url}/admin/mcp`;
  // The operator allows the admin scopes to these clients (`gatehouse clients create --scopes …`).
  adminClient = await createClient('gatehouse:admin');
  readClient = await createClient('gatehouse:admin.read');
  plainClient = await createClient('read');
  adminToken = (await clientCredentials(as, adminClient, { scope: 'gatehouse:admin', resource: MCP })).access_token;
  readToken = (await clientCredentials(as, readClient, { scope: 'gatehouse:admin.read', resource: MCP })).access_token;
  apiToken = (await clientCredentials(as, adminClient, { scope: 'gatehouse:admin' })).access_token;
});
after(() => s.close());

async function connect(token: string): Promise<Client> {
  const client = new Client({ name: 'gatehouse-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(MCP), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

/** A raw JSON-RPC POST, for the HTTP-level answers the SDK client turns into exceptions. */
async function post(message: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(MCP, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(message),
  });
}
const LIST = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} };
const challenge = (res: Response) => parseChallenge(res.headers.get('www-authenticate') ?? '');
const METADATA = () => `${s.url}/.well-known/oauth-protected-resource/admin/mcp`;

describe('MCP authorization: the server is an OAuth protected resource', () => {
  test('RFC 9728 §3: /.well-known/oauth-protected-resource/admin/mcp names the resource, the AS and the admin scopes', async () => {
    const res = await fetch(METADATA());
    assert.equal(res.status, 200);
    const doc = (await res.json()) as Record<string, unknown>;
    assert.equal(doc['resource'], MCP);
    assert.deepEqual(doc['authorization_servers'], [s.url]);
    assert.deepEqual(doc['scopes_supported'], ['gatehouse:admin', 'gatehouse:admin.read']);
  });

  test('RFC 8707 §2: resource={issuer}/admin/mcp with an admin scope yields a token with that audience', () => {
    assert.equal(decodeJwt(adminToken).aud, MCP);
    assert.equal(decodeJwt(adminToken).scope, 'gatehouse:admin');
    assert.equal(decodeJwt(readToken).aud, MCP);
  });

  test('RFC 8707 §2: one token may name both admin resources (resource twice) and is accepted by both', async () => {
    const both = new URLSearchParams([
      ['scope', 'gatehouse:admin'],
      ['resource', MCP],
      ['resource', `${s.url}/admin/api/v1`],
    ]);
    const token = (await clientCredentials(as, adminClient, both)).access_token;
    assert.deepEqual(decodeJwt(token).aud, [MCP, `${s.url}/admin/api/v1`]);
    assert.equal((await post(LIST, { authorization: `Bearer ${token}` })).status, 200);
    assert.equal((await fetch(`${s.url}/admin/api/v1/clients`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
  });

  test('RFC 6749 §5.2: a client the operator did not allow an admin scope gets invalid_scope for the MCP resource', async () => {
    await assert.rejects(clientCredentials(as, plainClient, { resource: MCP }), (e: Error & { error?: string }) => e.error === 'invalid_scope');
    await assert.rejects(
      clientCredentials(as, plainClient, { scope: 'gatehouse:admin', resource: MCP }),
      (e: Error & { error?: string }) => e.error === 'invalid_scope',
    );
    await assert.rejects(clientCredentials(as, adminClient, { scope: 'read', resource: MCP }), (e: Error & { error?: string }) => e.error === 'invalid_scope');
  });

  test('RFC 7591 §3.2.2: a dynamically registered client never gets an admin token for /admin/mcp', async () => {
    const res = await fetch(as.registration_endpoint!, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', scope: 'read' }),
    });
    assert.equal(res.status, 201);
    const reg = (await res.json()) as { client_id: string; client_secret: string };
    await assert.rejects(
      clientCredentials(as, reg, { scope: 'gatehouse:admin', resource: MCP }),
      (e: Error & { error?: string }) => e.error === 'invalid_scope',
    );
  });

  test('RFC 6750 §3.1 + RFC 9728 §5.1: no token is 401 with resource_metadata and no error code', async () => {
    const res = await post(LIST);
    assert.equal(res.status, 401);
    const c = challenge(res);
    assert.equal(c.scheme, 'Bearer');
    assert.equal(c.params['resource_metadata'], METADATA());
    assert.equal(c.params['error'], undefined);
    // The SDK client without credentials cannot connect either.
    await assert.rejects(new Client({ name: 't', version: '1' }).connect(new StreamableHTTPClientTransport(new URL(MCP))));
  });

  test('RFC 8707 / MCP "Token Audience Binding": an admin API token (aud {issuer}/admin/api/v1) is refused with invalid_token', async () => {
    assert.equal(decodeJwt(apiToken).aud, `${s.url}/admin/api/v1`);
    const res = await post(LIST, { authorization: `Bearer ${apiToken}` });
    assert.equal(res.status, 401);
    assert.equal(challenge(res).params['error'], 'invalid_token');
    assert.equal(challenge(res).params['resource_metadata'], METADATA());
  });

  test('RFC 6750 §3.1: a token for /admin/mcp without an admin scope is 403 insufficient_scope naming both', async () => {
    // Minted directly: the token endpoint refuses to issue it (above).
    const client = (await s.gh.services.ports.clients.get(s.gh.services.tenantId, plainClient.client_id))!;
    const { token } = await s.gh.services.accessTokens.issue({
      plan: { client, scope: ['read'], audience: [MCP], format: 'jwt', ttl: 300 },
      grantType: 'client_credentials',
      subject: client.clientId,
    });
    const res = await post(LIST, { authorization: `Bearer ${token}` });
    assert.equal(res.status, 403);
    assert.deepEqual([challenge(res).params['error'], challenge(res).params['scope']], ['insufficient_scope', 'gatehouse:admin gatehouse:admin.read']);
  });

  test('MCP Transports §Security: a foreign Origin is 403 (DNS rebinding), the issuer origin is served', async () => {
    const evil = await post(LIST, { authorization: `Bearer ${adminToken}`, origin: 'http://evil.example' });
    assert.equal(evil.status, 403);
    assert.equal(((await evil.json()) as { error: { code: number } }).error.code, -32000);
    const own = await post(LIST, { authorization: `Bearer ${adminToken}`, origin: new URL(s.url).origin });
    assert.equal(own.status, 200);
  });

  test('JSON-RPC 2.0 §5.1: a body that is not JSON is a 400 parse error (-32700), never a 500', async () => {
    const res = await fetch(MCP, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{"jsonrpc": "2.0", "method": ',
    });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: { code: number } }).error.code, -32700);
  });

  test('MCP Transports §Streamable HTTP: stateless, so GET (SSE stream) and DELETE (session) are 405', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(MCP, { method, headers: { authorization: `Bearer ${adminToken}`, accept: 'text/event-stream' } });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.get('allow'), 'POST');
    }
  });
});

describe('gatehouse:admin.read', () => {
  test('lists only the read tools; a mutating call is 403 insufficient_scope with scope=gatehouse:admin', async () => {
    const mcp = await connect(readToken);
    try {
      const { tools } = await mcp.listTools();
      assert.ok(tools.every((t) => t.annotations?.readOnlyHint === true));
      assert.ok(tools.some((t) => t.name === 'clients_list') && tools.some((t) => t.name === 'metrics_summary'));
      const list = (await mcp.callTool({ name: 'clients_list', arguments: {} })) as CallToolResult;
      assert.equal(list.isError, undefined);
    } finally {
      await mcp.close();
    }
    const res = await post(
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'clients_delete', arguments: { client_id: plainClient.client_id } } },
      { authorization: `Bearer ${readToken}`, 'mcp-protocol-version': '2025-06-18' },
    );
    assert.equal(res.status, 403);
    assert.deepEqual([challenge(res).params['error'], challenge(res).params['scope']], ['insufficient_scope', 'gatehouse:admin']);
    assert.ok(await s.gh.services.ports.clients.get(s.gh.services.tenantId, plainClient.client_id), 'nothing was deleted');
  });
});

describe('gatehouse:admin: tools act through the application layer as the admin client', () => {
  let mcp: Client;
  const created: Record<string, unknown>[] = [];
  before(async () => {
    s.gh.services.events.on('client.created', (p) => created.push(p as unknown as Record<string, unknown>));
    mcp = await connect(adminToken);
  });
  after(() => mcp.close());

  async function auditOf(action: string) {
    const page = (await s.gh.services.application.run('audit.list', CLI, { action })) as {
      items: { actor: { kind: string; id: string }; outcome: string; object: { id: string | null } }[];
    };
    return page.items;
  }

  test('tools/list: every use case plus metrics_summary, with schemas and annotations', async () => {
    const { tools } = await mcp.listTools();
    const names = tools.map((t) => t.name);
    for (const n of [
      'clients_create',
      'clients_list',
      'users_delete',
      'grants_revoke',
      'sessions_end',
      'keys_rotate',
      'audit_list',
      'audit_verify',
      'metrics_summary',
    ]) {
      assert.ok(names.includes(n), n);
    }
    const del = tools.find((t) => t.name === 'clients_delete')!;
    assert.deepEqual([del.annotations?.destructiveHint, del.annotations?.readOnlyHint], [true, false]);
    assert.deepEqual(del.inputSchema.required, ['client_id']);
  });

  test('clients_create, then the admin API sees it and the audit log names the admin client', async () => {
    const r = (await mcp.callTool({
      name: 'clients_create',
      arguments: { client_name: 'via MCP over HTTP', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', scope: 'read' },
    })) as CallToolResult;
    assert.equal(r.isError, undefined);
    const id = (r.structuredContent as { client: { client_id: string } }).client.client_id;
    const api = await fetch(`${s.url}/admin/api/v1/clients/${id}`, { headers: { authorization: `Bearer ${apiToken}` } });
    assert.equal(api.status, 200);
    assert.equal(((await api.json()) as { client_name: string }).client_name, 'via MCP over HTTP');
    const rec = (await auditOf('clients.create')).find((x) => x.object.id === id);
    assert.deepEqual(rec?.actor, { kind: 'admin_client', id: adminClient.client_id });
    // The use case's event, stamped with the same actor (docs/events.md).
    const event = created.find((e) => e['clientId'] === id);
    assert.deepEqual([event?.['actor'], event?.['via']], [{ kind: 'admin_client', id: adminClient.client_id }, 'admin']);

    const disabled = (await mcp.callTool({ name: 'clients_disable', arguments: { client_id: id } })) as CallToolResult;
    assert.equal(disabled.isError, undefined);
    const after = (await (await fetch(`${s.url}/admin/api/v1/clients/${id}`, { headers: { authorization: `Bearer ${apiToken}` } })).json()) as {
      disabled: boolean;
    };
    assert.equal(after.disabled, true);
  });

  test('keys_rotate rotates the signing keys the JWKS publishes, audited', async () => {
    const before = ((await (await fetch(`${s.url}/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    const r = (await mcp.callTool({ name: 'keys_rotate', arguments: {} })) as CallToolResult;
    assert.equal(r.isError, undefined, JSON.stringify(r.content));
    assert.deepEqual((r.structuredContent as { rotated: string[] }).rotated, ['ES256']);
    const afterKids = ((await (await fetch(`${s.url}/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    assert.notDeepEqual(afterKids, before);
    assert.equal((await auditOf('keys.rotate'))[0]?.actor.id, adminClient.client_id);
  });

  test('grants_revoke_for_client revokes the tokens of a client', async () => {
    // Opaque: stored, so revoking the client's grants revokes it (JWT client_credentials tokens are not stored).
    const victim = await createClient('read', { access_token_format: 'opaque' });
    const { access_token } = await clientCredentials(as, victim, { scope: 'read' });
    const r = (await mcp.callTool({ name: 'grants_revoke_for_client', arguments: { client_id: victim.client_id } })) as CallToolResult;
    assert.equal(r.isError, undefined, JSON.stringify(r.content));
    const introspected = await fetch(as.introspection_endpoint!, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${victim.client_id}:${victim.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ token: access_token }),
    });
    assert.equal(((await introspected.json()) as { active: boolean }).active, false);
  });

  test('audit_list finds the calls, metrics_summary reads the /metrics registry, config is redacted', async () => {
    const page = (await mcp.callTool({ name: 'audit_list', arguments: { actor: adminClient.client_id } })) as CallToolResult;
    const actions = (page.structuredContent as { items: { action: string }[] }).items.map((i) => i.action);
    assert.ok(actions.includes('clients.create') && actions.includes('keys.rotate'), actions.join());
    const m = (await mcp.callTool({ name: 'metrics_summary', arguments: {} })) as CallToolResult;
    const metrics = (m.structuredContent as { metrics: { name: string; count?: number }[] }).metrics;
    const http = metrics.find((x) => x.name === 'http_server_requests_duration_seconds');
    assert.ok(http && (http.count ?? 0) > 0, 'the HTTP histogram, counted');
    const prom = await (await fetch(`${s.url}/metrics`)).text();
    assert.ok(prom.includes('http_server_requests_duration_seconds_count'));
    const { resources } = await mcp.listResources();
    assert.deepEqual(resources.map((r) => r.uri).sort(), ['gatehouse://config', 'gatehouse://metrics/summary']);
    const cfg = JSON.parse(((await mcp.readResource({ uri: 'gatehouse://config' })).contents[0] as { text: string }).text) as Record<string, unknown>;
    assert.equal(cfg['kek'], '[redacted]');
    assert.equal(cfg['issuer'], s.url);
  });

  test('MCP Tools §Error Handling: a use case refusal is isError with its code', async () => {
    const r = (await mcp.callTool({ name: 'users_show', arguments: { user: 'nobody-here' } })) as CallToolResult;
    assert.equal(r.isError, true);
    assert.match((r.content[0] as { text: string }).text, /^GH_NOT_FOUND: /);
  });
});

describe("the SDK's own OAuth flow", () => {
  test('MCP authorization: ClientCredentialsProvider discovers Gatehouse via RFC 9728 → RFC 8414 and gets an audience-bound token', async () => {
    const provider = new ClientCredentialsProvider({
      clientId: adminClient.client_id,
      clientSecret: adminClient.client_secret,
      scope: 'gatehouse:admin',
      expectedIssuer: s.url,
    });
    const client = new Client({ name: 'gatehouse-oauth-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(MCP), { authProvider: provider }));
    try {
      const { tools } = await client.listTools();
      assert.ok(tools.some((t) => t.name === 'clients_create'));
      const token = provider.tokens()?.access_token;
      assert.ok(token);
      // RFC 8707: the SDK sent resource={issuer}/admin/mcp (from the RFC 9728 metadata).
      assert.equal(decodeJwt(token).aud, MCP);
    } finally {
      await client.close();
    }
  });
});

/**
 * `gatehouse mcp` (MCP stdio transport) driven by the official MCP SDK's own `Client` and
 * `StdioClientTransport`, which spawns the real CLI entry as a child process against a SQLite
 * file. Effects are checked through the CLI (another face of the same use cases) and the audit log.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { allUseCases } from '../../src/app/index.ts';
import { main } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/types.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;
let env: Record<string, string>;

async function connect(...extra: string[]): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', 'test/support/gatehouse-cli.ts', 'mcp', ...extra],
    cwd: ROOT,
    env,
    stderr: 'pipe',
  });
  const client = new Client({ name: 'gatehouse-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

/** The CLI, in process: an independent face that reads what the MCP tools wrote. */
async function cli(...args: string[]): Promise<Record<string, unknown>> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), readStdin: async () => '', env: { ...env, USER: 'checker' } };
  const code = await main([...args, '--json'], io);
  assert.equal(code, 0, err.join('\n'));
  return JSON.parse(out.join('\n')) as Record<string, unknown>;
}

async function audit(action: string): Promise<{ actor: { kind: string; id: string }; origin: string; outcome: string; object: { id: string | null } }[]> {
  const out: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: () => {}, readStdin: async () => '', env };
  assert.equal(await main(['audit', '--action', action, '--json'], io), 0);
  return out
    .join('\n')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

const call = async (c: Client, name: string, args: Record<string, unknown> = {}) => (await c.callTool({ name, arguments: args })) as CallToolResult;
const text = (r: CallToolResult) => (r.content[0] as { text: string }).text;

let mcp: Client;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gh-mcp-stdio-'));
  env = {
    PATH: process.env['PATH'] ?? '',
    GATEHOUSE_DATABASE_URL: `sqlite:${join(dir, 'g.db')}`,
    GATEHOUSE_DATA_DIR: dir,
    GATEHOUSE_KEK: randomBytes(32).toString('base64'),
    GATEHOUSE_LOG_LEVEL: 'silent',
    USER: 'os-user',
  };
  // The store exists before the MCP client starts the server (as after `gatehouse migrate`).
  assert.equal(await main(['migrate'], { out: () => {}, err: () => {}, readStdin: async () => '', env }), 0);
  mcp = await connect('--operator', 'alice');
});
after(async () => {
  await mcp?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('tools/list', () => {
  test('MCP Tools §Listing: one tool per use case of the catalogue, named <aggregate>_<verb>', async () => {
    const { tools } = await mcp.listTools();
    assert.deepEqual(
      tools.map((t) => t.name),
      allUseCases().map((u) => u.name.replace('.', '_')),
    );
    // stdio: the metrics live in the server process, so this one offers no metrics summary.
    assert.ok(!tools.some((t) => t.name === 'metrics_summary'));
    const create = tools.find((t) => t.name === 'clients_create')!;
    assert.match(create.description ?? '', /Register a client/);
    assert.equal(create.inputSchema.type, 'object');
    assert.ok((create.inputSchema.properties as Record<string, unknown>)['redirect_uris'], 'the use case zod schema, as JSON Schema');
    assert.equal((create.inputSchema as { additionalProperties?: unknown }).additionalProperties, false);
    assert.equal(create.outputSchema?.type, 'object');
    assert.deepEqual(tools.find((t) => t.name === 'clients_list')!.outputSchema?.required, ['items', 'next_cursor']);
  });

  test('MCP Tools §Tool annotations: reads are read-only, deletes/disables/revocations/rotations destructive', async () => {
    const { tools } = await mcp.listTools();
    const a = (n: string) => tools.find((t) => t.name === n)!.annotations!;
    assert.deepEqual(
      [a('clients_list').readOnlyHint, a('audit_list').readOnlyHint, a('audit_verify').readOnlyHint, a('clients_create').readOnlyHint],
      [true, true, true, false],
    );
    for (const n of ['clients_delete', 'clients_disable', 'users_delete', 'grants_revoke', 'grants_revoke_for_client', 'sessions_end', 'keys_rotate']) {
      assert.equal(a(n).destructiveHint, true, n);
    }
    for (const n of ['clients_create', 'clients_update', 'clients_enable', 'clients_list']) assert.equal(a(n).destructiveHint, false, n);
    assert.equal(a('clients_create').idempotentHint, false);
    assert.equal(a('keys_rotate').idempotentHint, false);
    assert.equal(a('clients_disable').idempotentHint, true);
    assert.equal(a('clients_list').idempotentHint, true);
  });
});

describe('tools/call acts through the application layer as the named operator', () => {
  let clientId: string;

  test('clients_create registers a client (structured result + text), audited as cli:alice', async () => {
    const r = await call(mcp, 'clients_create', {
      client_name: 'made over MCP',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'read',
    });
    assert.equal(r.isError, undefined);
    const out = r.structuredContent as { client: { client_id: string; client_name: string }; client_secret: string };
    clientId = out.client.client_id;
    assert.equal(out.client.client_name, 'made over MCP');
    assert.match(out.client_secret, /^\S{32,}$/);
    assert.deepEqual(JSON.parse(text(r)), out, 'the text block carries the same JSON');
    const shown = await cli('clients', 'show', clientId);
    assert.equal(shown['client_name'], 'made over MCP');
    const [rec] = await audit('clients.create');
    assert.deepEqual([rec!.actor, rec!.object.id, rec!.outcome, rec!.origin], [{ kind: 'cli', id: 'alice' }, clientId, 'success', `cli:${hostname()}`]);
  });

  test('clients_list, clients_update and clients_disable change what the CLI sees', async () => {
    const list = (await call(mcp, 'clients_list', { q: clientId })).structuredContent as { items: { client_id: string }[]; next_cursor: string | null };
    assert.deepEqual(
      list.items.map((c) => c.client_id),
      [clientId],
    );
    const updated = await call(mcp, 'clients_update', { client_id: clientId, metadata: { client_name: 'renamed over MCP' } });
    assert.equal(updated.isError, undefined, text(updated));
    assert.equal((await cli('clients', 'show', clientId))['client_name'], 'renamed over MCP');
    await call(mcp, 'clients_disable', { client_id: clientId });
    assert.equal((await cli('clients', 'show', clientId))['disabled'], true);
    assert.equal((await audit('clients.disable'))[0]!.actor.id, 'alice');
  });

  test('keys_rotate, grants_revoke_for_client and audit_list', async () => {
    const rotated = await call(mcp, 'keys_rotate');
    assert.equal(rotated.isError, undefined, text(rotated));
    assert.ok(((rotated.structuredContent as { rotated: string[] }).rotated ?? []).length > 0);
    const revoked = await call(mcp, 'grants_revoke_for_client', { client_id: clientId });
    assert.equal(revoked.isError, undefined, text(revoked));
    const page = (await call(mcp, 'audit_list', { actor: 'alice', limit: 50 })).structuredContent as { items: { action: string }[] };
    const actions = page.items.map((i) => i.action);
    for (const a of ['clients.create', 'clients.update', 'clients.disable', 'keys.rotate', 'grants.revoke_for_client']) assert.ok(actions.includes(a), a);
    const verified = (await call(mcp, 'audit_verify')).structuredContent as { ok?: boolean };
    assert.equal(verified.ok, true, JSON.stringify(verified));
  });

  test('MCP Tools §Error Handling: a refused call is isError with the operator code, never a stack trace', async () => {
    const missing = await call(mcp, 'clients_show', { client_id: 'no-such-client' });
    assert.equal(missing.isError, true);
    assert.match(text(missing), /^GH_NOT_FOUND: /);
    const bad = await call(mcp, 'clients_create', { redirect_uris: 'not-a-list', surprise: 1 });
    assert.equal(bad.isError, true);
    assert.match(text(bad), /^GH_INVALID_INPUT: clients\.create: .*redirect_uris/);
    assert.doesNotMatch(text(bad), /\n\s+at /);
    // A refused mutation is audited too (docs/audit.md), under the same operator.
    assert.equal((await audit('clients.create')).find((r) => r.outcome !== 'success')?.actor.id, 'alice');
    await assert.rejects(call(mcp, 'clients_drop', {}), /Unknown tool/);
  });
});

describe('resources', () => {
  test('gatehouse://config is the effective configuration with every secret redacted', async () => {
    const { resources } = await mcp.listResources();
    assert.deepEqual(
      resources.map((r) => r.uri),
      ['gatehouse://config'],
    );
    const read = await mcp.readResource({ uri: 'gatehouse://config' });
    const body = (read.contents[0] as { text: string }).text;
    const config = JSON.parse(body) as Record<string, unknown>;
    assert.equal(config['kek'], '[redacted]');
    assert.equal((config['database'] as { url: string }).url, env['GATEHOUSE_DATABASE_URL']);
    assert.ok(!body.includes(env['GATEHOUSE_KEK']!));
  });
});

describe('gatehouse mcp usage', () => {
  test('an --operator name outside the actor-name rule is a usage error (exit 2) before anything opens', async () => {
    const err: string[] = [];
    const code = await main(['mcp', '--operator', 'rm -rf /'], { out: () => {}, err: (t) => err.push(t), readStdin: async () => '', env });
    assert.equal(code, 2);
    assert.match(err.join('\n'), /--operator takes 1 to 64 letters/);
  });
});

describe('--read-only', () => {
  test('lists and accepts only the read tools, acting with the viewer role', async () => {
    const ro = await connect('--read-only', '--operator', 'bob');
    try {
      const { tools } = await ro.listTools();
      assert.ok(tools.length > 0 && tools.every((t) => t.annotations?.readOnlyHint === true));
      assert.ok(tools.some((t) => t.name === 'audit_list'));
      await assert.rejects(call(ro, 'clients_delete', { client_id: 'x' }), /Unknown tool/);
    } finally {
      await ro.close();
    }
  });
});

/**
 * Admin scopes on a user's token (issue #11: roles `admin` and read-only `auditor` for people):
 * a relying party an operator allowed `gatehouse:admin` signs users in through the code flow
 * (openid-client, PKCE); the admin API and `/admin/mcp` then act AS THAT USER, with the weaker of
 * what the scope allows and what the user's current roles allow. The scope alone proves only
 * that the user consented, not that the user is an operator.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Actor } from '../../src/app/actor.ts';
import { codeFlow, createRp, createTestUser, rpConfig, startOidcServer, type OidcServer, type TestRp, type TestUser } from '../support/oidc.ts';
import { UserAgent } from '../support/user-agent.ts';

const CLI: Actor = { kind: 'cli', id: 'delegation-test', roles: ['admin'] };
let op: OidcServer;
let rp: TestRp;
const users: Record<'plain' | 'auditor' | 'admin', TestUser> = {} as never;

before(async () => {
  op = await startOidcServer();
  rp = await createRp(op.gh, 'confidential', { scope: 'openid gatehouse:admin gatehouse:admin.read' });
  users.plain = await createTestUser(op.gh, { roles: ['user'] });
  users.auditor = await createTestUser(op.gh, { roles: ['auditor'] });
  users.admin = await createTestUser(op.gh, { roles: ['admin'] });
});
after(() => op?.close());

async function adminToken(user: TestUser, scope = 'openid gatehouse:admin'): Promise<string> {
  const cfg = await rpConfig(op, rp);
  const flow = await codeFlow(op, cfg, rp, new UserAgent(op.url), user, { scope });
  return flow.tokens.access_token;
}

const api = (token: string, path: string, init: RequestInit = {}) =>
  fetch(`${op.url}/admin/api/v1${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });

describe('admin API: a user-delegated admin token acts as the user, limited by the user’s role', () => {
  test('a user with neither admin nor auditor role gets 403 insufficient_scope even with gatehouse:admin granted', async () => {
    const token = await adminToken(users.plain);
    const r = await api(token, '/clients');
    assert.equal(r.status, 403);
    assert.match(r.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
    assert.match(r.headers.get('www-authenticate') ?? '', /neither the admin nor the auditor role/);
  });

  test('an auditor reads with gatehouse:admin but cannot mutate (403)', async () => {
    const token = await adminToken(users.auditor);
    assert.equal((await api(token, '/clients')).status, 200);
    const w = await api(token, '/clients', { method: 'POST', body: JSON.stringify({ client_name: 'nope', grant_types: ['client_credentials'] }) });
    assert.equal(w.status, 403);
    assert.match(w.headers.get('www-authenticate') ?? '', /scope="gatehouse:admin"/);
  });

  test('an admin mutates; the audit record names the user (admin_user), not the client', async () => {
    const token = await adminToken(users.admin);
    const r = await api(token, '/clients', { method: 'POST', body: JSON.stringify({ client_name: 'made by a person', grant_types: ['client_credentials'] }) });
    assert.equal(r.status, 201, await r.clone().text());
    const { client_id } = (await r.json()) as { client_id: string };
    const page = (await op.gh.services.application.run('audit.list', CLI, { action: 'clients.create', object: client_id })) as {
      items: { actor: { kind: string; id: string }; outcome: string }[];
    };
    assert.deepEqual(
      page.items.map((i) => [i.actor.kind, i.actor.id, i.outcome]),
      [['admin_user', users.admin.id, 'success']],
    );
  });

  test('the role is read at every request: an admin whose role is taken away is refused at once', async () => {
    const demoted = await createTestUser(op.gh, { roles: ['admin'] });
    const token = await adminToken(demoted);
    assert.equal((await api(token, '/clients')).status, 200);
    await op.gh.services.application.run('users.update', CLI, { user: demoted.id, roles: ['user'] });
    assert.equal((await api(token, '/clients')).status, 403);
  });
});

describe('/admin/mcp: the same rule', () => {
  test('a plain user’s admin token for the MCP resource is refused with 403', async () => {
    const token = await adminToken(users.plain, 'openid gatehouse:admin');
    // The token's audience is the admin API (no resource asked): the MCP endpoint refuses it as
    // not meant for it (401); asking for the MCP resource gives a token the role rule refuses.
    const cfg = await rpConfig(op, rp);
    const flow = await codeFlow(op, cfg, rp, new UserAgent(op.url), users.plain, { scope: 'openid gatehouse:admin', resource: `${op.url}/admin/mcp` });
    const init = (t: string): RequestInit => ({
      method: 'POST',
      headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    assert.equal((await fetch(`${op.url}/admin/mcp`, init(token))).status, 401);
    const r = await fetch(`${op.url}/admin/mcp`, init(flow.tokens.access_token));
    assert.equal(r.status, 403);
    assert.match(r.headers.get('www-authenticate') ?? '', /neither the admin nor the auditor role/);
  });
});

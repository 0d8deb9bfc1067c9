import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import type * as oauth from 'oauth4webapi';
import { cliActor, type Actor } from '../../src/app/index.ts';
import type { EventName } from '../../src/core/events.ts';
import { adminOperations } from '../../src/http/routes/admin-api/routes.ts';
import { clientCredentials, discover } from '../support/oauth-client.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const CLI: Actor = { ...cliActor({ USER: 'tester' }), origin: 'cli:test' };
let offsetMs = 0;
const clock = { now: () => Date.now() + offsetMs };
let s: TestServer;
let as: oauth.AuthorizationServer;
let API: string;
let adminClient: { client_id: string; client_secret: string };
let readClient: { client_id: string; client_secret: string };
let adminToken: string;
let readToken: string;
const events: { name: EventName; payload: Record<string, unknown> }[] = [];

async function createClient(scope: string) {
  const out = (await s.gh.services.application.run('clients.create', CLI, {
    client_name: `admin automation ${scope}`,
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'client_secret_basic',
    scope,
  })) as { client: { client_id: string }; client_secret: string };
  return { client_id: out.client.client_id, client_secret: out.client_secret };
}

before(async () => {
  s = await startTestServer(
    { registration: { enabled: true, allowedScopes: ['read', 'gatehouse:admin'] }, rateLimits: { registration: { perAddress: 0 } } },
    { clock },
  );
  as = await discover(s.url);
  API = `${s.url}/admin/api/v1`;
  for (const name of [
    'client.created',
    'client.updated',
    'client.deleted',
    'user.created',
    'user.updated',
    'user.deleted',
    'key.rotated',
    'tokens.revoked_for_user',
    'tokens.revoked_for_client',
    'grant.revoked',
  ] as const) {
    s.gh.services.events.on(name, (p) => events.push({ name, payload: p as unknown as Record<string, unknown> }));
  }
  // The operator allows the admin scopes to these two clients (`gatehouse clients create --scopes …`).
  adminClient = await createClient('gatehouse:admin');
  readClient = await createClient('gatehouse:admin.read');
  adminToken = (await clientCredentials(as, adminClient, { scope: 'gatehouse:admin' })).access_token;
  readToken = (await clientCredentials(as, readClient, { scope: 'gatehouse:admin.read' })).access_token;
});
after(() => s.close());

type Call = { status: number; headers: Headers; body: Record<string, unknown> };
async function call(
  method: string,
  path: string,
  opts: { token?: string | null; body?: unknown; type?: string; headers?: Record<string, string> } = {},
): Promise<Call> {
  const headers: Record<string, string> = { ...opts.headers };
  const token = opts.token === undefined ? adminToken : opts.token;
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  if (opts.body !== undefined) headers['content-type'] = opts.type ?? 'application/json';
  const res = await fetch(`${API}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function auditOf(action: string, object?: string) {
  const page = (await s.gh.services.application.run('audit.list', CLI, { action, ...(object ? { object } : {}) })) as {
    items: { actor: { kind: string; id: string }; origin?: string; outcome: string; object: { id: string | null } }[];
  };
  return page.items;
}

const METADATA_URL = () => `${s.url}/.well-known/oauth-protected-resource/admin/api/v1`;

describe('authentication', () => {
  test('RFC 9728 §3: the admin API publishes its protected-resource metadata', async () => {
    const res = await fetch(METADATA_URL());
    assert.equal(res.status, 200);
    const doc = (await res.json()) as Record<string, unknown>;
    assert.equal(doc['resource'], API);
    assert.deepEqual(doc['authorization_servers'], [s.url]);
    assert.deepEqual(doc['scopes_supported'], ['gatehouse:admin', 'gatehouse:admin.read']);
    assert.deepEqual(doc['bearer_methods_supported'], ['header']);
  });

  test('RFC 8707: an admin scope requested without resource yields the audience {issuer}/admin/api/v1', () => {
    assert.equal(decodeJwt(adminToken).aud, API);
    assert.equal(decodeJwt(readToken).aud, API);
  });

  test('RFC 6749 §3.3: a client the operator did not allow is refused the admin scope (invalid_scope)', async () => {
    const plain = await createClient('read');
    await assert.rejects(clientCredentials(as, plain, { scope: 'gatehouse:admin' }), (e: Error & { error?: string }) => e.error === 'invalid_scope');
  });

  test('RFC 8707 §2: an admin resource never shares a token with another resource (invalid_target), and admin scopes go to no other resource (invalid_scope)', async () => {
    const mixed = await createClient('gatehouse:admin read');
    const MCP = `${s.url}/admin/mcp`;
    const other = 'https://rs.example/';
    const refused = (params: URLSearchParams, error: string) =>
      assert.rejects(clientCredentials(as, mixed, params), (e: Error & { error?: string }) => e.error === error, `${params} → ${error}`);
    // The token would reach rs.example, which could replay it at the admin API.
    for (const scope of ['gatehouse:admin read', 'gatehouse:admin', undefined]) {
      const params = new URLSearchParams([...(scope ? [['scope', scope] as [string, string]] : []), ['resource', API], ['resource', other]]);
      await refused(params, 'invalid_target');
    }
    await refused(
      new URLSearchParams([
        ['scope', 'gatehouse:admin'],
        ['resource', MCP],
        ['resource', other],
      ]),
      'invalid_target',
    );
    // An admin scope asked for another resource alone is refused; by default it is left out.
    await refused(
      new URLSearchParams([
        ['scope', 'gatehouse:admin read'],
        ['resource', other],
      ]),
      'invalid_scope',
    );
    const t = await clientCredentials(as, mixed, new URLSearchParams([['resource', other]]));
    assert.equal(t.scope, 'read');
    assert.equal(decodeJwt(t.access_token).aud, other);
    // The admin API and the MCP server together are fine.
    const both = await clientCredentials(
      as,
      mixed,
      new URLSearchParams([
        ['scope', 'gatehouse:admin'],
        ['resource', API],
        ['resource', MCP],
      ]),
    );
    assert.deepEqual(decodeJwt(both.access_token).aud, [API, MCP]);
  });

  test('RFC 7591 §3.2.2: dynamic registration never grants an admin scope, even when allowedScopes lists it', async () => {
    const res = await fetch(as.registration_endpoint!, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', scope: 'read gatehouse:admin' }),
    });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_client_metadata');
  });

  test('RFC 6749 §5.2: the token endpoint refuses an admin scope to a dynamically registered client (stored scope notwithstanding)', async () => {
    const res = await fetch(as.registration_endpoint!, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', scope: 'read' }),
    });
    assert.equal(res.status, 201);
    const reg = (await res.json()) as { client_id: string; client_secret: string };
    // A row written before the registration rule (or by hand) that lists the admin scope.
    await s.gh.services.ports.clients.update('default', reg.client_id, { scopes: ['read', 'gatehouse:admin'] });
    await assert.rejects(clientCredentials(as, reg, { scope: 'gatehouse:admin' }), (e: Error & { error?: string }) => e.error === 'invalid_scope');
    const t = await clientCredentials(as, reg, {});
    assert.equal(t.scope, 'read', 'the default scope leaves the admin scope out');
  });

  test('RFC 7662 / RFC 9068: opaque admin tokens work too; a revoked token and a disabled admin client are refused (401)', async () => {
    const opaqueClient = await createClient('gatehouse:admin');
    await s.gh.services.application.run('clients.update', CLI, { client_id: opaqueClient.client_id, metadata: { access_token_format: 'opaque' } });
    const opaque = (await clientCredentials(as, opaqueClient, { scope: 'gatehouse:admin' })).access_token;
    assert.equal(opaque.split('.').length, 1, 'an opaque token');
    assert.equal((await call('GET', '/clients', { token: opaque })).status, 200);

    // RFC 7009 revocation: the token stops working at once.
    const res = await fetch(`${s.url}/revoke`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${opaqueClient.client_id}:${opaqueClient.client_secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: opaque }),
    });
    assert.equal(res.status, 200);
    const revoked = await call('GET', '/clients', { token: opaque });
    assert.equal(revoked.status, 401);
    assert.equal(revoked.body['code'], 'invalid_token');

    const jwt = (await clientCredentials(as, opaqueClient, { scope: 'gatehouse:admin' })).access_token;
    assert.equal((await call('GET', '/clients', { token: jwt })).status, 200);
    await s.gh.services.application.run('clients.disable', CLI, { client_id: opaqueClient.client_id });
    assert.equal((await call('GET', '/clients', { token: jwt })).status, 401, 'a disabled admin client loses access at once');
  });

  test('OpenAPI: every admin route is in /openapi.json with its security, request schema and problem responses', async () => {
    const doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, Record<string, unknown>>> };
    for (const op of adminOperations(s.gh.services.application)) {
      const path = `/admin/api/v1${op.path.replace(/:(\w+)/g, '{$1}')}`;
      const entry = doc.paths[path]?.[op.method.toLowerCase()] as
        | { security?: unknown; requestBody?: unknown; responses?: Record<string, unknown> }
        | undefined;
      assert.ok(entry, `${op.method} ${path}`);
      assert.deepEqual(entry.security, [{ bearerAuth: [] }, { dpopAuth: [] }]);
      assert.ok(entry.responses?.['401'] && entry.responses['403'], `${op.method} ${path} documents 401 and 403`);
      if (op.body) assert.ok(entry.requestBody, `${op.method} ${path} documents its body`);
    }
    const create = doc.paths['/admin/api/v1/clients']!['post'] as {
      requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> };
    };
    assert.ok(create.requestBody.content['application/json']!.schema.properties['redirect_uris'], 'the clients.create schema with RFC 7591 names');
    const patch = doc.paths['/admin/api/v1/clients/{id}']!['patch'] as {
      requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> };
    };
    assert.ok(Object.values(patch.requestBody.content)[0]!.schema.properties['client_name'], 'the PATCH body documents the metadata members');
    assert.ok(doc.paths['/.well-known/oauth-protected-resource/admin/api/v1']?.['get']);
  });

  /** A concrete path for an operation's template. */
  const concrete = (path: string) => path.replace(/:\w+/g, 'x');

  test('RFC 9728 §5.1: every route answers a missing token with 401 and a challenge naming the metadata', async () => {
    for (const op of adminOperations(s.gh.services.application)) {
      const r = await call(op.method, concrete(op.path), { token: null });
      assert.equal(r.status, 401, `${op.method} ${op.path}`);
      // RFC 9449 §7.2: the kit takes both schemes and names both, neither with an error.
      assert.equal(
        r.headers.get('www-authenticate'),
        `Bearer resource_metadata="${METADATA_URL()}", DPoP resource_metadata="${METADATA_URL()}", algs="ES256 ES384 PS256 RS256 EdDSA"`,
        `${op.method} ${op.path}`,
      );
      assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
    }
  });

  test('RFC 9728 §5.1 / RFC 6750 §3.1: every route refuses a wrong-audience token and an expired one (401 invalid_token)', async () => {
    // The token endpoint issues no admin scope for another resource (invalid_scope, tested above),
    // so a token of ours for another audience that does carry it is minted.
    const adminStored = (await s.gh.services.ports.clients.get(s.gh.services.tenantId, adminClient.client_id))!;
    const other = (
      await s.gh.services.accessTokens.issue({
        plan: { client: adminStored, scope: ['gatehouse:admin'], audience: ['https://api.example/'], format: 'jwt', ttl: 300 },
        grantType: 'client_credentials',
        subject: adminStored.clientId,
      })
    ).token;
    assert.equal(decodeJwt(other).aud, 'https://api.example/');
    const expiring = (await clientCredentials(as, adminClient, { scope: 'gatehouse:admin' })).access_token;
    for (const op of adminOperations(s.gh.services.application)) {
      const r = await call(op.method, concrete(op.path), { token: other });
      assert.equal(r.status, 401, `${op.method} ${op.path}`);
      assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer resource_metadata="[^"]+", error="invalid_token"/);
      assert.equal(r.body['code'], 'invalid_token');
    }
    offsetMs = 3601_000;
    try {
      for (const op of adminOperations(s.gh.services.application)) {
        const r = await call(op.method, concrete(op.path), { token: expiring });
        assert.equal(r.status, 401, `${op.method} ${op.path}`);
      }
    } finally {
      offsetMs = 0;
    }
    // A token without any admin scope, for the right audience, is a 403. The token endpoint no
    // longer issues one (invalid_scope: the admin resources take admin scopes only), so it is minted.
    const plain = await createClient('read');
    await assert.rejects(clientCredentials(as, plain, { scope: 'read', resource: API }), (e: Error & { error?: string }) => e.error === 'invalid_scope');
    const stored = (await s.gh.services.ports.clients.get(s.gh.services.tenantId, plain.client_id))!;
    const noAdmin = (
      await s.gh.services.accessTokens.issue({
        plan: { client: stored, scope: ['read'], audience: [API], format: 'jwt', ttl: 300 },
        grantType: 'client_credentials',
        subject: stored.clientId,
      })
    ).token;
    const r = await call('GET', '/clients', { token: noAdmin });
    assert.equal(r.status, 403);
    assert.equal(r.body['code'], 'insufficient_scope');
  });

  test('RFC 6750 §3.1: a read-only token is refused every mutation and the export (403 insufficient_scope) and may read', async () => {
    for (const op of adminOperations(s.gh.services.application)) {
      const r = await call(op.method, concrete(op.path), {
        token: readToken,
        ...(op.method === 'GET' ? {} : { body: {}, type: op.method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' }),
      });
      if (op.method === 'GET' && !op.adminScope) {
        assert.ok(r.status !== 401 && r.status !== 403, `${op.method} ${op.path}: ${r.status}`);
        continue;
      }
      assert.equal(r.status, 403, `${op.method} ${op.path}`);
      assert.equal(r.body['code'], 'insufficient_scope');
      assert.match(r.headers.get('www-authenticate') ?? '', /error="insufficient_scope", error_description="[^"]*", scope="gatehouse:admin"/);
    }
    const list = await call('GET', '/clients', { token: readToken });
    assert.equal(list.status, 200);
  });
});

describe('clients', () => {
  test('create (201, secret once), get (ETag), list paging, merge patch, actions, delete: each audited with the actor and an event', async () => {
    events.length = 0;
    const created = await call('POST', '/clients', {
      body: {
        client_name: 'billing',
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: 'read',
        client_uri: 'https://billing.example/',
      },
    });
    assert.equal(created.status, 201);
    const id = String(created.body['client_id']);
    assert.equal(typeof created.body['client_secret'], 'string');
    assert.equal(created.body['client_name'], 'billing');

    const one = await call('GET', `/clients/${id}`);
    assert.equal(one.status, 200);
    assert.equal(one.body['client_secret'], undefined, 'the secret is shown once');
    assert.match(one.headers.get('etag') ?? '', /^"[\w-]{32}"$/);

    // Paging: { items, next_cursor } one at a time, sort=-field descending.
    const p1 = await call('GET', '/clients?limit=1&sort=-created_at');
    assert.equal((p1.body['items'] as unknown[]).length, 1);
    assert.equal(typeof p1.body['next_cursor'], 'string');
    const p2 = await call('GET', `/clients?limit=1&sort=-created_at&cursor=${String(p1.body['next_cursor'])}`);
    assert.equal(p2.status, 200);
    assert.notDeepEqual(p2.body['items'], p1.body['items']);
    const byName = await call('GET', '/clients?q=billing&sort=client_name');
    assert.deepEqual(
      (byName.body['items'] as { client_id: string }[]).map((c) => c.client_id),
      [id],
    );

    // RFC 7396: null removes a member, others replace.
    const patched = await call('PATCH', `/clients/${id}`, { body: { client_name: 'billing 2', client_uri: null }, type: 'application/merge-patch+json' });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body['client_name'], 'billing 2');
    assert.equal(patched.body['client_uri'], undefined);
    assert.equal(patched.body['scope'], 'read', 'members the patch does not name stay');

    assert.equal((await call('POST', `/clients/${id}/disable`)).body['disabled'], true);
    assert.equal((await call('POST', `/clients/${id}/enable`)).body['disabled'], false);
    const rotated = await call('POST', `/clients/${id}/rotate-secret`);
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.body['client_secret'], created.body['client_secret']);
    assert.equal((await call('POST', `/clients/${id}/revoke-tokens`)).status, 200);
    assert.equal((await call('DELETE', `/clients/${id}`)).status, 200);
    assert.equal((await call('GET', `/clients/${id}`)).status, 404);

    for (const action of [
      'clients.create',
      'clients.update',
      'clients.disable',
      'clients.enable',
      'clients.rotate_secret',
      'clients.delete',
      'grants.revoke_for_client',
    ]) {
      const records = await auditOf(action, id);
      assert.ok(records.length >= 1, `audit record for ${action}`);
      assert.deepEqual(records[0]!.actor, { kind: 'admin_client', id: adminClient.client_id });
      assert.equal(records[0]!.origin, '127.0.0.1');
    }
    const names = events.filter((e) => e.payload['clientId'] === id).map((e) => e.name);
    for (const n of ['client.created', 'client.updated', 'client.deleted', 'tokens.revoked_for_client'] as const) assert.ok(names.includes(n), `event ${n}`);
    for (const e of events.filter((e) => e.payload['clientId'] === id))
      assert.deepEqual(e.payload['actor'], { kind: 'admin_client', id: adminClient.client_id });
  });

  test('bulk: POST /clients/disable disables many, one audit record and event each, reporting unknown ids', async () => {
    const ids: string[] = [];
    for (const n of ['bulk-a', 'bulk-b']) {
      const c = await call('POST', '/clients', {
        body: { client_name: n, grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' },
      });
      ids.push(String(c.body['client_id']));
    }
    events.length = 0;
    const r = await call('POST', '/clients/disable', { body: { client_ids: [...ids, 'no-such-client'] } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const items = r.body['items'] as { client_id: string; disabled: boolean; code?: string }[];
    assert.deepEqual(
      items.map((i) => [i.client_id, i.disabled, i.code]),
      [
        [ids[0], true, undefined],
        [ids[1], true, undefined],
        ['no-such-client', false, 'GH_NOT_FOUND'],
      ],
    );
    for (const id of ids) {
      assert.equal((await call('GET', `/clients/${id}`)).body['disabled'], true);
      assert.equal((await auditOf('clients.disable', id)).length, 1);
      assert.ok(events.some((e) => e.name === 'client.updated' && e.payload['clientId'] === id));
    }
    assert.equal((await call('POST', '/clients/disable', { body: { client_ids: [] } })).status, 400);
  });

  test('RFC 9110 §13.1.1: a stale If-Match is 412 and changes nothing; the current ETag (or *) is accepted', async () => {
    const created = await call('POST', '/clients', {
      body: { client_name: 'etag', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' },
    });
    const id = String(created.body['client_id']);
    const etag = (await call('GET', `/clients/${id}`)).headers.get('etag')!;
    const first = await call('PATCH', `/clients/${id}`, {
      body: { client_name: 'etag 2' },
      type: 'application/merge-patch+json',
      headers: { 'if-match': etag },
    });
    assert.equal(first.status, 200);
    const stale = await call('PATCH', `/clients/${id}`, {
      body: { client_name: 'etag 3' },
      type: 'application/merge-patch+json',
      headers: { 'if-match': etag },
    });
    assert.equal(stale.status, 412);
    assert.equal(stale.body['code'], 'GH_PRECONDITION_FAILED');
    assert.equal((await call('POST', `/clients/${id}/disable`, { headers: { 'if-match': etag } })).status, 412);
    assert.equal((await call('DELETE', `/clients/${id}`, { headers: { 'if-match': etag } })).status, 412);
    const now = await call('GET', `/clients/${id}`);
    assert.equal(now.body['client_name'], 'etag 2');
    assert.equal(now.body['disabled'], false);
    assert.equal((await call('POST', `/clients/${id}/disable`, { headers: { 'if-match': now.headers.get('etag')! } })).status, 200);
    assert.equal((await call('DELETE', `/clients/${id}`, { headers: { 'if-match': '*' } })).status, 200);
  });

  test('RFC 7396: PATCH takes application/merge-patch+json only (415 otherwise); nested members merge', async () => {
    const created = await call('POST', '/clients', {
      body: {
        client_name: 'nested',
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic',
        claim_mappings: { roles: { claim: 'r' }, groups: { claim: 'g' } },
      },
    });
    const id = String(created.body['client_id']);
    assert.equal((await call('PATCH', `/clients/${id}`, { body: { client_name: 'x' } })).status, 415);
    const r = await call('PATCH', `/clients/${id}`, { body: { claim_mappings: { groups: null } }, type: 'application/merge-patch+json' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(Object.keys(r.body['claim_mappings'] as object), ['roles']);
  });
});

describe('users, grants, sessions, consents, keys, audit', () => {
  test('users: create, get with ETag, merge patch of claims (null removes), password, disable, revoke-tokens, delete; each audited', async () => {
    events.length = 0;
    const created = await call('POST', '/users', {
      body: { username: 'ada', password: 'correct horse battery staple', claims: { name: 'Ada', nickname: 'ad' } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = String(created.body['id']);
    const one = await call('GET', `/users/${id}`);
    assert.ok(one.headers.get('etag'));
    const patched = await call('PATCH', `/users/${id}`, {
      body: { claims: { nickname: null, family_name: 'Lovelace' } },
      type: 'application/merge-patch+json',
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const claims = patched.body['claims'] as Record<string, unknown>;
    assert.equal(claims['nickname'], undefined, 'null removes the claim');
    assert.equal(claims['family_name'], 'Lovelace');
    assert.equal(claims['name'], 'Ada', 'claims the patch does not name stay');
    assert.equal((await call('POST', `/users/${id}/password`, { body: { password: 'another long passphrase here' } })).status, 200);
    assert.equal((await call('POST', `/users/${id}/disable`)).body['disabled'], true);
    assert.equal((await call('POST', `/users/${id}/revoke-tokens`)).status, 200);
    assert.equal((await call('POST', '/tokens/revoke', { body: { user: id } })).status, 200);
    assert.equal((await call('GET', `/grants?user=${id}`)).status, 200);
    assert.equal((await call('GET', `/sessions?user=${id}`)).status, 200);
    assert.equal((await call('GET', `/consents?user=${id}`)).status, 200);
    assert.equal((await call('DELETE', `/users/${id}`)).status, 200);
    for (const action of ['users.create', 'users.update', 'users.set_password', 'users.disable', 'grants.revoke_for_user', 'users.delete']) {
      const records = await auditOf(action);
      assert.ok(
        records.some((r) => r.actor.id === adminClient.client_id && r.origin === '127.0.0.1'),
        `audit record for ${action}`,
      );
    }
    const names = events.map((e) => e.name);
    for (const n of ['user.created', 'user.updated', 'user.deleted', 'tokens.revoked_for_user'] as const) assert.ok(names.includes(n), `event ${n}`);
  });

  test('grants, sessions, consents: revoke and end through the API, each audited (refusals too) with the admin client as actor', async () => {
    const grant = await call('DELETE', '/grants/some-grant-id');
    assert.equal(grant.status, 200, JSON.stringify(grant.body));
    assert.ok((await auditOf('grants.revoke', 'some-grant-id')).some((r) => r.actor.id === adminClient.client_id && r.outcome === 'success'));
    assert.ok(events.some((e) => e.name === 'grant.revoked' && e.payload['grantId'] === 'some-grant-id'));
    const session = await call('DELETE', '/sessions/no-such-sid');
    assert.equal(session.status, 404);
    assert.equal(session.body['code'], 'GH_NOT_FOUND');
    assert.ok((await auditOf('sessions.end')).some((r) => r.actor.id === adminClient.client_id && r.outcome !== 'success'));
    const consent = await call('DELETE', '/consents/nobody/some-client');
    assert.equal(consent.status, 404);
    assert.ok((await auditOf('consents.revoke')).some((r) => r.actor.id === adminClient.client_id));
    const grants = await call('GET', '/grants');
    assert.equal(grants.status, 400, 'grants.list needs a user or a client');
    assert.equal(grants.body['code'], 'GH_INVALID_INPUT');
  });

  test('keys: list and rotate (event, audit); audit: list newest first and verify', async () => {
    const before = await call('GET', '/keys');
    assert.ok(Array.isArray(before.body['items']));
    const rotated = await call('POST', '/keys/rotate');
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    assert.ok(events.some((e) => e.name === 'key.rotated'));
    assert.ok((await auditOf('keys.rotate')).some((r) => r.actor.id === adminClient.client_id));
    const audit = await call('GET', '/audit?limit=2&sort=-seq', { token: readToken });
    assert.equal(audit.status, 200);
    assert.equal((audit.body['items'] as unknown[]).length, 2);
    assert.equal(typeof audit.body['next_cursor'], 'string');
    assert.equal((await call('GET', '/audit/verify', { token: readToken })).status, 200);
  });
});

describe('errors', () => {
  test('RFC 9457: problem details with type, title, status, detail and code; no stack', async () => {
    const missing = await call('GET', '/clients/nope');
    assert.equal(missing.status, 404);
    assert.match(missing.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.deepEqual(Object.keys(missing.body).sort(), ['code', 'detail', 'status', 'title', 'type']);
    assert.equal(missing.body['code'], 'GH_NOT_FOUND');
    assert.equal(missing.body['status'], 404);
    assert.equal(missing.body['title'], 'Not Found');

    const bad = await call('POST', '/clients', { body: { client_name: 'x', no_such_member: 1 } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body['code'], 'GH_INVALID_INPUT');
    assert.match(String(bad.body['detail']), /no_such_member/);

    const badLimit = await call('GET', '/clients?limit=0');
    assert.equal(badLimit.status, 400);
    const badJson = await fetch(`${API}/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: '{',
    });
    assert.equal(badJson.status, 400);
    const badJsonBody = (await badJson.json()) as Record<string, unknown>;
    assert.equal(badJsonBody['code'], 'GH_INVALID_INPUT');
    assert.ok(!JSON.stringify(badJsonBody).includes(' at '), 'no stack trace');
  });

  test('RFC 9457: an unknown path or method under /admin/api/v1 is a 404 problem (GH_NOT_FOUND) naming it; elsewhere the OAuth error format stays', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['OPTIONS', '/clients'],
      ['PUT', '/clients/some-id'],
      ['GET', ''],
    ] as const) {
      const r = await call(method, path);
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/, `${method} ${path}`);
      assert.deepEqual(
        { type: r.body['type'], title: r.body['title'], status: r.body['status'], code: r.body['code'] },
        { type: 'about:blank', title: 'Not Found', status: 404, code: 'GH_NOT_FOUND' },
      );
      assert.equal(r.body['detail'], `no admin API route ${method} /admin/api/v1${path} (the routes are in /openapi.json)`);
    }
    const oauth = await fetch(`${s.url}/nope`);
    assert.equal(oauth.status, 404);
    assert.match(oauth.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(((await oauth.json()) as Record<string, unknown>)['error'], 'not_found');
  });

  test('RFC 9457: an unsupported content type is a 415 problem whose detail says what to send', async () => {
    const created = await call('POST', '/clients', {
      body: { client_name: 'media', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' },
    });
    const id = String(created.body['client_id']);
    const patch = await call('PATCH', `/clients/${id}`, { body: { client_name: 'x' } });
    assert.equal(patch.status, 415);
    assert.match(patch.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(patch.body['code'], 'GH_INVALID_INPUT');
    assert.equal(patch.body['detail'], 'PATCH takes application/merge-patch+json (RFC 7396)');
    assert.equal(patch.headers.get('accept-patch'), 'application/merge-patch+json', 'RFC 5789 §2.2');
    const xml = await fetch(`${API}/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/xml' },
      body: '<client/>',
    });
    assert.equal(xml.status, 415);
    assert.match(xml.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const body = (await xml.json()) as Record<string, unknown>;
    assert.equal(body['code'], 'GH_INVALID_INPUT');
    assert.equal(body['detail'], 'unsupported content type application/xml: send application/json (PATCH: application/merge-patch+json)');
  });

  test('RFC 9457: a query parameter given twice is 400 GH_INVALID_INPUT naming it, never a 500 (Fastify parses a repeated key as an array)', async () => {
    for (const [method, path, name] of [
      ['GET', '/clients?sort=client_name&sort=-created_at', 'sort'],
      ['GET', '/users?sort=a&sort=b', 'sort'],
      ['GET', '/audit?sort=-seq&sort=seq', 'sort'],
      ['GET', '/events?sort=-created_at&sort=x', 'sort'],
      ['GET', '/device-codes?sort=issued_at&sort=-issued_at', 'sort'],
      ['GET', '/keys?sort=a&sort=b', 'sort'],
      ['GET', '/grants?user=a&user=b', 'user'],
      ['GET', '/clients?limit=1&limit=2', 'limit'],
      ['GET', '/audit?since=1&since=2', 'since'],
      ['POST', '/import?mode=create&mode=upsert', 'mode'],
    ] as const) {
      const r = await call(method, path, method === 'POST' ? { body: {} } : {});
      assert.equal(r.status, 400, `${method} ${path}: ${JSON.stringify(r.body)}`);
      assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal(r.body['code'], 'GH_INVALID_INPUT', path);
      assert.match(String(r.body['detail']), new RegExp(`^${name}: `), path);
    }
  });
});

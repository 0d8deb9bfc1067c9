/**
 * The admin API as a whole (issue #11 checks): every route of /admin/api/v1 is in /openapi.json
 * with its request (parameters, body) and response schemas; every mutating route, driven over
 * real HTTP with an admin access token, leaves an audit record of its use case with the admin
 * client as actor AND an event carrying that actor; every successful answer matches the response
 * schema documented for its route (Ajv). Fixtures are real: a user signed in through the login
 * form (openid-client) for sessions and consents, a device authorization (oauth4webapi) to deny.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Ajv, type ValidateFunction } from 'ajv';
import * as oauth from 'oauth4webapi';
import { DEVICE_CODE_GRANT_TYPE } from '../../src/core/device-authorization/device-authorization.ts';
import { EVENT_NAMES } from '../../src/core/event-catalogue.ts';
import type { EventName } from '../../src/core/events.ts';
import { adminOperations } from '../../src/http/routes/admin-api/routes.ts';
import { adminApi, CLI, type AdminApi, type AdminCall } from '../support/admin-api.ts';
import { discover, INSECURE } from '../support/oauth-client.ts';
import { codeFlow, createRp, createTestUser, rpConfig, startOidcServer, type OidcServer, type TestRp, type TestUser } from '../support/oidc.ts';
import { createTestClient } from '../support/server.ts';
import { UserAgent } from '../support/user-agent.ts';

type OpenApi = { paths: Record<string, Record<string, OpenApiOp>> };
type OpenApiOp = {
  parameters?: { in: string; name: string; schema?: unknown }[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
};

let s: OidcServer;
let api: AdminApi;
let doc: OpenApi;
let adminId: string;
let rp: TestRp;
let user: TestUser;
const events: { name: EventName; payload: Record<string, unknown> }[] = [];
const ajv = new Ajv({ strict: false, allErrors: true });
const validators = new Map<string, ValidateFunction>();

before(async () => {
  s = await startOidcServer();
  api = await adminApi(s);
  for (const name of EVENT_NAMES) s.gh.services.events.on(name, (p) => events.push({ name, payload: p as unknown as Record<string, unknown> }));
  doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as OpenApi;
  // The admin token's client: the actor of every call below.
  adminId = api.adminClientId;
  // A signed-in user: a session (sid) and a consent to end and revoke.
  rp = await createRp(s.gh, 'confidential');
  user = await createTestUser(s.gh);
  await codeFlow(s, await rpConfig(s, rp), rp, new UserAgent(s.url), user, { scope: 'openid email offline_access', prompt: 'consent' });
});
after(() => s?.close());

const openApiPath = (path: string) => `/admin/api/v1${path.replace(/:(\w+)/g, '{$1}')}`;

/** The documented 2xx schema of a route, compiled once. */
function validatorFor(method: string, path: string, status: number): ValidateFunction {
  const key = `${method} ${path} ${status}`;
  let v = validators.get(key);
  if (!v) {
    const schema = doc.paths[openApiPath(path)]?.[method.toLowerCase()]?.responses[String(status)]?.content?.['application/json']?.schema;
    assert.ok(schema, `${key}: documented`);
    v = ajv.compile(schema);
    validators.set(key, v);
  }
  return v;
}

function assertMatchesSchema(method: string, template: string, r: AdminCall): void {
  const v = validatorFor(method, template, r.status);
  assert.ok(v(r.body), `${method} ${template}: the answer matches its documented schema: ${ajv.errorsText(v.errors)}\n${JSON.stringify(r.body).slice(0, 400)}`);
}

describe('OpenAPI completeness', () => {
  test('OpenAPI 3: every /admin/api/v1 route documents its parameters, request body and a response schema with members', () => {
    const documented = Object.entries(doc.paths)
      .filter(([p]) => p.startsWith('/admin/api/v1/'))
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    const ops = adminOperations(s.gh.services.application);
    assert.deepEqual(documented, ops.map((op) => `${op.method} ${openApiPath(op.path)}`).sort(), 'the document and the routes agree');
    for (const op of ops) {
      const entry = doc.paths[openApiPath(op.path)]![op.method.toLowerCase()]!;
      const where = `${op.method} ${op.path}`;
      for (const param of op.path.match(/:\w+/g) ?? []) {
        assert.ok(
          entry.parameters?.some((p) => p.in === 'path' && p.name === param.slice(1) && p.schema),
          `${where}: path parameter ${param}`,
        );
      }
      if (op.query)
        for (const q of Object.keys(op.query))
          assert.ok(
            entry.parameters?.some((p) => p.in === 'query' && p.name === q),
            `${where}: query ${q}`,
          );
      if (op.method === 'POST' || op.method === 'PATCH') {
        // A body-less action (disable, rotate-secret, …) takes no body; everything else documents one.
        if (op.body) assert.ok(Object.values(entry.requestBody?.content ?? {})[0]?.schema, `${where}: request body schema`);
      }
      const ok = entry.responses[String(op.status ?? 200)]?.content?.['application/json']?.schema;
      assert.ok(ok, `${where}: response schema`);
      assert.ok(ok['properties'] || ok['oneOf'] || ok['additionalProperties'] === true, `${where}: the response schema names its members`);
      for (const code of ['400', '401', '403']) assert.ok(entry.responses[code], `${where}: problem ${code}`);
    }
  });
});

describe('every mutation leaves an audit record and an event', () => {
  test('S18: each mutating route (and the export), driven over HTTP, is audited as its use case with the admin client as actor and emits an event with that actor; answers match their schemas', async () => {
    const driven = new Set<string>();
    /** Calls a route; for a mutation checks the audit record and the event(s) it left. */
    const run = async (method: string, template: string, path: string, opts: { body?: unknown; type?: string; useCase?: string; status?: number } = {}) => {
      const seen = events.length;
      const r = await api.call(method, path, { ...(opts.body === undefined ? {} : { body: opts.body }), ...(opts.type ? { type: opts.type } : {}) });
      const op = adminOperations(s.gh.services.application).find((o) => o.method === method && o.path === template);
      assert.ok(op, `${method} ${template} is a route`);
      assert.equal(r.status, opts.status ?? op.status ?? 200, `${method} ${path}: ${JSON.stringify(r.body).slice(0, 300)}`);
      assertMatchesSchema(method, template, r);
      if (method === 'GET' && !op.adminScope) return r;
      driven.add(`${method} ${template}`);
      const action = opts.useCase ?? op.useCase;
      const audit = (await s.gh.services.application.run('audit.list', CLI, { action, actor: adminId, limit: 1 })) as {
        items: { outcome: string; origin: string }[];
      };
      assert.equal(audit.items[0]?.outcome, 'success', `${method} ${template}: audit record of ${action}`);
      assert.equal(audit.items[0]?.origin, '127.0.0.1');
      const fresh = events.slice(seen).filter((e) => (e.payload['actor'] as { id?: string } | undefined)?.id === adminId);
      assert.ok(
        fresh.length > 0,
        `${method} ${template}: an event with the admin client as actor (saw ${
          events
            .slice(seen)
            .map((e) => e.name)
            .join(', ') || 'none'
        })`,
      );
      return r;
    };
    const merge = 'application/merge-patch+json';

    // Clients.
    const c = await run('POST', '/clients', '/clients', {
      body: { client_name: 'matrix', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', scope: 'read' },
    });
    const cid = c.body['client_id'] as string;
    await run('GET', '/clients', '/clients?limit=2&sort=-created_at');
    await run('GET', '/clients/:id', `/clients/${cid}`);
    await run('PATCH', '/clients/:id', `/clients/${cid}`, { body: { client_name: 'matrix 2' }, type: merge });
    await run('POST', '/clients/:id/disable', `/clients/${cid}/disable`);
    await run('POST', '/clients/:id/enable', `/clients/${cid}/enable`);
    await run('POST', '/clients/:id/rotate-secret', `/clients/${cid}/rotate-secret`);
    await run('POST', '/clients/disable', '/clients/disable', { body: { client_ids: ['no-such-client', cid] }, useCase: 'clients.disable' });
    await run('POST', '/clients/:id/revoke-tokens', `/clients/${cid}/revoke-tokens`);
    await run('DELETE', '/clients/:id', `/clients/${cid}`);

    // Users.
    const u = await run('POST', '/users', '/users', { body: { username: 'matrix-user', password: 'correct horse battery staple' } });
    const uid = u.body['id'] as string;
    await run('GET', '/users', '/users?limit=2');
    await run('GET', '/users/:id', `/users/${uid}`);
    await run('PATCH', '/users/:id', `/users/${uid}`, { body: { claims: { name: 'Matrix' } }, type: merge });
    await run('POST', '/users/:id/disable', `/users/${uid}/disable`);
    await run('POST', '/users/:id/enable', `/users/${uid}/enable`);
    await run('POST', '/users/:id/unlock', `/users/${uid}/unlock`);
    await run('POST', '/users/:id/password', `/users/${uid}/password`, { body: { password: 'another long passphrase here' } });
    await run('POST', '/users/:id/revoke-tokens', `/users/${uid}/revoke-tokens`);
    await run('POST', '/tokens/revoke', '/tokens/revoke', { body: { user: uid }, useCase: 'grants.revoke_for_user' });

    // The signed-in user's grant, session and consent.
    const grants = await run('GET', '/grants', `/grants?user=${user.id}`);
    await run('GET', '/tokens', `/tokens?client_id=${rp.client_id}`);
    const grantId = (grants.body['items'] as { grant_id: string }[])[0]?.grant_id;
    assert.ok(grantId, 'the sign-in left a grant');
    await run('DELETE', '/grants/:id', `/grants/${grantId}`);
    const sessions = await run('GET', '/sessions', `/sessions?user=${user.id}`);
    const sid = (sessions.body['items'] as { sid: string }[])[0]?.sid;
    assert.ok(sid, 'the sign-in left a session');
    await run('GET', '/consents', `/consents?user=${user.id}`);
    await run('DELETE', '/consents/:user/:client_id', `/consents/${user.id}/${rp.client_id}`);
    await run('DELETE', '/sessions/:id', `/sessions/${sid}`);
    await codeFlow(s, await rpConfig(s, rp), rp, new UserAgent(s.url), user, { scope: 'openid' });
    const everywhere = await run('POST', '/users/:id/end-sessions', `/users/${user.id}/end-sessions`);
    assert.ok(Number(everywhere.body['session_epoch']) >= 1, 'a new session generation: the console sessions of the user end too');

    // Keys, audit, device codes, events, settings.
    await run('GET', '/keys', '/keys');
    await run('POST', '/keys/rotate', '/keys/rotate', { body: { algs: ['ES256'] } });
    await run('GET', '/audit', '/audit?limit=3');
    await run('GET', '/audit/verify', '/audit/verify');
    const tv = await createTestClient(s.gh, { token_endpoint_auth_method: 'none', grant_types: [DEVICE_CODE_GRANT_TYPE], scope: 'read' });
    const as = await discover(s.url);
    await oauth.processDeviceAuthorizationResponse(
      as,
      { client_id: tv.client_id },
      await oauth.deviceAuthorizationRequest(as, { client_id: tv.client_id }, oauth.None(), { scope: 'read' }, INSECURE),
    );
    const pending = await run('GET', '/device-codes', '/device-codes');
    const deviceId = (pending.body['items'] as { id: string; client_id: string }[]).find((d) => d.client_id === tv.client_id)!.id;
    await run('POST', '/device-codes/:id/deny', `/device-codes/${deviceId}/deny`);
    await run('GET', '/events', '/events');
    await run('GET', '/events/sinks', '/events/sinks');
    await run('GET', '/settings', '/settings');

    // Export and import (upsert of what was just exported: every record replaced).
    const exported = await run('GET', '/export', '/export');
    await run('POST', '/import', '/import?mode=upsert', { body: exported.body });
    await run('DELETE', '/users/:id', `/users/${uid}`);

    // Every mutating route (and the export) was driven: a new one must be added here.
    const mutating = adminOperations(s.gh.services.application)
      .filter((op) => op.method !== 'GET' || op.adminScope)
      .map((op) => `${op.method} ${op.path}`)
      .sort();
    assert.deepEqual([...driven].sort(), mutating);
  });
});

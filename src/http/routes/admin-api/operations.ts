import { z } from 'zod';
import type { Actor, Application } from '../../../app/index.ts';
import { sha256 } from '../../../core/crypto.ts';
import { GatehouseError } from '../../../core/errors.ts';
import { isObject, mergePatch } from './merge-patch.ts';
import * as R from './responses.ts';

/**
 * The admin API's operation table (issue #11 interface): each path on one application use case,
 * with what the OpenAPI document says about it. routes.ts registers them. Over 400 lines (S10)
 * because it is one declarative table of ~40 routes, read top to bottom like the docs' table.
 */
export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
export type Params = Readonly<Record<string, string>>;
export type Query = Readonly<Record<string, string | undefined>>;

/** The object a route acts on, for `ETag` / `If-Match`: the use case that shows it and its input. */
export interface Target {
  readonly show: string;
  readonly input: (params: Params) => Record<string, unknown>;
}

/** One admin API operation: a path on top of one application use case (S18). */
export interface Operation {
  readonly method: Method;
  readonly path: string;
  readonly useCase: string;
  readonly tag: string;
  /** The use case input from the request; default: the path parameters. */
  readonly input?: (req: { params: Params; query: Query; body: unknown }, app: Application, actor: Actor) => unknown | Promise<unknown>;
  /** Reshapes the use case output for the wire. */
  readonly output?: (out: unknown) => unknown;
  readonly status?: 200 | 201;
  /** A read that needs the full `gatehouse:admin` scope (the export holds password hashes). */
  readonly adminScope?: true;
  /** JSON Schema of the 2xx answer (responses.ts): every operation documents what it returns. */
  readonly response: Record<string, unknown>;
  /** GET one: answers with an ETag; mutations of it honour If-Match. */
  readonly target?: Target;
  /** Documented query parameters (lists). */
  readonly query?: Readonly<Record<string, { type: 'string' | 'integer'; description?: string; enum?: readonly string[] }>>;
  /** Documented request body (JSON Schema); default: none. */
  readonly body?: Record<string, unknown>;
  readonly summary?: string;
  /** Largest request body, in bytes (default ADMIN_BODY_LIMIT). */
  readonly bodyLimit?: number;
  /** Instead of one run of `useCase`: several runs, or a use case chosen by the body (bulk operations). */
  readonly run?: (application: Application, actor: Actor, body: unknown) => Promise<unknown>;
}

/**
 * The parsed query string as one string per name. Fastify parses a repeated key (`?sort=a&sort=b`)
 * into an array: every admin parameter is single-valued, so that is bad input (400 naming the
 * parameter), not something for a handler to trip over.
 */
export function singleValuedQuery(raw: unknown): Query {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
    if (typeof v !== 'string') throw new GatehouseError('GH_INVALID_INPUT', `${k}: give this query parameter once`);
    out[k] = v;
  }
  return out;
}

const NUMERIC_QUERY = new Set(['limit', 'since', 'until']);
const LIST_QUERY = {
  limit: { type: 'integer', description: '1–500, default 50' },
  cursor: { type: 'string', description: 'next_cursor of the previous page' },
  q: { type: 'string', description: 'search (prefix)' },
  sort: { type: 'string', description: '`field` ascending or `-field` descending' },
} as const;

/**
 * `?limit=&cursor=&q=&sort=field|-field` (plus filters) as a list use case's input: numbers
 * parsed, `-field` split into sort and order. Unknown parameters reach the use case, whose
 * strict schema names them (GH_INVALID_INPUT).
 */
export function listInput(query: Query, sortable: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    if (k === 'sort') {
      const desc = v.startsWith('-');
      if (desc) out['order'] = 'desc';
      else if (!sortable) out['order'] = 'asc';
      if (sortable) out['sort'] = desc ? v.slice(1) : v;
    } else out[k] = NUMERIC_QUERY.has(k) && /^\d{1,15}$/.test(v) ? Number(v) : v;
  }
  return out;
}

/** `"…"`: a strong validator of the JSON view (RFC 9110 §8.8.3). */
export function etagOf(view: unknown): string {
  return `"${sha256(JSON.stringify(view)).slice(0, 32)}"`;
}

/** RFC 9110 §13.1.1: whether `If-Match` holds for the current representation's ETag. */
export function ifMatchHolds(header: string, current: string): boolean {
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim() === current);
}

const flattenSecret = (out: unknown): unknown => {
  const o = out as { client: Record<string, unknown>; client_secret: string | null };
  return { ...o.client, ...(o.client_secret === null ? {} : { client_secret: o.client_secret }) };
};

const body = (req: { body: unknown }): Record<string, unknown> => (isObject(req.body) ? req.body : {});
const objectBody = { type: 'object', additionalProperties: true } as const;
const clientTarget: Target = { show: 'clients.show', input: (p) => ({ client_id: p['id'] }) };
const userTarget: Target = { show: 'users.show', input: (p) => ({ user: p['id'] }) };
const byClient = (p: Params) => ({ client_id: p['id'] });
const byUser = (p: Params) => ({ user: p['id'] });

/** Every admin API operation (issue #11 interface), each on its application use case. */
export function adminOperations(app: Application, limits: { readonly importBodyLimit: number } = { importBodyLimit: ADMIN_BODY_LIMIT }): readonly Operation[] {
  const schemaOf = (name: string): Record<string, unknown> => {
    const uc = app.catalog.find((c) => c.name === name);
    return uc ? (z.toJSONSchema(uc.input, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>) : objectBody;
  };
  /** The JSON Schema of one member of a use case's input (the PATCH body is `metadata` of clients.update). */
  const memberSchema = (name: string, member: string): Record<string, unknown> => {
    const props = schemaOf(name)['properties'] as Record<string, Record<string, unknown>> | undefined;
    return props?.[member] ?? objectBody;
  };
  return [
    // Clients (RFC 7591 metadata names in and out).
    {
      method: 'GET',
      path: '/clients',
      response: R.listOf(R.clientSchema, 'Clients'),
      useCase: 'clients.list',
      tag: 'clients',
      query: LIST_QUERY,
      input: (r) => listInput(r.query, true),
    },
    {
      method: 'GET',
      path: '/clients/:id',
      response: R.clientSchema,
      useCase: 'clients.show',
      tag: 'clients',
      input: (r) => byClient(r.params),
      target: clientTarget,
    },
    {
      method: 'POST',
      path: '/clients',
      response: R.clientWithSecretSchema,
      useCase: 'clients.create',
      tag: 'clients',
      status: 201,
      body: schemaOf('clients.create'),
      input: (r) => r.body ?? {},
      output: flattenSecret,
      summary: 'Register a client (RFC 7591 metadata); 201 with the client and, once, its client_secret',
    },
    {
      method: 'PATCH',
      path: '/clients/:id',
      response: R.clientSchema,
      useCase: 'clients.update',
      tag: 'clients',
      target: clientTarget,
      body: { ...memberSchema('clients.update', 'metadata'), description: 'RFC 7396 JSON merge patch of the RFC 7591 metadata (null removes a member)' },
      // RFC 7396: each patched member is merged into its current value (null removes it).
      input: async (r, application, actor) => {
        if (!isObject(r.body)) throw new GatehouseError('GH_INVALID_INPUT', 'the merge patch must be a JSON object');
        const current = (await application.run('clients.show', actor, byClient(r.params))) as Record<string, unknown>;
        const metadata: Record<string, unknown> = {};
        for (const [m, v] of Object.entries(r.body)) metadata[m] = v === null ? null : mergePatch(current[m], v);
        return { client_id: r.params['id'], metadata };
      },
      output: (out) => (out as { client: unknown }).client,
    },
    {
      method: 'DELETE',
      path: '/clients/:id',
      response: R.results.clientDeleted,
      useCase: 'clients.delete',
      tag: 'clients',
      input: (r) => byClient(r.params),
      target: clientTarget,
    },
    {
      method: 'POST',
      path: '/clients/:id/disable',
      response: R.clientSchema,
      useCase: 'clients.disable',
      tag: 'clients',
      input: (r) => byClient(r.params),
      target: clientTarget,
    },
    {
      method: 'POST',
      path: '/clients/:id/enable',
      response: R.clientSchema,
      useCase: 'clients.enable',
      tag: 'clients',
      input: (r) => byClient(r.params),
      target: clientTarget,
    },
    {
      method: 'POST',
      path: '/clients/:id/rotate-secret',
      response: R.clientWithSecretSchema,
      useCase: 'clients.rotate_secret',
      tag: 'clients',
      input: (r) => byClient(r.params),
      target: clientTarget,
      output: flattenSecret,
    },
    {
      method: 'POST',
      path: '/clients/disable',
      response: R.results.bulkDisabled,
      useCase: 'clients.disable',
      tag: 'clients',
      body: {
        type: 'object',
        required: ['client_ids'],
        properties: { client_ids: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: MAX_BULK } },
        additionalProperties: false,
      },
      summary: `Bulk: disable up to ${MAX_BULK} clients; one clients.disable (audit record, event) per client, each outcome reported`,
      run: (application, actor, b) => bulkDisable(application, actor, b),
    },
    {
      method: 'POST',
      path: '/clients/:id/revoke-tokens',
      response: R.results.clientGrantsRevoked,
      useCase: 'grants.revoke_for_client',
      tag: 'clients',
      input: (r) => byClient(r.params),
      target: clientTarget,
      summary: 'Bulk: revoke every grant and token issued to the client',
    },
    // Users.
    {
      method: 'GET',
      path: '/users',
      response: R.listOf(R.userSchema, 'Users'),
      useCase: 'users.list',
      tag: 'users',
      query: LIST_QUERY,
      input: (r) => listInput(r.query, true),
    },
    { method: 'GET', path: '/users/:id', response: R.userSchema, useCase: 'users.show', tag: 'users', input: (r) => byUser(r.params), target: userTarget },
    {
      method: 'POST',
      path: '/users',
      response: R.userSchema,
      useCase: 'users.create',
      tag: 'users',
      status: 201,
      body: schemaOf('users.create'),
      input: (r) => r.body ?? {},
    },
    {
      method: 'PATCH',
      path: '/users/:id',
      response: R.userSchema,
      useCase: 'users.update',
      tag: 'users',
      target: userTarget,
      body: {
        ...withoutMember(schemaOf('users.update'), 'user'),
        description: 'RFC 7396 JSON merge patch: claims and attributes merge (null removes one), roles and groups replace',
      },
      input: (r) => ({ ...body(r), user: r.params['id'] }),
    },
    {
      method: 'DELETE',
      path: '/users/:id',
      response: R.results.userDeleted,
      useCase: 'users.delete',
      tag: 'users',
      input: (r) => byUser(r.params),
      target: userTarget,
    },
    {
      method: 'POST',
      path: '/users/:id/disable',
      response: R.userWithEndedSchema,
      useCase: 'users.disable',
      tag: 'users',
      input: (r) => byUser(r.params),
      target: userTarget,
    },
    {
      method: 'POST',
      path: '/users/:id/enable',
      response: R.userSchema,
      useCase: 'users.enable',
      tag: 'users',
      input: (r) => byUser(r.params),
      target: userTarget,
    },
    {
      method: 'POST',
      path: '/users/:id/unlock',
      response: R.results.userUnlocked,
      useCase: 'users.unlock',
      tag: 'users',
      input: (r) => byUser(r.params),
      target: userTarget,
    },
    {
      method: 'POST',
      path: '/users/:id/password',
      response: R.userWithEndedSchema,
      useCase: 'users.set_password',
      tag: 'users',
      target: userTarget,
      body: { type: 'object', required: ['password'], properties: { password: { type: 'string' } }, additionalProperties: false },
      input: (r) => ({ ...body(r), user: r.params['id'] }),
    },
    {
      method: 'POST',
      path: '/users/:id/revoke-tokens',
      response: R.results.userGrantsRevoked,
      useCase: 'grants.revoke_for_user',
      tag: 'users',
      input: (r) => byUser(r.params),
      target: userTarget,
      summary: 'Bulk: revoke every grant and token of the user',
    },
    {
      method: 'POST',
      path: '/users/:id/end-sessions',
      response: R.results.sessionsEnded,
      useCase: 'sessions.end_all',
      tag: 'users',
      input: (r) => byUser(r.params),
      target: userTarget,
    },
    // Grants (a grant groups the tokens of one authorization) and tokens.
    {
      method: 'GET',
      path: '/grants',
      response: R.listOf(R.grantSchema, 'Grants'),
      useCase: 'grants.list',
      tag: 'grants',
      query: { ...LIST_QUERY, user: { type: 'string' }, client_id: { type: 'string' } },
      input: (r) => listInput(r.query, true),
    },
    {
      method: 'DELETE',
      path: '/grants/:id',
      response: R.results.grantRevoked,
      useCase: 'grants.revoke',
      tag: 'grants',
      input: (r) => ({ grant_id: r.params['id'] }),
    },
    {
      method: 'GET',
      path: '/tokens',
      response: R.listOf(R.grantSchema, 'Live tokens grouped by grant'),
      useCase: 'grants.list',
      tag: 'tokens',
      query: { ...LIST_QUERY, user: { type: 'string' }, client_id: { type: 'string' } },
      input: (r) => listInput(r.query, true),
      summary: 'Live tokens, grouped by grant (the same list as /grants)',
    },
    {
      method: 'POST',
      path: '/tokens/revoke',
      response: R.results.grantsRevoked,
      useCase: 'grants.revoke_for_user',
      tag: 'tokens',
      body: { type: 'object', properties: { user: { type: 'string' }, client_id: { type: 'string' } } },
      summary: 'Bulk: revoke every token of a user ({"user"}) or of a client ({"client_id"})',
      run: (application, actor, b) => {
        const { name, input } = bulkRevoke(b);
        return application.run(name, actor, input);
      },
    },
    // Sessions and consents.
    {
      method: 'GET',
      path: '/sessions',
      response: R.listOf(R.sessionSchema, 'Signed-in accounts'),
      useCase: 'sessions.list',
      tag: 'sessions',
      query: { ...LIST_QUERY, user: { type: 'string' } },
      input: (r) => listInput(r.query, true),
    },
    {
      method: 'DELETE',
      path: '/sessions/:id',
      response: R.results.sessionsEnded,
      useCase: 'sessions.end',
      tag: 'sessions',
      input: (r) => ({ sid: r.params['id'] }),
    },
    {
      method: 'GET',
      path: '/consents',
      response: R.listOf(R.consentSchema, 'Consents'),
      useCase: 'consents.list',
      tag: 'consents',
      query: { ...LIST_QUERY, user: { type: 'string' } },
      input: (r) => listInput(r.query, true),
    },
    {
      method: 'DELETE',
      path: '/consents/:user/:client_id',
      response: R.results.consentRevoked,
      useCase: 'consents.revoke',
      tag: 'consents',
      input: (r) => ({ user: r.params['user'], client_id: r.params['client_id'] }),
    },
    // Keys and audit.
    {
      method: 'GET',
      path: '/keys',
      response: R.listOf(R.keySchema, 'Signing keys'),
      useCase: 'keys.list',
      tag: 'keys',
      query: LIST_QUERY,
      input: (r) => listInput(r.query, true),
    },
    {
      method: 'POST',
      path: '/keys/rotate',
      response: R.results.keysRotated,
      useCase: 'keys.rotate',
      tag: 'keys',
      body: schemaOf('keys.rotate'),
      input: (r) => r.body ?? {},
    },
    {
      method: 'GET',
      path: '/audit',
      response: R.listOf(R.auditRecordSchema, 'Audit records'),
      useCase: 'audit.list',
      tag: 'audit',
      query: {
        limit: LIST_QUERY.limit,
        cursor: LIST_QUERY.cursor,
        sort: { type: 'string', description: '`seq` (oldest first) or `-seq` (newest first, the default)' },
        since: { type: 'integer', description: 'epoch ms' },
        until: { type: 'integer', description: 'epoch ms' },
        actor: { type: 'string' },
        action: { type: 'string' },
        object: { type: 'string' },
      },
      input: (r) => listInput(r.query, false),
    },
    { method: 'GET', path: '/audit/verify', response: R.auditVerifySchema, useCase: 'audit.verify', tag: 'audit', input: () => ({}) },
    // Events (the outbox) and sink health.
    {
      method: 'GET',
      path: '/events',
      response: R.listOf(R.eventSchema, 'Outbox events'),
      useCase: 'events.list',
      tag: 'events',
      query: {
        limit: LIST_QUERY.limit,
        cursor: LIST_QUERY.cursor,
        q: { type: 'string', description: 'an exact CloudEvents type (`gatehouse.client.created`)' },
        sort: { type: 'string', description: '`-created_at` only (newest first)' },
      },
      input: (r) => listInput(r.query, false),
    },
    { method: 'GET', path: '/events/sinks', response: R.sinkHealthSchema, useCase: 'events.health', tag: 'events', input: () => ({}) },
    // Device authorization requests (RFC 8628).
    {
      method: 'GET',
      path: '/device-codes',
      response: R.listOf(R.deviceCodeSchema, 'Pending device authorization requests'),
      useCase: 'device_codes.list',
      tag: 'device-codes',
      query: {
        ...LIST_QUERY,
        q: { type: 'string', description: 'client id prefix' },
        sort: { type: 'string', description: '`issued_at` (oldest first, the default) or `-issued_at`' },
      },
      input: (r) => listInput(r.query, true),
    },
    {
      method: 'POST',
      path: '/device-codes/:id/deny',
      response: R.results.deviceDenied,
      useCase: 'device_codes.deny',
      tag: 'device-codes',
      input: (r) => ({ id: r.params['id'] }),
    },
    // Settings (read-only: docs/admin-api.md says why).
    { method: 'GET', path: '/settings', response: R.settingsSchema, useCase: 'settings.show', tag: 'settings', input: () => ({}) },
    // Export and import (backup, migration between deployments and backends).
    { method: 'GET', path: '/export', response: R.exportSchema, adminScope: true, useCase: 'data.export', tag: 'data', input: () => ({}) },
    {
      method: 'POST',
      path: '/import',
      response: R.importResultSchema,
      useCase: 'data.import',
      tag: 'data',
      query: { mode: { type: 'string', enum: ['create', 'upsert'], description: '`create` (default): refuse ids that exist; `upsert`: replace them' } },
      body: { ...memberSchema('data.import', 'document'), description: 'An export document (GET /export)' },
      bodyLimit: limits.importBodyLimit,
      input: (r) => ({ ...(r.query['mode'] === undefined ? {} : { mode: r.query['mode'] }), document: r.body }),
    },
  ];
}

const MAX_BULK = 100;
/** Largest admin API request body but an import document (http.importBodyLimit). */
export const ADMIN_BODY_LIMIT = 256 * 1024;

/**
 * `POST /clients/disable`: clients.disable for each id in turn (each its own audit record and
 * event, as if called one by one); a failure is reported for its id and the rest go on.
 */
async function bulkDisable(application: Application, actor: Actor, b: unknown): Promise<unknown> {
  const ids = isObject(b) ? b['client_ids'] : undefined;
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_BULK || !ids.every((i) => typeof i === 'string') || Object.keys(b as object).length !== 1) {
    throw new GatehouseError('GH_INVALID_INPUT', `client_ids: give 1 to ${MAX_BULK} client ids (and nothing else)`);
  }
  const items: Record<string, unknown>[] = [];
  for (const id of new Set(ids as string[])) {
    try {
      await application.run('clients.disable', actor, { client_id: id });
      items.push({ client_id: id, disabled: true });
    } catch (e) {
      // Only operator-facing codes are named; anything else (a store outage) stops the batch.
      if (!(e instanceof GatehouseError) || !['GH_NOT_FOUND', 'GH_INVALID_INPUT', 'GH_CONFLICT'].includes(e.code)) throw e;
      items.push({ client_id: id, disabled: false, code: e.code, detail: e.message });
    }
  }
  return { items };
}

/** A use case's input schema without a member the path supplies (`user` of users.update). */
function withoutMember(schema: Record<string, unknown>, member: string): Record<string, unknown> {
  const { [member]: _drop, ...properties } = (schema['properties'] ?? {}) as Record<string, unknown>;
  const required = Array.isArray(schema['required']) ? (schema['required'] as string[]).filter((r) => r !== member) : undefined;
  return { ...schema, properties, ...(required ? { required } : {}) };
}

/** Which use case `POST /tokens/revoke` runs: by user or by client. */
function bulkRevoke(b: unknown): { name: string; input: unknown } {
  const o = isObject(b) ? b : {};
  if (typeof o['user'] === 'string' && o['client_id'] === undefined) return { name: 'grants.revoke_for_user', input: { user: o['user'] } };
  if (typeof o['client_id'] === 'string' && o['user'] === undefined) return { name: 'grants.revoke_for_client', input: { client_id: o['client_id'] } };
  throw new GatehouseError('GH_INVALID_INPUT', 'give exactly one of user and client_id');
}

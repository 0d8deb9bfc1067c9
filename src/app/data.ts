import { z } from 'zod';
import { GatehouseError, OAuthError } from '../core/errors.ts';
import { BUILT_IN_CLIENT_IDS } from '../core/clients/built-in-clients.ts';
import { usesSecret } from '../core/clients/client-secrets.ts';
import type { Client } from '../core/model/client.ts';
import type { User } from '../core/model/user.ts';
import { clientInformation } from '../core/registration/client-information.ts';
import { operatorPolicy, validateClientMetadata } from '../core/registration/client-metadata.ts';
import { applyAttributeChange } from '../core/users/user-attributes.ts';
import { checkGroups, checkRoles, normalizeUsername } from '../core/users/user-rules.ts';
import { parseStandardClaims } from '../core/users/standard-claims.ts';
import { defineUseCase, type UseCaseContext } from './use-case.ts';

/**
 * Export and import (docs/admin-api.md "Export and import"): clients and users in their stored
 * form, so that secrets keep working without ever being known. A client's secret travels as the
 * SHA-256 the server checks (client_secret_basic/post) and, for client_secret_jwt, as its value
 * sealed under the KEK (opens only where that KEK is configured, current or previous); a user's
 * password as its argon2id hash. Signing keys are not exported: their private parts are sealed
 * under this deployment's KEK and the public ones are at /jwks; a new deployment generates its own.
 */
export const EXPORT_FORMAT = 'gatehouse.export';
export const EXPORT_VERSION = 1;
/** Most clients plus users one document carries (S20): the import validates all before writing any. */
export const MAX_EXPORT_RECORDS = 50_000;

const PAGE = 500;
const SHA256_B64URL = /^[A-Za-z0-9_-]{43}$/;
const SEALED = /^v[12]\.[A-Za-z0-9_.-]{10,4096}$/;
const PHC = /^\$argon2(id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

/** Members of an exported client that are not RFC 7591 metadata. */
const CLIENT_STATE = [
  'client_id',
  'client_id_issued_at',
  'client_secret_expires_at',
  'disabled',
  'updated_at',
  'secret_hash',
  'secret_sealed',
  'registration_access_token_hash',
] as const;

function exportClient(c: Client): Record<string, unknown> {
  return {
    ...clientInformation(c),
    disabled: c.disabled,
    updated_at: c.updatedAt,
    secret_hash: c.secretHash,
    secret_sealed: c.secretEncrypted,
    registration_access_token_hash: c.registrationAccessTokenHash,
  };
}

function exportUser(u: User): Record<string, unknown> {
  return {
    id: u.id,
    username: u.username,
    password_hash: u.passwordHash,
    roles: [...u.roles],
    claims: u.claims,
    attributes: u.attributes,
    groups: [...u.groups],
    disabled: u.disabled,
    created_at: u.createdAt,
    updated_at: u.updatedAt,
  };
}

async function all<T>(
  page: (after: { k: string; id: string } | undefined) => Promise<{ items: readonly T[]; next: { k: string | number; id: string } | null }>,
): Promise<T[]> {
  const out: T[] = [];
  for (let after: { k: string; id: string } | undefined; ; ) {
    const p = await page(after);
    out.push(...p.items);
    if (p.next === null || out.length > MAX_EXPORT_RECORDS) return out;
    after = { k: String(p.next.k), id: p.next.id };
  }
}

export const exportUseCase = defineUseCase({
  name: 'data.export',
  summary: 'Export clients, users and (informational) settings as one JSON document; secrets only as their stored hashes',
  role: 'admin',
  input: z.strictObject({}),
  // Audited and announced: the document holds password hashes.
  event: 'data.exported',
  handle: async (ctx) => {
    const { deps } = ctx;
    // Built-in clients (the console's) are each deployment's own: provisioned at its start, never carried over.
    const clients = (
      await all((after) => deps.clients.page(deps.tenantId, { limit: PAGE, sort: 'client_id', order: 'asc', ...(after ? { after } : {}) }))
    ).filter((c) => !BUILT_IN_CLIENT_IDS.has(c.clientId));
    const users = await all((after) => deps.users.page(deps.tenantId, { limit: PAGE, sort: 'username', order: 'asc', ...(after ? { after } : {}) }));
    if (clients.length + users.length > MAX_EXPORT_RECORDS) {
      throw new GatehouseError('GH_INVALID_INPUT', `more than ${MAX_EXPORT_RECORDS} clients and users: too many for one export document`);
    }
    ctx.emit({ clients: clients.length, users: users.length });
    return {
      format: EXPORT_FORMAT,
      version: EXPORT_VERSION,
      exported_at: ctx.now(),
      issuer: deps.config.issuer,
      clients: clients.map(exportClient),
      users: users.map(exportUser),
      settings: deps.settings?.() ?? {},
    };
  },
});

const documentSchema = z.strictObject({
  format: z.literal(EXPORT_FORMAT),
  version: z.literal(EXPORT_VERSION),
  exported_at: z.number().int().nonnegative().optional(),
  issuer: z.string().max(2000).optional(),
  clients: z.array(z.record(z.string(), z.unknown())).max(MAX_EXPORT_RECORDS).default([]),
  users: z.array(z.record(z.string(), z.unknown())).max(MAX_EXPORT_RECORDS).default([]),
  // Informational: settings come from config files and the environment, never from an import.
  settings: z.record(z.string(), z.unknown()).optional(),
});

const epoch = z.number().int().nonnegative().max(1e11);
const clientStateSchema = z.strictObject({
  client_id: z.string().regex(/^[A-Za-z0-9._~-]{1,255}$/, 'letters, digits and . _ ~ - (1-255)'),
  client_id_issued_at: epoch,
  client_secret_expires_at: epoch.optional(),
  disabled: z.boolean().default(false),
  updated_at: epoch.optional(),
  secret_hash: z.string().regex(SHA256_B64URL, 'a SHA-256 (base64url) as exported').nullable().default(null),
  secret_sealed: z.string().regex(SEALED, 'a sealed value as exported').nullable().default(null),
  registration_access_token_hash: z.string().regex(SHA256_B64URL).nullable().default(null),
});

const userSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._:@-]{1,255}$/, 'letters, digits and . _ : @ - (1-255)'),
  username: z.string().min(1).max(64),
  password_hash: z.string().regex(PHC, 'an argon2 PHC string as exported').nullable().default(null),
  roles: z.array(z.string()).default([]),
  claims: z.record(z.string(), z.unknown()).default({}),
  attributes: z.record(z.string(), z.unknown()).default({}),
  groups: z.array(z.string()).default([]),
  disabled: z.boolean().default(false),
  created_at: epoch,
  updated_at: epoch.optional(),
});

const messageOf = (e: unknown): string =>
  e instanceof OAuthError ? `${e.code}: ${e.description ?? ''}` : e instanceof GatehouseError ? e.message : e instanceof z.ZodError ? describe(e) : String(e);
const describe = (e: z.ZodError): string => e.issues.map((i) => `${i.path.map(String).join('.') || 'value'}: ${i.message}`).join('; ');

type Ctx = UseCaseContext<'data.imported'>;

/** Every record turned into what the store holds, or every problem found, named by position and id. */
function validateDocument(ctx: Ctx, doc: z.output<typeof documentSchema>): { clients: Client[]; users: User[] } {
  const problems: string[] = [];
  const { deps } = ctx;
  const policy = operatorPolicy(deps.config);
  const now = ctx.now();
  const clients: Client[] = [];
  const seenClients = new Set<string>();
  doc.clients.forEach((raw, i) => {
    const state = Object.fromEntries(CLIENT_STATE.filter((k) => k in raw).map((k) => [k, raw[k]]));
    const metadata = Object.fromEntries(Object.entries(raw).filter(([k]) => !(CLIENT_STATE as readonly string[]).includes(k)));
    const where = `clients.${i}${typeof raw['client_id'] === 'string' ? ` (${raw['client_id'].slice(0, 64)})` : ''}`;
    try {
      const s = clientStateSchema.parse(state);
      if (seenClients.has(s.client_id)) throw new GatehouseError('GH_INVALID_INPUT', 'client_id appears twice in the document');
      if (BUILT_IN_CLIENT_IDS.has(s.client_id))
        throw new GatehouseError('GH_INVALID_INPUT', 'a built-in client: every server provisions its own, leave it out');
      seenClients.add(s.client_id);
      const m = validateClientMetadata(metadata, policy);
      const method = m.tokenEndpointAuthMethod;
      if (usesSecret(method) && s.secret_hash === null) throw new GatehouseError('GH_INVALID_INPUT', `${method} needs secret_hash`);
      if (method === 'client_secret_jwt' && s.secret_sealed === null) throw new GatehouseError('GH_INVALID_INPUT', 'client_secret_jwt needs secret_sealed');
      if (!usesSecret(method) && (s.secret_hash !== null || s.secret_sealed !== null)) throw new GatehouseError('GH_INVALID_INPUT', `${method} has no secret`);
      clients.push({
        tenantId: deps.tenantId,
        clientId: s.client_id,
        clientName: m.clientName,
        secretHash: s.secret_hash,
        secretEncrypted: method === 'client_secret_jwt' ? s.secret_sealed : null,
        secretExpiresAt: s.client_secret_expires_at ? s.client_secret_expires_at : null,
        tokenEndpointAuthMethod: method,
        tokenEndpointAuthSigningAlg: m.tokenEndpointAuthSigningAlg,
        grantTypes: m.grantTypes,
        responseTypes: m.responseTypes,
        redirectUris: m.redirectUris,
        scopes: m.scopes,
        jwks: m.jwks,
        jwksUri: m.jwksUri,
        accessTokenFormat: m.accessTokenFormat,
        metadata: m.extra,
        registrationAccessTokenHash: s.registration_access_token_hash,
        disabled: s.disabled,
        createdAt: s.client_id_issued_at,
        updatedAt: now,
      });
    } catch (e) {
      problems.push(`${where}: ${messageOf(e)}`);
    }
  });
  const users: User[] = [];
  const seenIds = new Set<string>();
  const seenNames = new Set<string>();
  const defs = deps.config.users.attributes ?? {};
  doc.users.forEach((raw, i) => {
    const where = `users.${i}${typeof raw['username'] === 'string' ? ` (${raw['username'].slice(0, 64)})` : ''}`;
    try {
      const u = userSchema.parse(raw);
      const username = normalizeUsername(u.username);
      if (username === null) throw new GatehouseError('GH_INVALID_INPUT', 'username must be 1 to 64 characters: letters, digits and . _ @ - only');
      if (seenIds.has(u.id)) throw new GatehouseError('GH_INVALID_INPUT', 'id appears twice in the document');
      if (seenNames.has(username)) throw new GatehouseError('GH_INVALID_INPUT', 'username appears twice in the document');
      seenIds.add(u.id);
      seenNames.add(username);
      users.push({
        tenantId: deps.tenantId,
        id: u.id,
        username,
        passwordHash: u.password_hash,
        roles: checkRoles(u.roles),
        claims: parseStandardClaims(u.claims),
        attributes: applyAttributeChange(defs, {}, { set: u.attributes as never }),
        groups: checkGroups(u.groups),
        disabled: u.disabled,
        createdAt: u.created_at,
        updatedAt: now,
      });
    } catch (e) {
      problems.push(`${where}: ${messageOf(e)}`);
    }
  });
  if (problems.length) throw invalidDocument(problems);
  return { clients, users };
}

function invalidDocument(problems: readonly string[]): GatehouseError {
  const shown = problems.slice(0, 20).join('; ');
  return new GatehouseError(
    'GH_INVALID_INPUT',
    `import refused, nothing written (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${shown}${problems.length > 20 ? '; …' : ''}`,
  );
}

export const importUseCase = defineUseCase({
  name: 'data.import',
  summary: 'Import an export document: validated whole first (nothing written on any problem); mode create (refuse existing ids) or upsert (replace them)',
  role: 'admin',
  input: z.strictObject({ mode: z.enum(['create', 'upsert']).default('create'), document: documentSchema }),
  event: 'data.imported',
  handle: async (ctx, input) => {
    const { deps } = ctx;
    const { clients, users } = validateDocument(ctx, input.document);
    // Against the store: which records exist (create mode refuses them), and usernames held by
    // another user id (refused in either mode: one username, one user).
    const problems: string[] = [];
    const existingClients = new Set<string>();
    for (const c of clients) if (await deps.clients.get(deps.tenantId, c.clientId)) existingClients.add(c.clientId);
    const existingUsers = new Set<string>();
    for (const u of users) {
      const stored = await deps.users.get(deps.tenantId, u.id);
      if (stored) existingUsers.add(u.id);
      if (stored && stored.username !== u.username)
        problems.push(`users (${u.id}): stored as ${stored.username}, the document says ${u.username} (renames are not imported)`);
      const holder = await deps.users.findByUsername(deps.tenantId, u.username);
      if (holder && holder.id !== u.id) problems.push(`users (${u.username}): the username belongs to another user (${holder.id})`);
    }
    if (input.mode === 'create') {
      for (const id of existingClients) problems.push(`clients (${id}): already exists (mode create; upsert replaces it)`);
      for (const id of existingUsers) problems.push(`users (${id}): already exists (mode create; upsert replaces it)`);
    }
    if (problems.length) throw invalidDocument(problems);

    // Writes: one store call per record. Stores have no transaction across records, so if one
    // fails (an outage, a record created meanwhile) the records this import CREATED are deleted
    // again; records an upsert REPLACED keep the new values (running the same upsert again
    // completes it). docs/admin-api.md says so.
    const created: { kind: 'client' | 'user'; id: string }[] = [];
    // Each record's own event goes out only once every write succeeded.
    const announce: (() => void)[] = [];
    const counts = { clientsCreated: 0, clientsUpdated: 0, usersCreated: 0, usersUpdated: 0 };
    try {
      for (const c of clients) {
        if (existingClients.has(c.clientId)) {
          const { tenantId: _t, clientId: _c, createdAt: _a, ...patch } = c;
          if (!(await deps.clients.update(deps.tenantId, c.clientId, patch)))
            throw new GatehouseError('GH_CONFLICT', `client ${c.clientId} was deleted during the import`);
          announce.push(() => ctx.events.publish('client.updated', { tenantId: deps.tenantId, clientId: c.clientId, via: ctx.via, change: 'imported' }));
          counts.clientsUpdated++;
        } else {
          await deps.clients.create(c);
          created.push({ kind: 'client', id: c.clientId });
          announce.push(() => ctx.events.publish('client.created', { tenantId: deps.tenantId, clientId: c.clientId, via: ctx.via }));
          counts.clientsCreated++;
        }
      }
      for (const u of users) {
        if (existingUsers.has(u.id)) {
          const { tenantId: _t, id: _i, username: _n, createdAt: _a, ...patch } = u;
          if (!(await deps.users.update(deps.tenantId, u.id, patch))) throw new GatehouseError('GH_CONFLICT', `user ${u.id} was deleted during the import`);
          announce.push(() => ctx.events.publish('user.updated', { tenantId: deps.tenantId, userId: u.id, via: ctx.via, change: 'imported' }));
          counts.usersUpdated++;
        } else {
          await deps.users.create(u);
          created.push({ kind: 'user', id: u.id });
          announce.push(() => ctx.events.publish('user.created', { tenantId: deps.tenantId, userId: u.id, via: ctx.via }));
          counts.usersCreated++;
        }
      }
    } catch (e) {
      for (const r of created.reverse()) {
        await (r.kind === 'client' ? deps.clients.delete(deps.tenantId, r.id) : deps.users.delete(deps.tenantId, r.id)).catch(() => false);
      }
      throw e;
    }
    for (const a of announce) a();
    ctx.emit({ mode: input.mode, ...counts });
    return {
      mode: input.mode,
      clients: { created: counts.clientsCreated, updated: counts.clientsUpdated },
      users: { created: counts.usersCreated, updated: counts.usersUpdated },
      // Settings are never applied: they come from config files and the environment (docs/admin-api.md).
      settings: 'ignored' as const,
    };
  },
});

export const dataUseCases = { export: exportUseCase, import: importUseCase } as const;

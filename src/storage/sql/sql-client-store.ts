import type { Insertable, Kysely, Selectable } from 'kysely';
import { GatehouseError } from '../../core/errors.ts';
import type { AccessTokenFormat, Client, ClientAuthMethod } from '../../core/model/client.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { ClientPatch, ClientSort, ClientStore } from '../../core/ports/client-store.ts';
import type { ListQuery, Page } from '../../core/ports/list.ts';
import { nameKey } from '../list-options.ts';
import { prepareQuery, type PreparedQuery, type RowValues, type SqlConnection } from './prepared-query.ts';
import type { ClientsTable, Database, SqlKind } from './schema.ts';
import type { ClientCache } from './sql-client-cache.ts';
import { isUniqueViolation } from './sql-errors.ts';
import { keyset, prefixRange, search, toPage, type KeysetColumns } from './sql-keyset.ts';

type Row = Selectable<ClientsTable>;
type Patchable = keyof ClientPatch;
type Encoders = { readonly [K in Patchable]-?: readonly [keyof ClientsTable, (v: NonNullable<ClientPatch[K]> | null) => unknown] };

const same = (v: unknown) => v;
const toJson = (v: unknown) => JSON.stringify(v);
const toJsonOrNull = (v: unknown) => (v === null ? null : JSON.stringify(v));

/** Field → column and encoding; used for inserts and for partial updates alike. */
const COLUMNS: Encoders = {
  clientName: ['client_name', same],
  secretHash: ['secret_hash', same],
  secretEncrypted: ['secret_encrypted', same],
  secretExpiresAt: ['secret_expires_at', same],
  tokenEndpointAuthMethod: ['token_endpoint_auth_method', same],
  tokenEndpointAuthSigningAlg: ['token_endpoint_auth_signing_alg', same],
  grantTypes: ['grant_types', toJson],
  responseTypes: ['response_types', toJson],
  redirectUris: ['redirect_uris', toJson],
  scopes: ['scopes', toJson],
  jwks: ['jwks', toJsonOrNull],
  jwksUri: ['jwks_uri', same],
  accessTokenFormat: ['access_token_format', same],
  metadata: ['metadata', toJson],
  registrationAccessTokenHash: ['registration_access_token_hash', same],
  disabled: ['disabled', (v) => (v ? 1 : 0)],
  updatedAt: ['updated_at', same],
};

function encode(fields: ClientPatch): Partial<Insertable<ClientsTable>> {
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(fields)) {
    const col = COLUMNS[field as Patchable];
    if (col && value !== undefined) out[col[0]] = (col[1] as (v: unknown) => unknown)(value);
  }
  // The name's sort and search key moves with the name (migration 0004).
  if (typeof fields.clientName === 'string') out.client_name_key = nameKey(fields.clientName);
  return out as Partial<Insertable<ClientsTable>>;
}

/** Every column, in the order `decode` reads them. */
const CLIENT_COLUMNS = [
  'tenant_id',
  'client_id',
  'client_name',
  'secret_hash',
  'secret_encrypted',
  'secret_expires_at',
  'token_endpoint_auth_method',
  'token_endpoint_auth_signing_alg',
  'grant_types',
  'response_types',
  'redirect_uris',
  'scopes',
  'jwks',
  'jwks_uri',
  'access_token_format',
  'metadata',
  'registration_access_token_hash',
  'disabled',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof ClientsTable)[];

type Values = RowValues<Row, typeof CLIENT_COLUMNS>;

/** A row as the values of CLIENT_COLUMNS, in order. */
function decode(r: Values): Client {
  const [
    tenantId,
    clientId,
    clientName,
    secretHash,
    secretEncrypted,
    secretExpiresAt,
    authMethod,
    authSigningAlg,
    grantTypes,
    responseTypes,
    redirectUris,
    scopes,
    jwks,
    jwksUri,
    accessTokenFormat,
    metadata,
    registrationAccessTokenHash,
    disabled,
    createdAt,
    updatedAt,
  ] = r;
  return {
    tenantId,
    clientId,
    clientName,
    secretHash,
    secretEncrypted,
    secretExpiresAt,
    tokenEndpointAuthMethod: authMethod as ClientAuthMethod,
    tokenEndpointAuthSigningAlg: authSigningAlg,
    grantTypes: JSON.parse(grantTypes) as string[],
    responseTypes: JSON.parse(responseTypes) as string[],
    redirectUris: JSON.parse(redirectUris) as string[],
    scopes: JSON.parse(scopes) as string[],
    jwks: jwks === null ? null : (JSON.parse(jwks) as Client['jwks']),
    jwksUri,
    accessTokenFormat: accessTokenFormat as AccessTokenFormat | null,
    metadata: JSON.parse(metadata) as Record<string, unknown>,
    registrationAccessTokenHash,
    disabled: Boolean(disabled),
    createdAt,
    updatedAt,
  };
}

/** Keyset columns per sort: (tenant_id, client_id) PK, clients_name_idx, clients_created_idx. */
const SORTS: Readonly<Record<ClientSort, KeysetColumns>> = {
  client_id: { k: 'client_id', id: null, numeric: false },
  client_name: { k: 'client_name_key', id: 'client_id', numeric: false },
  created_at: { k: 'created_at', id: 'client_id', numeric: true },
};

const rowValues = (r: Row) => CLIENT_COLUMNS.map((c) => r[c]) as unknown as Values;

export class SqlClientStore implements ClientStore {
  readonly #db: Kysely<Database>;
  readonly #kind: SqlKind;
  /** Client authentication looks a client up on every token, introspection and revocation call. */
  readonly #get: PreparedQuery;
  /** PostgreSQL/MySQL: recent reads (see ClientCache for the staleness bound). */
  readonly #cache: ClientCache | null;
  constructor(conn: SqlConnection) {
    this.#db = conn.db;
    this.#kind = conn.kind;
    this.#cache = conn.clientCache ?? null;
    this.#get = prepareQuery(
      conn,
      (p) => conn.db.selectFrom('clients').select(CLIENT_COLUMNS).where('tenant_id', '=', p(0)).where('client_id', '=', p(1)),
      CLIENT_COLUMNS,
    );
  }

  async create(client: Client): Promise<void> {
    const { tenantId, clientId, createdAt, ...rest } = client;
    this.#cache?.invalidate(tenantId, clientId);
    const row = { tenant_id: tenantId, client_id: clientId, created_at: createdAt, ...encode(rest) } as Insertable<ClientsTable>;
    try {
      await this.#db.insertInto('clients').values(row).execute();
    } catch (e) {
      if (isUniqueViolation(this.#kind, e)) throw new GatehouseError('GH_CONFLICT', `client ${clientId} already exists`);
      throw e;
    }
  }

  async get(tenantId: TenantId, clientId: string): Promise<Client | undefined> {
    const cache = this.#cache;
    const hit = cache?.get(tenantId, clientId);
    if (hit) return decode(hit as Values);
    const epoch = cache?.epoch ?? 0;
    const row = await this.#get.first([tenantId, clientId]);
    if (!row) return undefined;
    cache?.put(tenantId, clientId, row, epoch);
    return decode(row as Values);
  }

  async page(tenantId: TenantId, q: ListQuery<ClientSort>): Promise<Page<Client>> {
    const cols = SORTS[q.sort];
    const term = search(q.q);
    let query = this.#db
      .selectFrom('clients')
      .select([...CLIENT_COLUMNS, 'client_name_key'])
      .where('tenant_id', '=', tenantId);
    // q matches the sort column for client_id and client_name; with created_at, the client id.
    query =
      q.sort === 'client_name' ? prefixRange(query, 'client_name_key', term === undefined ? undefined : nameKey(term)) : prefixRange(query, 'client_id', term);
    const rows = await keyset(query, cols, q).execute();
    const k = (r: (typeof rows)[number]) => (q.sort === 'client_id' ? r.client_id : q.sort === 'client_name' ? (r.client_name_key ?? '') : r.created_at);
    return toPage(
      rows,
      q.limit,
      (r) => ({ k: k(r), id: r.client_id }),
      (r) => decode(rowValues(r)),
    );
  }

  async update(tenantId: TenantId, clientId: string, patch: ClientPatch): Promise<Client | undefined> {
    const set = encode(patch);
    if (Object.keys(set).length > 0) {
      this.#cache?.invalidate(tenantId, clientId);
      try {
        await this.#db.updateTable('clients').set(set).where('tenant_id', '=', tenantId).where('client_id', '=', clientId).execute();
      } finally {
        // Again after the write: a read between the first drop and the commit saw the old row.
        this.#cache?.invalidate(tenantId, clientId);
      }
    }
    // Re-read rather than trust affected-row counts (MySQL counts changed, not matched, rows unless
    // the connection sets CLIENT_FOUND_ROWS); this also returns what is stored, not what was sent.
    return this.get(tenantId, clientId);
  }

  async resealSecret(tenantId: TenantId, clientId: string, expected: string, sealed: string): Promise<boolean> {
    // The new value always differs (fresh IV), so MySQL's changed-rows count equals matched rows.
    this.#cache?.invalidate(tenantId, clientId);
    const r = await this.#db
      .updateTable('clients')
      .set({ secret_encrypted: sealed })
      .where('tenant_id', '=', tenantId)
      .where('client_id', '=', clientId)
      .where('secret_encrypted', '=', expected)
      .executeTakeFirst();
    this.#cache?.invalidate(tenantId, clientId);
    return r.numUpdatedRows === 1n;
  }

  async delete(tenantId: TenantId, clientId: string): Promise<boolean> {
    this.#cache?.invalidate(tenantId, clientId);
    try {
      const r = await this.#db.deleteFrom('clients').where('tenant_id', '=', tenantId).where('client_id', '=', clientId).executeTakeFirst();
      return r.numDeletedRows > 0n;
    } finally {
      this.#cache?.invalidate(tenantId, clientId);
    }
  }
}

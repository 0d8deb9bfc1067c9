import type { Insertable, Kysely, Selectable } from 'kysely';
import { GatehouseError } from '../../core/errors.ts';
import type { AccessTokenFormat, Client, ClientAuthMethod } from '../../core/model/client.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { ClientPatch, ClientStore } from '../../core/ports/client-store.ts';
import { pageSize } from '../list-options.ts';
import type { ClientsTable, Database, SqlKind } from './schema.ts';
import { isUniqueViolation } from './sql-errors.ts';

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
  return out as Partial<Insertable<ClientsTable>>;
}

function decode(r: Row): Client {
  return {
    tenantId: r.tenant_id,
    clientId: r.client_id,
    clientName: r.client_name,
    secretHash: r.secret_hash,
    secretEncrypted: r.secret_encrypted,
    secretExpiresAt: r.secret_expires_at,
    tokenEndpointAuthMethod: r.token_endpoint_auth_method as ClientAuthMethod,
    tokenEndpointAuthSigningAlg: r.token_endpoint_auth_signing_alg,
    grantTypes: JSON.parse(r.grant_types) as string[],
    responseTypes: JSON.parse(r.response_types) as string[],
    redirectUris: JSON.parse(r.redirect_uris) as string[],
    scopes: JSON.parse(r.scopes) as string[],
    jwks: r.jwks === null ? null : (JSON.parse(r.jwks) as Client['jwks']),
    jwksUri: r.jwks_uri,
    accessTokenFormat: r.access_token_format as AccessTokenFormat | null,
    metadata: JSON.parse(r.metadata) as Record<string, unknown>,
    registrationAccessTokenHash: r.registration_access_token_hash,
    disabled: Boolean(r.disabled),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export class SqlClientStore implements ClientStore {
  readonly #db: Kysely<Database>;
  readonly #kind: SqlKind;
  constructor(db: Kysely<Database>, kind: SqlKind) {
    this.#db = db;
    this.#kind = kind;
  }

  async create(client: Client): Promise<void> {
    const { tenantId, clientId, createdAt, ...rest } = client;
    const row = { tenant_id: tenantId, client_id: clientId, created_at: createdAt, ...encode(rest) } as Insertable<ClientsTable>;
    try {
      await this.#db.insertInto('clients').values(row).execute();
    } catch (e) {
      if (isUniqueViolation(this.#kind, e)) throw new GatehouseError('GH_CONFLICT', `client ${clientId} already exists`);
      throw e;
    }
  }

  async get(tenantId: TenantId, clientId: string): Promise<Client | undefined> {
    const row = await this.#db.selectFrom('clients').selectAll()
      .where('tenant_id', '=', tenantId).where('client_id', '=', clientId).executeTakeFirst();
    return row && decode(row);
  }

  async list(tenantId: TenantId, opts: { limit?: number; after?: string } = {}): Promise<Client[]> {
    let q = this.#db.selectFrom('clients').selectAll().where('tenant_id', '=', tenantId);
    if (opts.after !== undefined) q = q.where('client_id', '>', opts.after);
    const rows = await q.orderBy('client_id').limit(pageSize(opts.limit)).execute();
    return rows.map(decode);
  }

  async update(tenantId: TenantId, clientId: string, patch: ClientPatch): Promise<Client | undefined> {
    const set = encode(patch);
    if (Object.keys(set).length > 0) {
      await this.#db.updateTable('clients').set(set)
        .where('tenant_id', '=', tenantId).where('client_id', '=', clientId).execute();
    }
    // Re-read rather than trust affected-row counts (MySQL counts changed, not matched, rows unless
    // the connection sets CLIENT_FOUND_ROWS); this also returns what is stored, not what was sent.
    return this.get(tenantId, clientId);
  }

  async delete(tenantId: TenantId, clientId: string): Promise<boolean> {
    const r = await this.#db.deleteFrom('clients')
      .where('tenant_id', '=', tenantId).where('client_id', '=', clientId).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }
}

import { sql, type Kysely, type Selectable } from 'kysely';
import type { ConsentRecord } from '../../core/model/consent.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { ConsentStore } from '../../core/ports/consent-store.ts';
import type { ListQuery, Page } from '../../core/ports/list.ts';
import { prepareQuery, type PreparedQuery, type RowValues, type SqlConnection } from './prepared-query.ts';
import type { ConsentsTable, Database } from './schema.ts';
import { keyset, prefixRange, search, toPage } from './sql-keyset.ts';

const CONSENT_COLUMNS = [
  'tenant_id',
  'user_id',
  'client_id',
  'scopes',
  'claims',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof ConsentsTable)[];
type Values = RowValues<Selectable<ConsentsTable>, typeof CONSENT_COLUMNS>;

function decode(r: Values): ConsentRecord {
  const [tenantId, userId, clientId, scopes, claims, createdAt, updatedAt] = r;
  return { tenantId, userId, clientId, scopes: JSON.parse(scopes) as string[], claims: JSON.parse(claims) as string[], createdAt, updatedAt };
}

/** Consents keyed by (tenant_id, user_id, client_id); read on every authorization request. */
export class SqlConsentStore implements ConsentStore {
  readonly #db: Kysely<Database>;
  readonly #get: PreparedQuery;
  readonly #put: PreparedQuery;

  constructor(conn: SqlConnection) {
    const { db, kind } = conn;
    this.#db = db;
    this.#get = prepareQuery(
      conn,
      (p) => db.selectFrom('consents').select(CONSENT_COLUMNS).where('tenant_id', '=', p(0)).where('user_id', '=', p(1)).where('client_id', '=', p(2)),
      CONSENT_COLUMNS,
    );
    // One atomic upsert: replaces scopes, claims and updated_at; created_at stays the first one.
    this.#put = prepareQuery(conn, (p) => {
      const insert = db
        .insertInto('consents')
        .values(Object.fromEntries(CONSENT_COLUMNS.map((c, i) => [c, p(i)])) as Record<(typeof CONSENT_COLUMNS)[number], never>);
      return kind === 'mysql'
        ? insert.onDuplicateKeyUpdate({ scopes: sql`values(scopes)`, claims: sql`values(claims)`, updated_at: sql`values(updated_at)` })
        : insert.onConflict((oc) =>
            oc.columns(['tenant_id', 'user_id', 'client_id']).doUpdateSet((eb) => ({
              scopes: eb.ref('excluded.scopes'),
              claims: eb.ref('excluded.claims'),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          );
    });
  }

  async get(tenantId: TenantId, userId: string, clientId: string): Promise<ConsentRecord | undefined> {
    const row = await this.#get.first([tenantId, userId, clientId]);
    return row && decode(row as Values);
  }

  async put(c: ConsentRecord): Promise<void> {
    await this.#put.run([c.tenantId, c.userId, c.clientId, JSON.stringify(c.scopes), JSON.stringify(c.claims), c.createdAt, c.updatedAt]);
  }

  async pageByUser(tenantId: TenantId, userId: string, q: ListQuery<'client_id'>): Promise<Page<ConsentRecord>> {
    // The primary key (tenant_id, user_id, client_id): client ids are unique per user.
    const query = prefixRange(
      this.#db.selectFrom('consents').select(CONSENT_COLUMNS).where('tenant_id', '=', tenantId).where('user_id', '=', userId),
      'client_id',
      search(q.q),
    );
    const rows = await keyset(query, { k: 'client_id', id: null, numeric: false }, q).execute();
    return toPage(
      rows,
      q.limit,
      (r) => ({ k: r.client_id, id: r.client_id }),
      (r) => decode(CONSENT_COLUMNS.map((c) => r[c]) as unknown as Values),
    );
  }

  async deleteByUser(tenantId: TenantId, userId: string): Promise<number> {
    const r = await this.#db.deleteFrom('consents').where('tenant_id', '=', tenantId).where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async deleteByClient(tenantId: TenantId, clientId: string): Promise<number> {
    // consents_client_idx (0004).
    const r = await this.#db.deleteFrom('consents').where('tenant_id', '=', tenantId).where('client_id', '=', clientId).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async delete(tenantId: TenantId, userId: string, clientId: string): Promise<boolean> {
    const r = await this.#db
      .deleteFrom('consents')
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    return r.numDeletedRows > 0n;
  }
}

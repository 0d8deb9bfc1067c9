import type { Kysely, Selectable } from 'kysely';
import { GatehouseError } from '../../core/errors.ts';
import type { ParRecord } from '../../core/model/par-request.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { TakeResult } from '../../core/ports/code-store.ts';
import type { ParStore } from '../../core/ports/par-store.ts';
import { prepareQuery, type PreparedQuery, type RowValues, type SqlConnection } from './prepared-query.ts';
import type { Database, ParRequestsTable, SqlKind } from './schema.ts';
import { isUniqueViolation } from './sql-errors.ts';
import { sqlTake } from './sql-take.ts';

const PAR_COLUMNS = ['tenant_id', 'hash', 'client_id', 'params', 'expires_at', 'consumed_at'] as const satisfies readonly (keyof ParRequestsTable)[];
type Values = RowValues<Selectable<ParRequestsTable>, typeof PAR_COLUMNS>;

function decode(r: Values): ParRecord {
  const [tenantId, hash, clientId, params, expiresAt, consumedAt] = r;
  return { tenantId, hash, clientId, params: JSON.parse(params) as Record<string, string>, expiresAt, consumedAt };
}

/** RFC 9126 pushed requests keyed by (tenant_id, hash), shared by every instance on the store. */
export class SqlParStore implements ParStore {
  readonly #db: Kysely<Database>;
  readonly #kind: SqlKind;
  readonly #insert: PreparedQuery;
  readonly #take: (tenantId: string, hash: string, at: number) => Promise<TakeResult<ParRecord>>;

  constructor(conn: SqlConnection) {
    this.#db = conn.db;
    this.#kind = conn.kind;
    this.#insert = prepareQuery(conn, (p) => conn.db.insertInto('par_requests')
      .values(Object.fromEntries(PAR_COLUMNS.map((c, i) => [c, p(i)])) as Record<(typeof PAR_COLUMNS)[number], never>));
    this.#take = sqlTake(conn, 'par_requests', PAR_COLUMNS, (r) => decode(r as Values));
  }

  async insert(r: ParRecord): Promise<void> {
    try {
      await this.#insert.run([r.tenantId, r.hash, r.clientId, JSON.stringify(r.params), r.expiresAt, r.consumedAt]);
    } catch (e) {
      if (isUniqueViolation(this.#kind, e)) throw new GatehouseError('GH_CONFLICT', 'a pushed request with this hash already exists');
      throw e;
    }
  }

  take(tenantId: TenantId, hash: string, at: number): Promise<TakeResult<ParRecord>> {
    return this.#take(tenantId, hash, at);
  }

  async purgeExpired(before: number): Promise<number> {
    const r = await this.#db.deleteFrom('par_requests').where('expires_at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

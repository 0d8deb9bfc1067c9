import type { Kysely, Selectable } from 'kysely';
import { GatehouseError } from '../../core/errors.ts';
import type { ParRecord } from '../../core/model/par-request.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { TakeResult } from '../../core/ports/code-store.ts';
import type { ParStore } from '../../core/ports/par-store.ts';
import { prepareQuery, type PreparedQuery, type RowValues, type SqlConnection } from './prepared-query.ts';
import type { Database, ParRequestsTable, SqlKind } from './schema.ts';
import { isUniqueViolation } from './sql-errors.ts';
import type { SqliteReadScope } from './sqlite-read-scope.ts';

const PAR_COLUMNS = ['tenant_id', 'hash', 'client_id', 'params', 'expires_at', 'consumed_at'] as const satisfies readonly (keyof ParRequestsTable)[];
type Values = RowValues<Selectable<ParRequestsTable>, typeof PAR_COLUMNS>;
/** The `params` of a taken request: its parameters leave with the one caller that takes it. */
const TAKEN_PARAMS = '{}';

function decode(r: Values): ParRecord {
  const [tenantId, hash, clientId, params, expiresAt, consumedAt] = r;
  return { tenantId, hash, clientId, params: JSON.parse(params) as Record<string, string>, expiresAt, consumedAt };
}

/** RFC 9126 pushed requests keyed by (tenant_id, hash), shared by every instance on the store. */
export class SqlParStore implements ParStore {
  readonly #db: Kysely<Database>;
  readonly #kind: SqlKind;
  readonly #reads: SqliteReadScope | null;
  readonly #insert: PreparedQuery;
  readonly #find: PreparedQuery;
  readonly #cas: PreparedQuery;

  constructor(conn: SqlConnection) {
    const { db } = conn;
    this.#db = db;
    this.#kind = conn.kind;
    this.#reads = conn.sqlite?.reads ?? null;
    this.#insert = prepareQuery(conn, (p) =>
      db.insertInto('par_requests').values(Object.fromEntries(PAR_COLUMNS.map((c, i) => [c, p(i)])) as Record<(typeof PAR_COLUMNS)[number], never>),
    );
    this.#find = prepareQuery(
      conn,
      (p) => db.selectFrom('par_requests').select(PAR_COLUMNS).where('tenant_id', '=', p(0)).where('hash', '=', p(1)),
      PAR_COLUMNS,
    );
    // S4: the compare-and-set (`consumed_at IS NULL` → at) that decides the one winner also
    // clears the parameters, in the same statement: a used request keeps no payload.
    this.#cas = prepareQuery(conn, (p) =>
      db
        .updateTable('par_requests')
        .set({ consumed_at: p(2), params: p(3) })
        .where('tenant_id', '=', p(0))
        .where('hash', '=', p(1))
        .where('consumed_at', 'is', null),
    );
  }

  async insert(r: ParRecord): Promise<void> {
    try {
      await this.#insert.run([r.tenantId, r.hash, r.clientId, JSON.stringify(r.params), r.expiresAt, r.consumedAt]);
    } catch (e) {
      if (isUniqueViolation(this.#kind, e)) throw new GatehouseError('GH_CONFLICT', 'a pushed request with this hash already exists');
      throw e;
    }
  }

  /**
   * Reads the row, then ONE compare-and-set decides (S4) and clears the parameters. The read never
   * decides: it only fetches the parameters the winner returns, which no one changes before the
   * winning UPDATE (inserts are unique, only that UPDATE clears them). A caller whose UPDATE
   * matches nothing lost to another taker and reads the row again (cleared, consumed).
   */
  async take(tenantId: TenantId, hash: string, at: number): Promise<TakeResult<ParRecord>> {
    // SQLite: the turn's shared read snapshot may predate a push committed through another
    // connection; this read must see the database as it is now.
    this.#reads?.end();
    const found = await this.#find.first([tenantId, hash]);
    if (!found) return { result: 'not-found' };
    const record = decode(found as Values);
    if (record.consumedAt !== null) return { result: 'already-consumed', record };
    if ((await this.#cas.run([tenantId, hash, at, TAKEN_PARAMS])) > 0) return { result: 'consumed', record: { ...record, consumedAt: at } };
    const after = await this.#find.first([tenantId, hash]);
    // Lost, and gone already: purged between the statements (it had long expired).
    if (!after) return { result: 'not-found' };
    return { result: 'already-consumed', record: decode(after as Values) };
  }

  async purgeExpired(before: number): Promise<number> {
    const r = await this.#db.deleteFrom('par_requests').where('expires_at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

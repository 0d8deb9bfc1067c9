import type { Kysely, Selectable } from 'kysely';
import { GatehouseError } from '../../core/errors.ts';
import type { AuthenticationContext } from '../../core/model/authorization-code.ts';
import type { DeviceCodeRecord, DeviceCodeStatus } from '../../core/model/device-code.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { DeviceCodeStore, DeviceDecision } from '../../core/ports/device-code-store.ts';
import type { ListQuery, Page } from '../../core/ports/list.ts';
import { keyset, prefixRange, search, toPage } from './sql-keyset.ts';
import type { ConsumeResult } from '../../core/ports/token-store.ts';
import { prepareQuery, type PreparedQuery, type RowValues, type SqlConnection } from './prepared-query.ts';
import type { Database, DeviceCodesTable, SqlKind } from './schema.ts';
import { isUniqueViolation } from './sql-errors.ts';

const DEVICE_COLUMNS = [
  'tenant_id',
  'hash',
  'user_code_hash',
  'client_id',
  'scope',
  'resources',
  'status',
  'auth',
  'granted_scope',
  'grant_id',
  'poll_interval',
  'last_polled_at',
  'issued_at',
  'expires_at',
] as const satisfies readonly (keyof DeviceCodesTable)[];
type Values = RowValues<Selectable<DeviceCodesTable>, typeof DEVICE_COLUMNS>;

function encode(d: DeviceCodeRecord): Values {
  return [
    d.tenantId,
    d.hash,
    d.userCodeHash,
    d.clientId,
    d.scope,
    JSON.stringify(d.resources),
    d.status,
    d.auth === null ? null : JSON.stringify(d.auth),
    d.grantedScope,
    d.grantId,
    d.interval,
    d.lastPolledAt,
    d.issuedAt,
    d.expiresAt,
  ];
}

function decode(r: Values): DeviceCodeRecord {
  const [tenantId, hash, userCodeHash, clientId, scope, resources, status, auth, grantedScope, grantId, interval, lastPolledAt, issuedAt, expiresAt] = r;
  return {
    tenantId,
    hash,
    userCodeHash,
    clientId,
    scope,
    resources: JSON.parse(resources) as string[],
    status: status as DeviceCodeStatus,
    auth: auth === null ? null : (JSON.parse(auth) as AuthenticationContext),
    grantedScope,
    grantId,
    interval: Number(interval),
    lastPolledAt,
    issuedAt,
    expiresAt,
  };
}

/**
 * Each round of the poll's compare-and-set has a winner, so n concurrent polls of one device
 * code all finish within n rounds. A legitimate device polls one request at a time; a poll that
 * loses this often is being flooded (by someone holding the device code) and gives up.
 */
const POLL_ATTEMPTS = 32;

/**
 * RFC 8628 device authorizations keyed by (tenant_id, hash), unique on the user code hash.
 * Every state change is ONE compare-and-set UPDATE (S4) whose WHERE names the state it leaves;
 * each changes the matched row, so affected-row counts are exact on every dialect.
 */
export class SqlDeviceCodeStore implements DeviceCodeStore {
  readonly #db: Kysely<Database>;
  readonly #kind: SqlKind;
  readonly #q: Readonly<Record<'insert' | 'find' | 'byUserCode' | 'approve' | 'deny' | 'consume' | 'exists' | 'pollFirst' | 'pollNext', PreparedQuery>>;

  constructor(conn: SqlConnection) {
    const { db } = conn;
    this.#db = db;
    this.#kind = conn.kind;
    // Values first in SET, then the key, then the compared state: parameters are numbered by position.
    this.#q = {
      insert: prepareQuery(conn, (p) =>
        db.insertInto('device_codes').values(Object.fromEntries(DEVICE_COLUMNS.map((c, i) => [c, p(i)])) as Record<(typeof DEVICE_COLUMNS)[number], never>),
      ),
      find: prepareQuery(
        conn,
        (p) => db.selectFrom('device_codes').select(DEVICE_COLUMNS).where('tenant_id', '=', p(0)).where('hash', '=', p(1)),
        DEVICE_COLUMNS,
      ),
      byUserCode: prepareQuery(
        conn,
        (p) => db.selectFrom('device_codes').select(DEVICE_COLUMNS).where('tenant_id', '=', p(0)).where('user_code_hash', '=', p(1)),
        DEVICE_COLUMNS,
      ),
      approve: prepareQuery(conn, (p) =>
        db
          .updateTable('device_codes')
          .set({ status: 'approved', auth: p(0), granted_scope: p(1) })
          .where('tenant_id', '=', p(2))
          .where('hash', '=', p(3))
          .where('status', '=', 'pending'),
      ),
      deny: prepareQuery(conn, (p) =>
        db.updateTable('device_codes').set({ status: 'denied' }).where('tenant_id', '=', p(0)).where('hash', '=', p(1)).where('status', '=', 'pending'),
      ),
      consume: prepareQuery(conn, (p) =>
        db.updateTable('device_codes').set({ status: 'consumed' }).where('tenant_id', '=', p(0)).where('hash', '=', p(1)).where('status', '=', 'approved'),
      ),
      exists: prepareQuery(conn, (p) => db.selectFrom('device_codes').select('hash').where('tenant_id', '=', p(0)).where('hash', '=', p(1)), ['hash']),
      // poll: the compare names the status and last_polled_at the caller read (NULL or a value).
      pollFirst: prepareQuery(conn, (p) =>
        db
          .updateTable('device_codes')
          .set({ last_polled_at: p(0) })
          .where('tenant_id', '=', p(1))
          .where('hash', '=', p(2))
          .where('status', '=', p(3))
          .where('last_polled_at', 'is', null),
      ),
      pollNext: prepareQuery(conn, (p) =>
        db
          .updateTable('device_codes')
          .set({ last_polled_at: p(0) })
          .where('tenant_id', '=', p(1))
          .where('hash', '=', p(2))
          .where('status', '=', p(3))
          .where('last_polled_at', '=', p(4)),
      ),
    };
  }

  async insert(record: DeviceCodeRecord): Promise<void> {
    try {
      await this.#q.insert.run(encode(record));
    } catch (e) {
      if (isUniqueViolation(this.#kind, e)) throw new GatehouseError('GH_CONFLICT', 'a device code with this device or user code already exists');
      throw e;
    }
  }

  async findByUserCode(tenantId: TenantId, userCodeHash: string): Promise<DeviceCodeRecord | undefined> {
    const row = await this.#q.byUserCode.first([tenantId, userCodeHash]);
    return row && decode(row as Values);
  }

  async get(tenantId: TenantId, hash: string): Promise<DeviceCodeRecord | undefined> {
    const row = await this.#q.find.first([tenantId, hash]);
    return row && decode(row as Values);
  }

  async decide(tenantId: TenantId, hash: string, decision: DeviceDecision): Promise<boolean> {
    const changed =
      decision.status === 'approved'
        ? await this.#q.approve.run([JSON.stringify(decision.auth), decision.grantedScope, tenantId, hash])
        : await this.#q.deny.run([tenantId, hash]);
    return changed > 0;
  }

  /**
   * A compare-and-set loop: read the record, then set last_polled_at only if neither it nor the
   * status changed since; the record returned is exactly the state this poll replaced.
   */
  async poll(tenantId: TenantId, hash: string, at: number): Promise<DeviceCodeRecord | undefined> {
    for (let attempt = 0; attempt < POLL_ATTEMPTS; attempt++) {
      const row = await this.#q.find.first([tenantId, hash]);
      if (!row) return undefined;
      const before = decode(row as Values);
      // Setting the value it already holds changes nothing (and MySQL would count 0 rows).
      if (before.lastPolledAt === at) return before;
      const changed =
        before.lastPolledAt === null
          ? await this.#q.pollFirst.run([at, tenantId, hash, before.status])
          : await this.#q.pollNext.run([at, tenantId, hash, before.status, before.lastPolledAt]);
      if (changed > 0) return before;
    }
    throw new GatehouseError('GH_STORE_UNAVAILABLE', 'device code store contended: the poll lost its compare-and-set repeatedly');
  }

  async slowDown(tenantId: TenantId, hash: string, step: number): Promise<void> {
    // One UPDATE with an increment: concurrent slow-downs each add their step.
    await this.#db
      .updateTable('device_codes')
      .set((eb) => ({ poll_interval: eb('poll_interval', '+', step) }))
      .where('tenant_id', '=', tenantId)
      .where('hash', '=', hash)
      .execute();
  }

  async consume(tenantId: TenantId, hash: string): Promise<ConsumeResult> {
    if ((await this.#q.consume.run([tenantId, hash])) > 0) return 'consumed';
    return (await this.#q.exists.first([tenantId, hash])) ? 'already-consumed' : 'not-found';
  }

  async purgeExpired(before: number): Promise<number> {
    const r = await this.#db.deleteFrom('device_codes').where('expires_at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async pagePending(tenantId: TenantId, now: number, q: ListQuery<'issued_at'>): Promise<Page<DeviceCodeRecord>> {
    // A scan of the tenant's rows: device codes live minutes and are purged once expired, so the
    // table stays small; no index of its own.
    const base = prefixRange(
      this.#db
        .selectFrom('device_codes')
        .select(DEVICE_COLUMNS)
        .where('tenant_id', '=', tenantId)
        .where('status', '=', 'pending')
        .where('expires_at', '>', now),
      'client_id',
      search(q.q),
    );
    const rows = await keyset(base, { k: 'issued_at', id: 'hash', numeric: true }, q).execute();
    return toPage(
      rows,
      q.limit,
      (r) => ({ k: Number(r.issued_at), id: r.hash }),
      (r) => decode(DEVICE_COLUMNS.map((c) => r[c]) as unknown as Values),
    );
  }
}

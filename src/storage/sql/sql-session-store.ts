import type { Kysely, Selectable, Transaction } from 'kysely';
import { GatehouseError } from '../../core/errors.ts';
import type { SessionAccount, SessionRecord } from '../../core/model/session.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { SessionPatch, SessionStore } from '../../core/ports/session-store.ts';
import { prepareQuery, type PreparedQuery, type RowValues, type SqlConnection } from './prepared-query.ts';
import type { Database, SessionsTable, SqlKind } from './schema.ts';
import { isDeadlock, isUniqueViolation } from './sql-errors.ts';

const SESSION_COLUMNS = ['tenant_id', 'hash', 'accounts', 'current_user_id', 'created_at', 'last_seen_at', 'expires_at'] as const satisfies readonly (keyof SessionsTable)[];
type Values = RowValues<Selectable<SessionsTable>, typeof SESSION_COLUMNS>;
type Trx = Transaction<Database>;

function decode(r: Values): SessionRecord {
  const [tenantId, hash, accounts, currentUserId, createdAt, lastSeenAt, expiresAt] = r;
  return { tenantId, hash, accounts: JSON.parse(accounts) as SessionAccount[], currentUserId, createdAt, lastSeenAt, expiresAt };
}
const rowValues = (r: Selectable<SessionsTable>) => SESSION_COLUMNS.map((c) => r[c]) as unknown as Values;
const sids = (accounts: readonly SessionAccount[]) => [...new Set(accounts.map((a) => a.sid))];

/** Deadlock victims (InnoDB next-key locks on session_sids) retry; the work is idempotent. */
const DEADLOCK_RETRIES = 3;

/**
 * Sessions keyed by (tenant_id, hash). The `sid` of every account is also a row of
 * session_sids, written in the same transaction as the session, so `findBySid` is an indexed
 * join on every dialect. Every transaction locks the session row first (SELECT … FOR UPDATE;
 * SQLite's BEGIN IMMEDIATE), then touches exactly the session_sids rows that change.
 * A touch (lastSeenAt / currentUserId, no accounts) is one UPDATE on the hot-path writer.
 */
export class SqlSessionStore implements SessionStore {
  readonly #db: Kysely<Database>;
  readonly #kind: SqlKind;
  readonly #get: PreparedQuery;
  readonly #bySid: PreparedQuery;
  readonly #touch: Readonly<Record<'last_seen_at' | 'current_user_id' | 'both', PreparedQuery>>;

  constructor(conn: SqlConnection) {
    const { db } = conn;
    this.#db = db;
    this.#kind = conn.kind;
    this.#get = prepareQuery(conn, (p) => db.selectFrom('sessions').select(SESSION_COLUMNS)
      .where('tenant_id', '=', p(0)).where('hash', '=', p(1)), SESSION_COLUMNS);
    this.#bySid = prepareQuery(conn, (p) => db.selectFrom('session_sids as x')
      .innerJoin('sessions as s', (j) => j.onRef('s.tenant_id', '=', 'x.tenant_id').onRef('s.hash', '=', 'x.session_hash'))
      .select(SESSION_COLUMNS.map((c) => `s.${c}` as const))
      .where('x.tenant_id', '=', p(0)).where('x.sid', '=', p(1))
      .orderBy('s.created_at', 'desc').orderBy('s.hash').limit(1), SESSION_COLUMNS);
    // Values first in SET, then the key: parameters are numbered by position.
    this.#touch = {
      last_seen_at: prepareQuery(conn, (p) => db.updateTable('sessions').set({ last_seen_at: p(0) })
        .where('tenant_id', '=', p(1)).where('hash', '=', p(2))),
      current_user_id: prepareQuery(conn, (p) => db.updateTable('sessions').set({ current_user_id: p(0) })
        .where('tenant_id', '=', p(1)).where('hash', '=', p(2))),
      both: prepareQuery(conn, (p) => db.updateTable('sessions').set({ current_user_id: p(0), last_seen_at: p(1) })
        .where('tenant_id', '=', p(2)).where('hash', '=', p(3))),
    };
  }

  async create(s: SessionRecord): Promise<void> {
    try {
      await this.#transaction(async (trx) => {
        await trx.insertInto('sessions').values({
          tenant_id: s.tenantId, hash: s.hash, accounts: JSON.stringify(s.accounts), current_user_id: s.currentUserId,
          created_at: s.createdAt, last_seen_at: s.lastSeenAt, expires_at: s.expiresAt,
        }).execute();
        await insertSids(trx, s.tenantId, s.hash, sids(s.accounts));
      });
    } catch (e) {
      if (isUniqueViolation(this.#kind, e)) throw new GatehouseError('GH_CONFLICT', 'a session with this hash already exists');
      throw e;
    }
  }

  async get(tenantId: TenantId, hash: string): Promise<SessionRecord | undefined> {
    const row = await this.#get.first([tenantId, hash]);
    return row && decode(row as Values);
  }

  async findBySid(tenantId: TenantId, sid: string): Promise<SessionRecord | undefined> {
    const row = await this.#bySid.first([tenantId, sid]);
    return row && decode(row as Values);
  }

  async addClient(tenantId: TenantId, sid: string, clientId: string): Promise<void> {
    await this.#transaction(async (trx) => {
      // Which session holds the sid (plain read, as findBySid), then that row under its lock:
      // the append works on the locked, current accounts, so concurrent additions all land.
      const held = await trx.selectFrom('session_sids as x')
        .innerJoin('sessions as s', (j) => j.onRef('s.tenant_id', '=', 'x.tenant_id').onRef('s.hash', '=', 'x.session_hash'))
        .select('s.hash').where('x.tenant_id', '=', tenantId).where('x.sid', '=', sid)
        .orderBy('s.created_at', 'desc').orderBy('s.hash').limit(1).executeTakeFirst();
      if (!held) return;
      const row = await this.#lock(trx, tenantId, held.hash);
      const account = row?.accounts.find((a) => a.sid === sid);
      if (!row || !account || account.clientIds.includes(clientId)) return;
      const accounts = row.accounts.map((a) => (a === account ? { ...a, clientIds: [...a.clientIds, clientId] } : a));
      // The sids do not change: session_sids is untouched.
      await trx.updateTable('sessions').set({ accounts: JSON.stringify(accounts) })
        .where('tenant_id', '=', tenantId).where('hash', '=', held.hash).execute();
    });
  }

  async update(tenantId: TenantId, hash: string, patch: SessionPatch): Promise<SessionRecord | undefined> {
    const { accounts, currentUserId, lastSeenAt } = patch;
    if (accounts === undefined) {
      if (currentUserId !== undefined && lastSeenAt !== undefined) await this.#touch.both.run([currentUserId, lastSeenAt, tenantId, hash]);
      else if (currentUserId !== undefined) await this.#touch.current_user_id.run([currentUserId, tenantId, hash]);
      else if (lastSeenAt !== undefined) await this.#touch.last_seen_at.run([lastSeenAt, tenantId, hash]);
      // Re-read rather than trust affected-row counts (MySQL counts changed rows only).
      return this.get(tenantId, hash);
    }
    return this.#transaction(async (trx) => {
      const before = await this.#lock(trx, tenantId, hash);
      if (!before) return undefined;
      await trx.updateTable('sessions').set({
        accounts: JSON.stringify(accounts),
        ...(currentUserId !== undefined && { current_user_id: currentUserId }),
        ...(lastSeenAt !== undefined && { last_seen_at: lastSeenAt }),
      }).where('tenant_id', '=', tenantId).where('hash', '=', hash).execute();
      const oldSids = sids(before.accounts);
      const newSids = sids(accounts);
      await deleteSids(trx, tenantId, hash, oldSids.filter((s) => !newSids.includes(s)));
      await insertSids(trx, tenantId, hash, newSids.filter((s) => !oldSids.includes(s)));
      return { ...before, accounts: structuredClone(accounts), currentUserId: currentUserId === undefined ? before.currentUserId : currentUserId, lastSeenAt: lastSeenAt ?? before.lastSeenAt };
    });
  }

  async delete(tenantId: TenantId, hash: string): Promise<SessionRecord | undefined> {
    return this.#transaction(async (trx) => {
      const before = await this.#lock(trx, tenantId, hash);
      if (!before) return undefined;
      await trx.deleteFrom('sessions').where('tenant_id', '=', tenantId).where('hash', '=', hash).execute();
      await deleteSids(trx, tenantId, hash, sids(before.accounts));
      return before;
    });
  }

  async purgeExpired(before: number): Promise<number> {
    return this.#transaction(async (trx) => {
      // The index rows first, while their sessions still tell which ones go: the expired
      // sessions come from sessions_expires_idx, their sid rows by the session_sids key prefix
      // (a correlated EXISTS would visit every session_sids row).
      await trx.deleteFrom('session_sids').where((eb) => eb(eb.refTuple('tenant_id', 'session_hash'), 'in',
        eb.selectFrom('sessions').select(['tenant_id', 'hash']).where('expires_at', '<', before).$asTuple('tenant_id', 'hash'))).execute();
      const r = await trx.deleteFrom('sessions').where('expires_at', '<', before).executeTakeFirst();
      return Number(r.numDeletedRows);
    });
  }

  /** Reads the session row and holds its lock until the transaction ends. */
  async #lock(trx: Trx, tenantId: string, hash: string): Promise<SessionRecord | undefined> {
    let q = trx.selectFrom('sessions').select(SESSION_COLUMNS).where('tenant_id', '=', tenantId).where('hash', '=', hash);
    // SQLite has no row locks: its BEGIN IMMEDIATE already holds the database's write lock.
    if (this.#kind !== 'sqlite') q = q.forUpdate();
    const row = await q.executeTakeFirst();
    return row && decode(rowValues(row));
  }

  async #transaction<T>(work: (trx: Trx) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#db.transaction().execute(work);
      } catch (e) {
        if (!isDeadlock(this.#kind, e) || attempt >= DEADLOCK_RETRIES) throw e;
      }
    }
  }
}

async function insertSids(trx: Trx, tenantId: string, hash: string, list: readonly string[]): Promise<void> {
  if (list.length === 0) return;
  await trx.insertInto('session_sids').values(list.map((sid) => ({ tenant_id: tenantId, session_hash: hash, sid }))).execute();
}

async function deleteSids(trx: Trx, tenantId: string, hash: string, list: readonly string[]): Promise<void> {
  if (list.length === 0) return;
  await trx.deleteFrom('session_sids').where('tenant_id', '=', tenantId).where('session_hash', '=', hash).where('sid', 'in', list).execute();
}

import type { Kysely, Selectable, Transaction } from 'kysely';
import { GatehouseError } from '../../core/errors.ts';
import type { SessionAccount, SessionRecord } from '../../core/model/session.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { ListQuery, Page } from '../../core/ports/list.ts';
import type { SessionPatch, SessionStore } from '../../core/ports/session-store.ts';
import type { UserSessionStore, UserSessionSummary } from '../../core/ports/user-session-store.ts';
import { prepareQuery, type PreparedQuery, type RowValues, type SqlConnection } from './prepared-query.ts';
import type { Database, SessionsTable, SqlKind } from './schema.ts';
import { isUniqueViolation } from './sql-errors.ts';
import { storeTransaction } from './sql-transaction.ts';
import { keyset, prefixRange, search, toPage } from './sql-keyset.ts';

const SESSION_COLUMNS = [
  'tenant_id',
  'hash',
  'accounts',
  'current_user_id',
  'created_at',
  'last_seen_at',
  'expires_at',
] as const satisfies readonly (keyof SessionsTable)[];
type Values = RowValues<Selectable<SessionsTable>, typeof SESSION_COLUMNS>;
type Trx = Transaction<Database>;

function decode(r: Values): SessionRecord {
  const [tenantId, hash, accounts, currentUserId, createdAt, lastSeenAt, expiresAt] = r;
  return { tenantId, hash, accounts: JSON.parse(accounts) as SessionAccount[], currentUserId, createdAt, lastSeenAt, expiresAt };
}
const rowValues = (r: Selectable<SessionsTable>) => SESSION_COLUMNS.map((c) => r[c]) as unknown as Values;
const sids = (accounts: readonly SessionAccount[]) => [...new Set(accounts.map((a) => a.sid))];
/** The first account of each sid: the row session_sids holds for it. */
const bySid = (accounts: readonly SessionAccount[]) => {
  const m = new Map<string, SessionAccount>();
  for (const a of accounts) if (!m.has(a.sid)) m.set(a.sid, a);
  return m;
};

/**
 * Sessions keyed by (tenant_id, hash). The `sid` of every account is also a row of
 * session_sids, written in the same transaction as the session, so `findBySid` is an indexed
 * join on every dialect. Every transaction locks the session row first (SELECT … FOR UPDATE;
 * SQLite's BEGIN IMMEDIATE), then touches exactly the session_sids rows that change.
 * A touch (lastSeenAt / currentUserId, no accounts) is one UPDATE on the hot-path writer.
 * session_sids also carries each account's user_id and auth_time (0004), so a user's sessions
 * are an index range (session_sids_user_idx) joined to their session rows.
 */
export class SqlSessionStore implements SessionStore, UserSessionStore {
  readonly #db: Kysely<Database>;
  readonly #kind: SqlKind;
  readonly #get: PreparedQuery;
  readonly #bySid: PreparedQuery;
  readonly #touch: Readonly<Record<'last_seen_at' | 'current_user_id' | 'both', PreparedQuery>>;

  constructor(conn: SqlConnection) {
    const { db } = conn;
    this.#db = db;
    this.#kind = conn.kind;
    this.#get = prepareQuery(
      conn,
      (p) => db.selectFrom('sessions').select(SESSION_COLUMNS).where('tenant_id', '=', p(0)).where('hash', '=', p(1)),
      SESSION_COLUMNS,
    );
    this.#bySid = prepareQuery(
      conn,
      (p) =>
        db
          .selectFrom('session_sids as x')
          .innerJoin('sessions as s', (j) => j.onRef('s.tenant_id', '=', 'x.tenant_id').onRef('s.hash', '=', 'x.session_hash'))
          .select(SESSION_COLUMNS.map((c) => `s.${c}` as const))
          .where('x.tenant_id', '=', p(0))
          .where('x.sid', '=', p(1))
          .orderBy('s.created_at', 'desc')
          .orderBy('s.hash')
          .limit(1),
      SESSION_COLUMNS,
    );
    // Values first in SET, then the key: parameters are numbered by position.
    this.#touch = {
      last_seen_at: prepareQuery(conn, (p) =>
        db
          .updateTable('sessions')
          .set({ last_seen_at: p(0) })
          .where('tenant_id', '=', p(1))
          .where('hash', '=', p(2)),
      ),
      current_user_id: prepareQuery(conn, (p) =>
        db
          .updateTable('sessions')
          .set({ current_user_id: p(0) })
          .where('tenant_id', '=', p(1))
          .where('hash', '=', p(2)),
      ),
      both: prepareQuery(conn, (p) =>
        db
          .updateTable('sessions')
          .set({ current_user_id: p(0), last_seen_at: p(1) })
          .where('tenant_id', '=', p(2))
          .where('hash', '=', p(3)),
      ),
    };
  }

  async create(s: SessionRecord): Promise<void> {
    try {
      await this.#transaction(async (trx) => {
        await trx
          .insertInto('sessions')
          .values({
            tenant_id: s.tenantId,
            hash: s.hash,
            accounts: JSON.stringify(s.accounts),
            current_user_id: s.currentUserId,
            created_at: s.createdAt,
            last_seen_at: s.lastSeenAt,
            expires_at: s.expiresAt,
          })
          .execute();
        await syncSids(trx, s.tenantId, s.hash, [], s.accounts);
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
    // A returning client (every authorization after the first for this login) is already listed:
    // one prepared read answers it, without the write transaction, which on SQLite takes the
    // database's write lock and queues behind the writer thread's commits. A sid's client list
    // only grows until its account ends, so a client seen here stays listed.
    const current = await this.findBySid(tenantId, sid);
    if (current?.accounts.find((a) => a.sid === sid)?.clientIds.includes(clientId)) return;
    await this.#transaction(async (trx) => {
      // Which session holds the sid (plain read, as findBySid), then that row under its lock:
      // the append works on the locked, current accounts, so concurrent additions all land.
      const held = await trx
        .selectFrom('session_sids as x')
        .innerJoin('sessions as s', (j) => j.onRef('s.tenant_id', '=', 'x.tenant_id').onRef('s.hash', '=', 'x.session_hash'))
        .select('s.hash')
        .where('x.tenant_id', '=', tenantId)
        .where('x.sid', '=', sid)
        .orderBy('s.created_at', 'desc')
        .orderBy('s.hash')
        .limit(1)
        .executeTakeFirst();
      if (!held) return;
      const row = await this.#lock(trx, tenantId, held.hash);
      const account = row?.accounts.find((a) => a.sid === sid);
      if (!row || !account || account.clientIds.includes(clientId)) return;
      const accounts = row.accounts.map((a) => (a === account ? { ...a, clientIds: [...a.clientIds, clientId] } : a));
      // The sids do not change: session_sids is untouched.
      await trx
        .updateTable('sessions')
        .set({ accounts: JSON.stringify(accounts) })
        .where('tenant_id', '=', tenantId)
        .where('hash', '=', held.hash)
        .execute();
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
      await trx
        .updateTable('sessions')
        .set({
          accounts: JSON.stringify(accounts),
          ...(currentUserId !== undefined && { current_user_id: currentUserId }),
          ...(lastSeenAt !== undefined && { last_seen_at: lastSeenAt }),
        })
        .where('tenant_id', '=', tenantId)
        .where('hash', '=', hash)
        .execute();
      await syncSids(trx, tenantId, hash, before.accounts, accounts);
      return {
        ...before,
        accounts: structuredClone(accounts),
        currentUserId: currentUserId === undefined ? before.currentUserId : currentUserId,
        lastSeenAt: lastSeenAt ?? before.lastSeenAt,
      };
    });
  }

  async delete(tenantId: TenantId, hash: string): Promise<SessionRecord | undefined> {
    return this.#transaction(async (trx) => {
      const before = await this.#lock(trx, tenantId, hash);
      if (!before) return undefined;
      await trx.deleteFrom('sessions').where('tenant_id', '=', tenantId).where('hash', '=', hash).execute();
      await syncSids(trx, tenantId, hash, before.accounts, []);
      return before;
    });
  }

  async pageByUser(tenantId: TenantId, userId: string, q: ListQuery<'auth_time'>): Promise<Page<UserSessionSummary>> {
    const query = prefixRange(
      this.#db
        .selectFrom('session_sids as x')
        .innerJoin('sessions as s', (j) => j.onRef('s.tenant_id', '=', 'x.tenant_id').onRef('s.hash', '=', 'x.session_hash'))
        .select(['x.sid', 'x.auth_time', 's.accounts', 's.created_at', 's.last_seen_at', 's.expires_at'])
        .where('x.tenant_id', '=', tenantId)
        .where('x.user_id', '=', userId),
      'x.sid',
      search(q.q),
    );
    const rows = await keyset(query, { k: 'x.auth_time', id: 'x.sid', numeric: true }, q).execute();
    // A sid briefly in two records (a sign-in racing the record it replaces) is listed once.
    const unique = rows.filter((r, i) => i === 0 || rows[i - 1]!.sid !== r.sid);
    return toPage(
      unique,
      q.limit,
      (r) => ({ k: Number(r.auth_time), id: r.sid }),
      (r) => {
        const a = (JSON.parse(r.accounts) as SessionAccount[]).find((x) => x.sid === r.sid);
        return {
          sid: r.sid,
          userId,
          authTime: a?.authTime ?? Number(r.auth_time),
          amr: a?.amr ?? [],
          acr: a?.acr ?? null,
          clientIds: a?.clientIds ?? [],
          createdAt: r.created_at,
          lastSeenAt: r.last_seen_at,
          expiresAt: r.expires_at,
        };
      },
    );
  }

  async endSid(tenantId: TenantId, sid: string): Promise<SessionRecord | undefined> {
    return this.#transaction(async (trx) => {
      const held = await trx
        .selectFrom('session_sids as x')
        .innerJoin('sessions as s', (j) => j.onRef('s.tenant_id', '=', 'x.tenant_id').onRef('s.hash', '=', 'x.session_hash'))
        .select('s.hash')
        .where('x.tenant_id', '=', tenantId)
        .where('x.sid', '=', sid)
        .orderBy('s.created_at', 'desc')
        .orderBy('s.hash')
        .limit(1)
        .executeTakeFirst();
      if (!held) return undefined;
      // The row under its lock: the accounts left are computed from the current ones.
      const before = await this.#lock(trx, tenantId, held.hash);
      if (!before) return undefined;
      const ended = before.accounts.find((a) => a.sid === sid);
      const left = before.accounts.filter((a) => a.sid !== sid);
      if (left.length === 0) {
        await trx.deleteFrom('sessions').where('tenant_id', '=', tenantId).where('hash', '=', held.hash).execute();
      } else {
        // No other account is silently made current.
        const currentUserId = ended?.userId === before.currentUserId ? null : before.currentUserId;
        await trx
          .updateTable('sessions')
          .set({ accounts: JSON.stringify(left), current_user_id: currentUserId })
          .where('tenant_id', '=', tenantId)
          .where('hash', '=', held.hash)
          .execute();
      }
      await syncSids(trx, tenantId, held.hash, before.accounts, left);
      return before;
    });
  }

  async purgeExpired(before: number): Promise<number> {
    return this.#transaction(async (trx) => {
      // The index rows first, while their sessions still tell which ones go: the expired
      // sessions come from sessions_expires_idx, their sid rows by the session_sids key prefix
      // (a correlated EXISTS would visit every session_sids row).
      await trx
        .deleteFrom('session_sids')
        .where((eb) =>
          eb(
            eb.refTuple('tenant_id', 'session_hash'),
            'in',
            eb.selectFrom('sessions').select(['tenant_id', 'hash']).where('expires_at', '<', before).$asTuple('tenant_id', 'hash'),
          ),
        )
        .execute();
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

  /** Deadlock victims (InnoDB next-key locks on session_sids) retry; the work is idempotent. */
  #transaction<T>(work: (trx: Trx) => Promise<T>): Promise<T> {
    return storeTransaction(this.#db, this.#kind, work);
  }
}

/**
 * Brings the session's session_sids rows from `before` to `after`: rows of removed sids go, new
 * sids get a row with their user_id and auth_time, kept sids whose account changed are updated.
 */
async function syncSids(trx: Trx, tenantId: string, hash: string, before: readonly SessionAccount[], after: readonly SessionAccount[]): Promise<void> {
  const old = bySid(before);
  const now = bySid(after);
  const gone = [...old.keys()].filter((s) => !now.has(s));
  if (gone.length > 0) {
    await trx.deleteFrom('session_sids').where('tenant_id', '=', tenantId).where('session_hash', '=', hash).where('sid', 'in', gone).execute();
  }
  const added = [...now.values()].filter((a) => !old.has(a.sid));
  if (added.length > 0) {
    await trx
      .insertInto('session_sids')
      .values(
        added.map((a) => ({
          tenant_id: tenantId,
          session_hash: hash,
          sid: a.sid,
          user_id: a.userId,
          auth_time: a.authTime,
        })),
      )
      .execute();
  }
  for (const a of now.values()) {
    const was = old.get(a.sid);
    if (!was || (was.userId === a.userId && was.authTime === a.authTime)) continue;
    await trx
      .updateTable('session_sids')
      .set({ user_id: a.userId, auth_time: a.authTime })
      .where('tenant_id', '=', tenantId)
      .where('session_hash', '=', hash)
      .where('sid', '=', a.sid)
      .execute();
  }
}

import { resolve } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { GatehouseError } from '../../core/errors.ts';
import { systemClock, type Clock } from '../../core/ports/clock.ts';
import type { Storage } from '../../core/ports/storage.ts';
import { migrateToLatest } from '../migrations/migrate.ts';
import { SqlAuditStore } from './sql-audit-store.ts';
import { SqlClientStore } from './sql-client-store.ts';
import { SqlCodeStore } from './sql-code-store.ts';
import { SqlConsentStore } from './sql-consent-store.ts';
import { SqlDeviceCodeStore } from './sql-device-code-store.ts';
import { SqlGrantStore } from './sql-grant-store.ts';
import type { SqlConnection } from './prepared-query.ts';
import { openSql, type SqlTarget } from './sql-connect.ts';
import { SqlKeyStore } from './sql-key-store.ts';
import { SqlOutboxStore } from './sql-outbox-store.ts';
import { SqlParStore } from './sql-par-store.ts';
import { SqlReplayCache } from './sql-replay-cache.ts';
import { SqlSessionStore } from './sql-session-store.ts';
import { SqlTokenDenylist } from './sql-token-denylist.ts';
import { SqlTokenStore } from './sql-token-store.ts';
import { SqlUserStore } from './sql-user-store.ts';
import { sqlUnitOfWork } from './sql-unit-of-work.ts';

interface Shared {
  readonly conn: Promise<SqlConnection>;
  refs: number;
}

/**
 * SQLite files opened twice in one process share one connection. better-sqlite3 is synchronous:
 * two connections in one thread would wait on each other's write lock inside busy_timeout with
 * the event loop blocked, so the second always fails. Sharing serialises them through Kysely's
 * connection mutex instead. Separate processes still coordinate through SQLite's file locks.
 */
const sqliteFiles = new Map<string, Shared>();

async function acquire(target: SqlTarget): Promise<{ conn: SqlConnection; release(): Promise<void> }> {
  if (target.kind !== 'sqlite' || target.location === ':memory:') {
    const conn = await openSql(target);
    return { conn, release: () => conn.close() };
  }
  const path = resolve(target.location);
  let shared = sqliteFiles.get(path);
  if (!shared) {
    shared = { conn: openSql(target), refs: 0 };
    sqliteFiles.set(path, shared);
    shared.conn.catch(() => sqliteFiles.delete(path));
  }
  shared.refs++;
  const entry = shared;
  const conn = await entry.conn;
  return {
    conn,
    async release() {
      if (--entry.refs > 0) return;
      sqliteFiles.delete(path);
      await conn.close();
    },
  };
}

export interface SqlStorageOptions {
  /** Decides when a replay-cache entry has expired. */
  readonly clock?: Clock;
}

/** The Kysely adapter (S9 role-suffixed stores) over SQLite, PostgreSQL or MySQL/MariaDB. */
export async function createSqlStorage(target: SqlTarget, opts: SqlStorageOptions = {}): Promise<Storage> {
  const { conn, release } = await acquire(target);
  const { db, kind } = conn;
  const sessions = new SqlSessionStore(conn);
  let closed: Promise<void> | undefined;
  return {
    dialect: kind,
    clients: new SqlClientStore(conn),
    tokens: new SqlTokenStore(conn),
    grants: new SqlGrantStore(conn),
    denylist: new SqlTokenDenylist(conn),
    replay: new SqlReplayCache(conn, opts.clock ?? systemClock),
    keyStore: new SqlKeyStore(db, kind),
    users: new SqlUserStore(conn),
    sessions,
    userSessions: sessions,
    consents: new SqlConsentStore(conn),
    codes: new SqlCodeStore(conn),
    deviceCodes: new SqlDeviceCodeStore(conn),
    par: new SqlParStore(conn),
    outbox: new SqlOutboxStore(db, kind),
    audit: new SqlAuditStore(db, kind),
    unitOfWork: sqlUnitOfWork(conn),
    migrate: () => migrateToLatest(db as Kysely<unknown>, kind),
    async ping() {
      if (closed) throw new GatehouseError('GH_STORE_UNAVAILABLE', `${kind} store is closed`);
      await sql`select 1`.execute(db);
    },
    close() {
      closed ??= release();
      return closed;
    },
  };
}

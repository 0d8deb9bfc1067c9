import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect, type Dialect, type SqliteDatabase } from 'kysely';
import { withErrorMapping } from './error-mapping-dialect.ts';
import type { SqlConnection } from './prepared-query.ts';
import type { Database, SqlKind } from './schema.ts';
import { hotStatementName } from './named-statements.ts';
import { ClientCache } from './sql-client-cache.ts';
import { mapStoreError } from './sql-errors.ts';
import { loadBetterSqlite3 } from './sqlite-driver.ts';
import { SqliteReadScope } from './sqlite-read-scope.ts';
import { InThreadWriter, type HotWriter, type SqliteHandle } from './sqlite-write-batch.ts';
import { SqliteWriterThread } from './sqlite-writer-thread.ts';

/** How long SQLite waits for another process's write lock before SQLITE_BUSY. */
const SQLITE_BUSY_TIMEOUT_MS = 5000;
/** Bytes the WAL file is truncated back to after a checkpoint that emptied it. */
export const SQLITE_WAL_SIZE_LIMIT = 64 * 1024 * 1024;
const PG_INT8_OID = 20;
const CONNECT_TIMEOUT_MS = 10_000;

export interface SqlTarget {
  readonly kind: SqlKind;
  /** Driver connection string; for SQLite a file path or ':memory:'. */
  readonly location: string;
  readonly poolSize: number;
  /** PostgreSQL/MySQL: how long a read client is reused (ms; 0 turns the cache off). Default 1000. */
  readonly clientCacheTtlMs?: number;
}

/** How long a client read is reused on PostgreSQL/MySQL when the target does not say. */
export const DEFAULT_CLIENT_CACHE_TTL_MS = 1000;

/**
 * Opens one Kysely over the driver of `target.kind` (and, on SQLite, hands out the connection
 * for the prepared hot-path statements). Only that driver is loaded, with a dynamic import
 * (S16): a SQLite install never loads pg or mysql2.
 */
export async function openSql(target: SqlTarget): Promise<SqlConnection> {
  const { dialect, sqlite } = await createDialect(target);
  const db = new Kysely<Database>({ dialect: withErrorMapping(dialect, target.kind) });
  let writes: HotWriter | null = null;
  if (sqlite) {
    const inThread = new InThreadWriter(sqlite.handle, sqlite.reads);
    // A file gets a writer thread with its own connection; an in-memory database exists only on
    // this connection, so its writes commit here.
    writes =
      target.location === ':memory:'
        ? inThread
        : new SqliteWriterThread(resolve(target.location), { busyTimeoutMs: SQLITE_BUSY_TIMEOUT_MS, walSizeLimit: SQLITE_WAL_SIZE_LIMIT }, inThread, () =>
            sqlite.reads.end(),
          );
  }
  const ttl = target.clientCacheTtlMs ?? DEFAULT_CLIENT_CACHE_TTL_MS;
  return {
    db,
    kind: target.kind,
    sqlite: sqlite && writes && { ...sqlite, writes },
    clientCache: target.kind !== 'sqlite' && ttl > 0 ? new ClientCache(ttl) : null,
    async close() {
      await writes?.close();
      await db.destroy();
    },
  };
}

async function createDialect({
  kind,
  location,
  poolSize,
}: SqlTarget): Promise<{ dialect: Dialect; sqlite: { handle: SqliteHandle; reads: SqliteReadScope } | null }> {
  if (kind === 'sqlite') {
    const BetterSqlite3 = await loadBetterSqlite3();
    if (location !== ':memory:') await mkdir(dirname(resolve(location)), { recursive: true });
    let db;
    try {
      db = new BetterSqlite3(location, { timeout: SQLITE_BUSY_TIMEOUT_MS });
    } catch (e) {
      throw mapStoreError('sqlite', e);
    }
    // WAL: readers never block the writer; NORMAL is durable across application crashes in WAL
    // (a power loss may drop the last commits, never corrupt the file).
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    // A WAL that grew during a burst (a long reader held back its restart) shrinks again.
    db.pragma(`journal_size_limit = ${SQLITE_WAL_SIZE_LIMIT}`);
    const reads = new SqliteReadScope(db);
    return { dialect: new SqliteDialect({ database: cachingStatements(db, reads) }), sqlite: { handle: db, reads } };
  }
  if (kind === 'postgres') {
    const { default: pg } = await import('pg');
    // Kysely calls client.query(text, values): hot texts go out as named prepared statements.
    const Client = class extends pg.Client {
      override query(config: unknown, values?: unknown, callback?: unknown): never {
        const name = typeof config === 'string' && Array.isArray(values) ? hotStatementName(config) : undefined;
        const call = super.query as (...a: unknown[]) => never;
        return name ? call.call(this, { name, text: config, values }, callback) : call.call(this, config, values, callback);
      }
    };
    const pool = new pg.Pool({
      Client,
      connectionString: location,
      max: poolSize,
      // Without it a connect to a silent host waits for the OS TCP timeout (minutes); readiness
      // and requests should fail with GH_STORE_UNAVAILABLE well before that.
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      // bigint (int8) columns hold epoch seconds and counts: return numbers, not strings.
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === PG_INT8_OID && format !== 'binary'
            ? (v: string) => Number(v)
            : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
      },
    });
    // An idle client losing its server (restart, failover) must not crash the process; the next
    // query reports GH_STORE_UNAVAILABLE instead.
    pool.on('error', () => {});
    return { dialect: new PostgresDialect({ pool }), sqlite: null };
  }
  const mysql = await import('mysql2');
  const createPool = mysql.createPool ?? (mysql as unknown as { default: typeof mysql }).default.createPool;
  const pool = createPool({
    uri: location.replace(/^mariadb:/, 'mysql:'),
    connectionLimit: poolSize,
    charset: 'utf8mb4',
    connectTimeout: CONNECT_TIMEOUT_MS,
    // Epoch seconds fit in a double: return BIGINT as numbers.
    supportBigNumbers: false,
  });
  pool.on('connection', (conn) => {
    conn.on('error', () => {});
    // Kysely calls connection.query(sql, params, cb): hot texts run as server-side prepared
    // statements instead (binary protocol; mysql2 keeps them per connection).
    const text = conn.query.bind(conn) as (...a: unknown[]) => unknown;
    const prepared = conn.execute.bind(conn) as (...a: unknown[]) => unknown;
    (conn as unknown as { query: (...a: unknown[]) => unknown }).query = (sqlText: unknown, params?: unknown, cb?: unknown) =>
      typeof sqlText === 'string' && Array.isArray(params) && typeof cb === 'function' && hotStatementName(sqlText)
        ? prepared(sqlText, params, cb)
        : text(sqlText, params, cb);
  });
  return { dialect: new MysqlDialect({ pool }), sqlite: null };
}

/** Most statements prepared by the SQLite driver and kept for reuse. */
const STATEMENT_CACHE_SIZE = 200;

/**
 * Kysely's SQLite driver prepares every query anew; preparing costs more than running a
 * primary-key lookup. The adapter issues a small, fixed set of SQL texts, so reuse them.
 * Statements are only run with all()/run() (the adapter never streams), so sharing is safe.
 * Kysely prepares before it runs anything: the hot path's shared read transaction ends there,
 * so no Kysely statement runs inside it.
 */
function cachingStatements(db: SqliteDatabase, reads: SqliteReadScope): SqliteDatabase {
  const cache = new Map<string, ReturnType<SqliteDatabase['prepare']>>();
  return {
    close: () => {
      reads.end();
      db.close();
    },
    prepare(sqlText: string) {
      reads.end();
      let stmt = cache.get(sqlText);
      if (!stmt) {
        stmt = db.prepare(sqlText);
        if (cache.size < STATEMENT_CACHE_SIZE) cache.set(sqlText, stmt);
      }
      return stmt;
    },
  };
}

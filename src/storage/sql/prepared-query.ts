import { CompiledQuery, type Compilable, type Kysely } from 'kysely';
import { GatehouseError } from '../../core/errors.ts';
import { registerHotStatement } from './named-statements.ts';
import type { Database, SqlKind } from './schema.ts';
import type { ClientCache } from './sql-client-cache.ts';
import { mapStoreError } from './sql-errors.ts';
import type { SqliteReadScope } from './sqlite-read-scope.ts';
import type { HotWriter, SqliteHandle, SqliteStatement } from './sqlite-write-batch.ts';

/** One opened database: the Kysely instance and, on SQLite, the connection under it. */
export interface SqlConnection {
  readonly db: Kysely<Database>;
  readonly kind: SqlKind;
  /**
   * SQLite only: the connection Kysely drives, the read transaction its hot-path reads share per
   * event-loop turn, and where hot-path writes go (group commit).
   */
  readonly sqlite: { readonly handle: SqliteHandle; readonly reads: SqliteReadScope; readonly writes: HotWriter } | null;
  /**
   * PostgreSQL and MySQL only: recently read clients, shared by every store built on this
   * connection (a transaction-scoped store must keep it, so its mutations invalidate it).
   * Absent on SQLite (a local read costs less than the cache) and when the TTL is 0.
   */
  readonly clientCache?: ClientCache | null;
  /** Commits queued writes, then closes the pool or connection. */
  close(): Promise<void>;
}

/** A row read as an array: the values of `Columns` of table row `R`, in order. */
export type RowValues<R, Columns extends readonly (keyof R)[]> = { readonly [I in keyof Columns]: R[Columns[I]] };

/** A query placeholder: `p(i)` stands for the i-th value passed at execution time. */
export type Param = (index: number) => never;

export interface PreparedQuery {
  /** The first row as the selected values in `columns` order, or undefined when none matched. */
  first(params: readonly unknown[]): Promise<readonly unknown[] | undefined>;
  /** Runs an INSERT, UPDATE or DELETE; resolves to the number of rows it changed. */
  run(params: readonly unknown[]): Promise<number>;
}

const SENTINEL = '\u0000gatehouse-param:';

/**
 * Builds a query once with the Kysely builder, compiles it for the connection's dialect, and
 * reuses the SQL text for every call: building and compiling cost more than the primary-key
 * lookups and single-row writes of the token endpoint (S16: Kysely still writes the SQL).
 *
 * On SQLite a read runs straight on a cached better-sqlite3 statement, rows as arrays (no
 * per-row property names), inside the turn's shared read transaction (SqliteReadScope); a write
 * goes to the connection's HotWriter (group commit, on a writer thread for files). Kysely's driver serialises transactions through one connection: while one
 * is open (key rotation, migrations) a direct statement would run inside it, so then the query
 * goes through Kysely and waits its turn. better-sqlite3 is synchronous, so "no transaction open
 * now" holds for the whole statement.
 *
 * On PostgreSQL and MySQL the precompiled SQL goes through Kysely's executor (pool, error
 * mapping) and runs as a prepared statement (named-statements.ts).
 */
export function prepareQuery(conn: SqlConnection, build: (p: Param) => Compilable, columns: readonly string[] = []): PreparedQuery {
  const compiled = build(((i: number) => `${SENTINEL}${i}`) as Param).compile();
  const { sql } = compiled;
  if (conn.kind !== 'sqlite') registerHotStatement(sql);
  // Where each compiled parameter comes from: a call-time value (index ≥ 0) or a constant.
  const slots = compiled.parameters.map((v) => (typeof v === 'string' && v.startsWith(SENTINEL) ? Number(v.slice(SENTINEL.length)) : -1));
  const constants = compiled.parameters;
  const direct = slots.every((s, i) => s === i);
  const bind = (params: readonly unknown[]): unknown[] => (direct ? (params as unknown[]) : slots.map((s, i) => (s >= 0 ? params[s] : constants[i])));

  const { db, kind } = conn;
  const sqlite = conn.sqlite?.handle;
  const reads = conn.sqlite?.reads;
  const writes = conn.sqlite?.writes;
  // Prepared on first use: the tables may not exist before migrate().
  let reader: SqliteStatement | undefined;
  const viaKysely = (params: readonly unknown[]) => db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(sql, bind(params)));
  const runViaKysely = async (params: readonly unknown[]) => Number((await viaKysely(params)).numAffectedRows ?? 0n);

  return {
    async first(params) {
      if (sqlite && reads!.usable) {
        if (!sqlite.open) throw new GatehouseError('GH_STORE_UNAVAILABLE', 'SQLite store is closed');
        try {
          reads!.enter();
          reader ??= sqlite.prepare(sql).raw(true);
          return reader.get(...bind(params)) as unknown[] | undefined;
        } catch (e) {
          throw mapStoreError(kind, e);
        }
      }
      const row = (await viaKysely(params)).rows[0];
      return row && columns.map((c) => row[c]);
    },
    run(params) {
      if (writes) return writes.run(sql, bind(params), () => runViaKysely(params));
      return runViaKysely(params);
    },
  };
}

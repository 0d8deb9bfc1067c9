import { CompiledQuery, SqliteAdapter, type DatabaseConnection, type Dialect, type Driver, type QueryResult, type TransactionSettings } from 'kysely';
import type { SqlKind } from './schema.ts';
import { mapStoreError } from './sql-errors.ts';

async function guard<T>(kind: SqlKind, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw mapStoreError(kind, e);
  }
}

class MappedConnection implements DatabaseConnection {
  readonly inner: DatabaseConnection;
  readonly kind: SqlKind;
  constructor(inner: DatabaseConnection, kind: SqlKind) {
    this.inner = inner;
    this.kind = kind;
  }
  executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    return guard(this.kind, () => this.inner.executeQuery<R>(q));
  }
  streamQuery<R>(q: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(q, chunkSize);
  }
}

/**
 * Kysely's SQLite adapter reports no transactional DDL, so its migrator would run migrations
 * outside any transaction and without a lock. SQLite's DDL is transactional: saying so makes the
 * migrator wrap the run in one transaction (BEGIN IMMEDIATE below), which both serialises
 * concurrent migrators across processes and leaves nothing half-applied when one fails.
 */
class TransactionalSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

const unwrap = (c: DatabaseConnection) => (c instanceof MappedConnection ? c.inner : c);

/**
 * Wraps a Kysely dialect so that every driver call maps "database unreachable" errors to
 * `GH_STORE_UNAVAILABLE` in one place. On SQLite, transactions start with BEGIN IMMEDIATE: the
 * write lock is taken up front (waiting up to busy_timeout) instead of failing with SQLITE_BUSY
 * when a read-then-write transaction meets another process's commit; migrations run inside one
 * (see TransactionalSqliteAdapter).
 */
export function withErrorMapping(inner: Dialect, kind: SqlKind): Dialect {
  return {
    createQueryCompiler: () => inner.createQueryCompiler(),
    createAdapter: () => (kind === 'sqlite' ? new TransactionalSqliteAdapter() : inner.createAdapter()),
    createIntrospector: (db) => inner.createIntrospector(db),
    createDriver(): Driver {
      const d = inner.createDriver();
      return {
        init: () => guard(kind, () => d.init()),
        acquireConnection: async () => new MappedConnection(await guard(kind, () => d.acquireConnection()), kind),
        beginTransaction: (c: DatabaseConnection, s: TransactionSettings) =>
          kind === 'sqlite' ? c.executeQuery(CompiledQuery.raw('begin immediate')).then(() => undefined) : guard(kind, () => d.beginTransaction(unwrap(c), s)),
        commitTransaction: (c) => guard(kind, () => d.commitTransaction(unwrap(c))),
        rollbackTransaction: (c) => guard(kind, () => d.rollbackTransaction(unwrap(c))),
        ...(d.savepoint && { savepoint: (c, name, compile) => guard(kind, () => d.savepoint!(unwrap(c), name, compile)) }),
        ...(d.rollbackToSavepoint && { rollbackToSavepoint: (c, name, compile) => guard(kind, () => d.rollbackToSavepoint!(unwrap(c), name, compile)) }),
        ...(d.releaseSavepoint && { releaseSavepoint: (c, name, compile) => guard(kind, () => d.releaseSavepoint!(unwrap(c), name, compile)) }),
        releaseConnection: (c) => d.releaseConnection(unwrap(c)),
        destroy: () => d.destroy(),
      };
    },
  };
}

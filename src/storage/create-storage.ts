import { GatehouseError } from '../core/errors.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { Storage } from '../core/ports/storage.ts';

export interface StorageOptions {
  /** Connections per pool (PostgreSQL, MySQL); SQLite uses one connection. */
  readonly poolSize?: number;
  /** PostgreSQL/MySQL: how long a client read is reused (ms, 0 = never); see ClientCache. */
  readonly clientCacheTtlMs?: number;
  /** Decides when replay-cache entries expire; defaults to the system clock. */
  readonly clock?: Clock;
}

const DEFAULT_POOL_SIZE = 10;

/**
 * Opens the store named by a database URL: `memory:`, `sqlite:PATH` / `sqlite::memory:`,
 * `postgres://…` / `postgresql://…`, `mysql://…` / `mariadb://…`. Drivers load lazily (S16):
 * only the one the URL names is imported. The store is not migrated here; call `migrate()`.
 */
export async function createStorage(url: string, opts: StorageOptions = {}): Promise<Storage> {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  const poolSize = opts.poolSize ?? DEFAULT_POOL_SIZE;
  if (!Number.isInteger(poolSize) || poolSize < 1) {
    throw new GatehouseError('GH_CONFIG_INVALID', `database.poolSize must be a positive integer (got ${poolSize})`);
  }
  switch (scheme) {
    case 'memory': {
      const { createMemoryStorage } = await import('./memory/memory-storage.ts');
      return createMemoryStorage({ clock: opts.clock });
    }
    case 'sqlite': {
      const location = sqlitePath(url);
      const { createSqlStorage } = await import('./sql/sql-storage.ts');
      return createSqlStorage({ kind: 'sqlite', location, poolSize: 1 }, { clock: opts.clock });
    }
    case 'postgres':
    case 'postgresql': {
      const { createSqlStorage } = await import('./sql/sql-storage.ts');
      return createSqlStorage({ kind: 'postgres', location: url, poolSize, clientCacheTtlMs: opts.clientCacheTtlMs }, { clock: opts.clock });
    }
    case 'mysql':
    case 'mariadb': {
      const { createSqlStorage } = await import('./sql/sql-storage.ts');
      return createSqlStorage({ kind: 'mysql', location: url, poolSize, clientCacheTtlMs: opts.clientCacheTtlMs }, { clock: opts.clock });
    }
    default:
      throw new GatehouseError(
        'GH_CONFIG_INVALID',
        `database.url: unsupported scheme ${scheme ? `"${scheme}:"` : '(none)'}; use memory:, sqlite:PATH, sqlite::memory:, postgres://…, postgresql://…, mysql://… or mariadb://…`,
      );
  }
}

/** `sqlite:PATH`, `sqlite://PATH` (so `sqlite:///abs/file.db` is absolute) or `sqlite::memory:`. */
function sqlitePath(url: string): string {
  const rest = url.slice('sqlite:'.length);
  const path = rest.startsWith('//') ? rest.slice(2) : rest;
  if (path === '') throw new GatehouseError('GH_CONFIG_INVALID', 'database.url: sqlite: needs a file path, e.g. sqlite:./data/gatehouse.db or sqlite::memory:');
  return path;
}

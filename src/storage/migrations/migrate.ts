import { Migrator, type Kysely, type Migration } from 'kysely';
import { GatehouseError } from '../../core/errors.ts';
import type { SqlKind } from '../sql/schema.ts';
import { initialMigration } from './0001-initial.ts';
import { endUsersMigration } from './0002-end-users.ts';
import { sessionIndexesMigration } from './0003-session-indexes.ts';
import { adminListsMigration } from './0004-admin-lists.ts';
import { outboxMigration } from './0005-outbox.ts';
import { auditMigration } from './0006-audit.ts';
import { userHardeningMigration } from './0007-user-hardening.ts';
import { sessionEpochMigration } from './0008-session-epoch.ts';

/**
 * The one migration set, in order, forward-only. Add a migration by appending
 * `'000N-what': migrationFn(kind)`; never edit or reorder an applied one. Every statement is
 * idempotent (CREATE … IF NOT EXISTS, DROP … IF EXISTS, ADD COLUMN only when missing, backfills
 * of unfilled rows only): MariaDB DDL is not transactional, so a migration that failed halfway
 * there is re-run from its start and must complete (SQLite and PostgreSQL roll it back whole).
 */
export function migrations(kind: SqlKind): Record<string, Migration> {
  return {
    '0001-initial': initialMigration(kind),
    '0002-end-users': endUsersMigration(kind),
    '0003-session-indexes': sessionIndexesMigration(kind),
    '0004-admin-lists': adminListsMigration(kind),
    '0005-outbox': outboxMigration(kind),
    '0006-audit': auditMigration(kind),
    '0007-user-hardening': userHardeningMigration(kind),
    '0008-session-epoch': sessionEpochMigration(kind),
  };
}

export const MIGRATION_TABLE = 'gatehouse_migration';

/**
 * Applies pending migrations; returns the names this call applied. Idempotent. Concurrent
 * callers are serialised by Kysely's migration lock (PostgreSQL advisory lock, MySQL GET_LOCK,
 * SQLite's write lock via BEGIN IMMEDIATE), so each migration runs exactly once.
 */
export async function migrateToLatest(db: Kysely<unknown>, kind: SqlKind): Promise<{ applied: string[] }> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations(kind) },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: `${MIGRATION_TABLE}_lock`,
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error) {
    if (error instanceof GatehouseError) throw error;
    const missing = missingDatabase(kind, error);
    if (missing) throw missing;
    const failed = results.find((r) => r.status === 'Error')?.migrationName;
    const what = failed ? `database migration ${failed}` : 'database migration bookkeeping';
    const err = new GatehouseError('GH_MIGRATION_FAILED', `${what} failed: ${error instanceof Error ? error.message : String(error)}`);
    Object.defineProperty(err, 'cause', { value: error, enumerable: false });
    throw err;
  }
  return { applied: results.filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}

/**
 * The server answers but the database in `database.url` does not exist (PostgreSQL SQLSTATE
 * 3D000 `invalid_catalog_name`, MariaDB/MySQL error 1049 `ER_BAD_DB_ERROR`): not a failed
 * migration but a store that is not there yet, so GH_STORE_UNAVAILABLE with how to create it.
 */
function missingDatabase(kind: SqlKind, error: unknown): GatehouseError | null {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, errno, message } = e as { code?: unknown; errno?: unknown; message?: unknown };
    const text = typeof message === 'string' ? message : '';
    const pg = kind === 'postgres' && code === '3D000';
    const my = kind === 'mysql' && (code === 'ER_BAD_DB_ERROR' || errno === 1049);
    if (!pg && !my) continue;
    const name = (pg ? /database "([^"]{1,128})"/ : /database '([^']{1,128})'/).exec(text)?.[1] ?? 'NAME';
    const how = pg
      ? `createdb ${name}  (or in psql: CREATE DATABASE "${name}";)`
      : `mariadb -e 'CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin'  (or in SQL: CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;)`;
    const err = new GatehouseError(
      'GH_STORE_UNAVAILABLE',
      `the ${pg ? 'PostgreSQL' : 'MariaDB/MySQL'} database "${name}" named in database.url does not exist; create it, then start again: ${how}`,
    );
    Object.defineProperty(err, 'cause', { value: error, enumerable: false });
    return err;
  }
  return null;
}

import { Migrator, type Kysely, type Migration } from 'kysely';
import { GatehouseError } from '../../core/errors.ts';
import type { SqlKind } from '../sql/schema.ts';
import { initialMigration } from './0001-initial.ts';
import { endUsersMigration } from './0002-end-users.ts';
import { sessionIndexesMigration } from './0003-session-indexes.ts';
import { adminListsMigration } from './0004-admin-lists.ts';

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
    const failed = results.find((r) => r.status === 'Error')?.migrationName ?? 'migration bookkeeping';
    const err = new GatehouseError('GH_MIGRATION_FAILED', `database migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
    Object.defineProperty(err, 'cause', { value: error, enumerable: false });
    throw err;
  }
  return { applied: results.filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}

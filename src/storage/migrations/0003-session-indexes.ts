import type { Kysely, Migration } from 'kysely';
import type { SqlKind } from '../sql/schema.ts';

/**
 * `findBySid` looks up session_sids by (tenant_id, sid) and needs session_hash to join. With
 * 0002's session_sids_sid_idx (tenant_id, sid) SQLite preferred the primary key (tenant_id,
 * session_hash, sid), which holds every column the query reads, and scanned all sids of the
 * tenant. A covering (tenant_id, sid, session_hash) index answers the lookup alone on every
 * dialect and makes the narrower index redundant, so it is dropped.
 */
export function sessionIndexesMigration(kind: SqlKind): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.createIndex('session_sids_sid_hash_idx').ifNotExists().on('session_sids').columns(['tenant_id', 'sid', 'session_hash']).execute();
      // MySQL/MariaDB name an index per table: DROP INDEX … ON session_sids.
      const drop = db.schema.dropIndex('session_sids_sid_idx').ifExists();
      await (kind === 'mysql' ? drop.on('session_sids') : drop).execute();
    },
  };
}

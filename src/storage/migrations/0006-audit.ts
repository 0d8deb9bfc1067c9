import { sql, type ColumnDefinitionBuilder, type CreateTableBuilder, type Kysely, type Migration } from 'kysely';
import type { SqlKind } from '../sql/schema.ts';

/**
 * The audit log (docs/audit.md): `audit_log` holds one hash chain per tenant, keyed
 * (tenant_id, seq); `audit_heads` holds each tenant's chain head, the row every append locks.
 * Times are epoch milliseconds. Indexes serve the operator filters (actor, action, object, time),
 * each ending in seq for keyset paging. Idempotent (IF NOT EXISTS), as every migration.
 */
export function auditMigration(kind: SqlKind): Migration {
  const json = kind === 'mysql' ? sql`mediumtext` : sql`text`;
  const byteKey = (c: ColumnDefinitionBuilder) => (kind === 'postgres' ? c.modifyFront(sql`collate "C"`) : c).notNull();
  const byteCol = (c: ColumnDefinitionBuilder) => (kind === 'postgres' ? c.modifyFront(sql`collate "C"`) : c);
  const table = <T extends string>(db: Kysely<unknown>, name: T): CreateTableBuilder<T, never> => {
    const t = db.schema.createTable(name).ifNotExists();
    return kind === 'mysql' ? t.modifyEnd(sql`engine = InnoDB default charset = utf8mb4 collate = utf8mb4_bin`) : t;
  };
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await table(db, 'audit_log')
        .addColumn('tenant_id', 'varchar(64)', byteKey)
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('actor_kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('actor_id', 'varchar(255)', byteKey)
        .addColumn('action', 'varchar(64)', byteKey)
        .addColumn('object_type', 'varchar(32)', (c) => c.notNull())
        .addColumn('object_id', 'varchar(255)', byteCol)
        .addColumn('origin', 'varchar(255)', (c) => c.notNull())
        .addColumn('outcome', 'varchar(8)', (c) => c.notNull())
        .addColumn('error_code', 'varchar(64)')
        .addColumn('detail', json, (c) => c.notNull())
        .addColumn('prev_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('hash', 'varchar(64)', (c) => c.notNull())
        .addPrimaryKeyConstraint('audit_log_pk', ['tenant_id', 'seq'])
        .execute();
      await table(db, 'audit_heads')
        .addColumn('tenant_id', 'varchar(64)', byteKey)
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('hash', 'varchar(64)', (c) => c.notNull())
        .addPrimaryKeyConstraint('audit_heads_pk', ['tenant_id'])
        .execute();
      const index = (name: string, columns: string[]) => db.schema.createIndex(name).ifNotExists().on('audit_log').columns(columns).execute();
      await index('audit_log_at_idx', ['tenant_id', 'at']);
      await index('audit_log_actor_idx', ['tenant_id', 'actor_id', 'seq']);
      await index('audit_log_action_idx', ['tenant_id', 'action', 'seq']);
      await index('audit_log_object_idx', ['tenant_id', 'object_id', 'seq']);
    },
  };
}

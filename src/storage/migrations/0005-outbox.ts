import { sql, type ColumnDefinitionBuilder, type CreateTableBuilder, type Kysely, type Migration } from 'kysely';
import type { SqlKind } from '../sql/schema.ts';

/**
 * The transactional outbox (docs/events.md): `outbox_events`, one row per event with its
 * CloudEvents envelope, and `outbox_deliveries`, one row per (sink, event) with its delivery
 * state. Times are epoch milliseconds. A relay claims by (sink, state, event_id): the
 * `outbox_deliveries_due_idx` index serves "pending deliveries of this sink in event order";
 * `outbox_deliveries_settled_idx` the retention purge. CREATE … IF NOT EXISTS throughout, so a
 * MariaDB run that failed halfway completes when run again.
 */
export function outboxMigration(kind: SqlKind): Migration {
  const byteKey = (c: ColumnDefinitionBuilder) => (kind === 'postgres' ? c.modifyFront(sql`collate "C"`) : c).notNull();
  const table = <T extends string>(db: Kysely<unknown>, name: T): CreateTableBuilder<T, never> => {
    const t = db.schema.createTable(name).ifNotExists();
    return kind === 'mysql' ? t.modifyEnd(sql`engine = InnoDB default charset = utf8mb4 collate = utf8mb4_bin`) : t;
  };
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await table(db, 'outbox_events')
        .addColumn('id', 'varchar(36)', byteKey)
        .addColumn('tenant_id', 'varchar(64)', byteKey)
        .addColumn('type', 'varchar(128)', (c) => c.notNull())
        .addColumn('envelope', kind === 'mysql' ? sql`mediumtext` : sql`text`, (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('outbox_events_pk', ['id'])
        .execute();
      await table(db, 'outbox_deliveries')
        .addColumn('sink', 'varchar(255)', byteKey)
        .addColumn('event_id', 'varchar(36)', byteKey)
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('lease_owner', 'varchar(64)')
        .addColumn('lease_until', 'bigint', (c) => c.notNull())
        .addColumn('settled_at', 'bigint')
        .addColumn('last_error', 'varchar(500)')
        .addPrimaryKeyConstraint('outbox_deliveries_pk', ['sink', 'event_id'])
        .execute();
      const index = (name: string, t: string, columns: string[]) => db.schema.createIndex(name).ifNotExists().on(t).columns(columns).execute();
      await index('outbox_deliveries_due_idx', 'outbox_deliveries', ['sink', 'state', 'event_id']);
      await index('outbox_deliveries_event_idx', 'outbox_deliveries', ['event_id']);
      await index('outbox_deliveries_settled_idx', 'outbox_deliveries', ['state', 'settled_at']);
      await index('outbox_events_created_idx', 'outbox_events', ['created_at']);
    },
  };
}

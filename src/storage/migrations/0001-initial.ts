import { sql, type ColumnDefinitionBuilder, type CreateTableBuilder, type Kysely, type Migration } from 'kysely';
import type { SqlKind } from '../sql/schema.ts';

/**
 * The initial schema, the same on every dialect (types differ only where they must).
 * Every table carries tenant_id; timestamps are epoch seconds (bigint); JSON is text.
 * Keys compare byte-wise everywhere (PostgreSQL `collate "C"`, MySQL `utf8mb4_bin`, SQLite's
 * default), so ids are case-sensitive and list order does not depend on the server's locale.
 */
export function initialMigration(kind: SqlKind): Migration {
  const json = kind === 'mysql' ? sql`mediumtext` : sql`text`;
  const byteKey = (c: ColumnDefinitionBuilder) => (kind === 'postgres' ? c.modifyFront(sql`collate "C"`) : c).notNull();
  const table = <T extends string>(db: Kysely<unknown>, name: T): CreateTableBuilder<T, never> => {
    const t = db.schema.createTable(name).ifNotExists();
    return kind === 'mysql' ? t.modifyEnd(sql`engine = InnoDB default charset = utf8mb4 collate = utf8mb4_bin`) : t;
  };

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await table(db, 'clients')
        .addColumn('tenant_id', 'varchar(64)', byteKey)
        .addColumn('client_id', 'varchar(255)', byteKey)
        .addColumn('client_name', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'varchar(64)')
        .addColumn('secret_encrypted', 'text')
        .addColumn('secret_expires_at', 'bigint')
        .addColumn('token_endpoint_auth_method', 'varchar(32)', (c) => c.notNull())
        .addColumn('token_endpoint_auth_signing_alg', 'varchar(16)')
        .addColumn('grant_types', json, (c) => c.notNull())
        .addColumn('response_types', json, (c) => c.notNull())
        .addColumn('redirect_uris', json, (c) => c.notNull())
        .addColumn('scopes', json, (c) => c.notNull())
        .addColumn('jwks', json)
        .addColumn('jwks_uri', 'text')
        .addColumn('access_token_format', 'varchar(8)')
        .addColumn('metadata', json, (c) => c.notNull())
        .addColumn('registration_access_token_hash', 'varchar(64)')
        .addColumn('disabled', 'boolean', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('clients_pk', ['tenant_id', 'client_id'])
        .execute();

      await table(db, 'tokens')
        .addColumn('tenant_id', 'varchar(64)', byteKey)
        .addColumn('hash', 'varchar(64)', byteKey)
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('jti', 'varchar(255)', (c) => c.notNull())
        .addColumn('client_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('audience', json, (c) => c.notNull())
        .addColumn('grant_id', 'varchar(255)', byteKey)
        .addColumn('parent_hash', 'varchar(64)')
        .addColumn('issued_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('cnf', json)
        .addColumn('claims', json, (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .addColumn('consumed_at', 'bigint')
        .addPrimaryKeyConstraint('tokens_pk', ['tenant_id', 'hash'])
        .execute();
      await db.schema.createIndex('tokens_grant_idx').ifNotExists().on('tokens').columns(['tenant_id', 'grant_id']).execute();
      await db.schema.createIndex('tokens_expires_idx').ifNotExists().on('tokens').column('expires_at').execute();

      await table(db, 'token_denylist')
        .addColumn('tenant_id', 'varchar(64)', byteKey)
        .addColumn('jti', 'varchar(255)', byteKey)
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('token_denylist_pk', ['tenant_id', 'jti'])
        .execute();
      await db.schema.createIndex('token_denylist_expires_idx').ifNotExists().on('token_denylist').column('expires_at').execute();

      await table(db, 'replay_cache')
        .addColumn('tenant_id', 'varchar(64)', (c) => byteKey(c).defaultTo('default'))
        .addColumn('key_hash', 'varchar(64)', byteKey)
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('replay_cache_pk', ['tenant_id', 'key_hash'])
        .execute();
      await db.schema.createIndex('replay_cache_expires_idx').ifNotExists().on('replay_cache').column('expires_at').execute();

      await table(db, 'signing_keys')
        .addColumn('tenant_id', 'varchar(64)', byteKey)
        .addColumn('kid', 'varchar(255)', byteKey)
        .addColumn('alg', 'varchar(16)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('live_slot', 'varchar(32)')
        .addColumn('public_jwk', json, (c) => c.notNull())
        .addColumn('private_jwk_encrypted', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('activated_at', 'bigint')
        .addColumn('retires_at', 'bigint')
        .addPrimaryKeyConstraint('signing_keys_pk', ['tenant_id', 'kid'])
        .execute();
      // At most one active and one next key per (tenant, alg): the rotation compare-and-set and
      // concurrent bootstraps rely on it.
      await db.schema.createIndex('signing_keys_live_slot_uq').ifNotExists().unique().on('signing_keys').columns(['tenant_id', 'live_slot']).execute();
    },
  };
}

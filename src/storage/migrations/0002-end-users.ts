import { sql, type ColumnDefinitionBuilder, type CreateTableBuilder, type Kysely, type Migration } from 'kysely';
import type { SqlKind } from '../sql/schema.ts';

/**
 * End users and everything a sign-in produces: users, browser sessions (with session_sids, the
 * index of OIDC `sid` values), remembered consents, authorization codes, RFC 8628 device codes
 * and RFC 9126 pushed requests. Same conventions as 0001: tenant_id on every table, byte-wise
 * keys, JSON as text, epoch seconds as bigint.
 */
export function endUsersMigration(kind: SqlKind): Migration {
  const json = kind === 'mysql' ? sql`mediumtext` : sql`text`;
  const byteKey = (c: ColumnDefinitionBuilder) => (kind === 'postgres' ? c.modifyFront(sql`collate "C"`) : c).notNull();
  const table = <T extends string>(db: Kysely<unknown>, name: T): CreateTableBuilder<T, never> => {
    const t = db.schema.createTable(name).ifNotExists();
    return kind === 'mysql' ? t.modifyEnd(sql`engine = InnoDB default charset = utf8mb4 collate = utf8mb4_bin`) : t;
  };
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await table(db, 'users')
        .addColumn('tenant_id', 'varchar(64)', byteKey)
        .addColumn('id', 'varchar(255)', byteKey)
        // Stored lower-cased by the adapter: the unique index makes usernames case-insensitive.
        .addColumn('username', 'varchar(255)', byteKey)
        .addColumn('password_hash', 'text')
        .addColumn('roles', json, notNull)
        .addColumn('claims', json, notNull)
        .addColumn('disabled', 'boolean', notNull)
        .addColumn('created_at', 'bigint', notNull)
        .addColumn('updated_at', 'bigint', notNull)
        .addPrimaryKeyConstraint('users_pk', ['tenant_id', 'id'])
        .execute();
      await db.schema.createIndex('users_username_uq').ifNotExists().unique().on('users').columns(['tenant_id', 'username']).execute();

      await table(db, 'sessions')
        .addColumn('tenant_id', 'varchar(64)', byteKey)
        .addColumn('hash', 'varchar(64)', byteKey)
        .addColumn('accounts', json, notNull)
        .addColumn('current_user_id', 'varchar(255)')
        .addColumn('created_at', 'bigint', notNull)
        .addColumn('last_seen_at', 'bigint', notNull)
        .addColumn('expires_at', 'bigint', notNull)
        .addPrimaryKeyConstraint('sessions_pk', ['tenant_id', 'hash'])
        .execute();
      await db.schema.createIndex('sessions_expires_idx').ifNotExists().on('sessions').column('expires_at').execute();

      // One row per account of a session, written in the same transaction as the session row:
      // `findBySid` is an indexed lookup on every dialect (no JSON search). Not unique on sid:
      // a sign-in that keeps an account's sid may briefly race with the record it replaces.
      await table(db, 'session_sids')
        .addColumn('tenant_id', 'varchar(64)', byteKey)
        .addColumn('session_hash', 'varchar(64)', byteKey)
        .addColumn('sid', 'varchar(255)', byteKey)
        .addPrimaryKeyConstraint('session_sids_pk', ['tenant_id', 'session_hash', 'sid'])
        .execute();
      await db.schema.createIndex('session_sids_sid_idx').ifNotExists().on('session_sids').columns(['tenant_id', 'sid']).execute();

      await table(db, 'consents')
        .addColumn('tenant_id', 'varchar(64)', byteKey)
        .addColumn('user_id', 'varchar(255)', byteKey)
        .addColumn('client_id', 'varchar(255)', byteKey)
        .addColumn('scopes', json, notNull)
        .addColumn('claims', json, notNull)
        .addColumn('created_at', 'bigint', notNull)
        .addColumn('updated_at', 'bigint', notNull)
        .addPrimaryKeyConstraint('consents_pk', ['tenant_id', 'user_id', 'client_id'])
        .execute();

      await table(db, 'authorization_codes')
        .addColumn('tenant_id', 'varchar(64)', byteKey)
        .addColumn('hash', 'varchar(64)', byteKey)
        .addColumn('client_id', 'varchar(255)', notNull)
        .addColumn('redirect_uri', 'text', notNull)
        .addColumn('scope', 'text', notNull)
        .addColumn('resources', json, notNull)
        .addColumn('claims', json)
        .addColumn('nonce', 'text')
        .addColumn('code_challenge', 'varchar(128)')
        .addColumn('code_challenge_method', 'varchar(8)')
        .addColumn('auth', json, notNull)
        .addColumn('grant_id', 'varchar(255)', notNull)
        .addColumn('cnf', json)
        .addColumn('issued_at', 'bigint', notNull)
        .addColumn('expires_at', 'bigint', notNull)
        .addColumn('consumed_at', 'bigint')
        .addPrimaryKeyConstraint('authorization_codes_pk', ['tenant_id', 'hash'])
        .execute();
      await db.schema.createIndex('authorization_codes_expires_idx').ifNotExists().on('authorization_codes').column('expires_at').execute();

      await table(db, 'device_codes')
        .addColumn('tenant_id', 'varchar(64)', byteKey)
        .addColumn('hash', 'varchar(64)', byteKey)
        .addColumn('user_code_hash', 'varchar(64)', byteKey)
        .addColumn('client_id', 'varchar(255)', notNull)
        .addColumn('scope', 'text', notNull)
        .addColumn('resources', json, notNull)
        .addColumn('status', 'varchar(16)', notNull)
        .addColumn('auth', json)
        .addColumn('granted_scope', 'text')
        .addColumn('grant_id', 'varchar(255)', notNull)
        // `interval` is a reserved word in PostgreSQL and MySQL.
        .addColumn('poll_interval', 'integer', notNull)
        .addColumn('last_polled_at', 'bigint')
        .addColumn('issued_at', 'bigint', notNull)
        .addColumn('expires_at', 'bigint', notNull)
        .addPrimaryKeyConstraint('device_codes_pk', ['tenant_id', 'hash'])
        .execute();
      await db.schema.createIndex('device_codes_user_code_uq').ifNotExists().unique().on('device_codes').columns(['tenant_id', 'user_code_hash']).execute();
      await db.schema.createIndex('device_codes_expires_idx').ifNotExists().on('device_codes').column('expires_at').execute();

      await table(db, 'par_requests')
        .addColumn('tenant_id', 'varchar(64)', byteKey)
        .addColumn('hash', 'varchar(64)', byteKey)
        .addColumn('client_id', 'varchar(255)', notNull)
        .addColumn('params', json, notNull)
        .addColumn('expires_at', 'bigint', notNull)
        .addColumn('consumed_at', 'bigint')
        .addPrimaryKeyConstraint('par_requests_pk', ['tenant_id', 'hash'])
        .execute();
      await db.schema.createIndex('par_requests_expires_idx').ifNotExists().on('par_requests').column('expires_at').execute();
    },
  };
}

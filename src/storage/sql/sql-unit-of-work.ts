import type { Transaction } from 'kysely';
import type { TransactionStores, UnitOfWork } from '../../core/ports/unit-of-work.ts';
import type { SqlConnection } from './prepared-query.ts';
import type { Database } from './schema.ts';
import { SqlAuditStore } from './sql-audit-store.ts';
import { SqlClientStore } from './sql-client-store.ts';
import { SqlConsentStore } from './sql-consent-store.ts';
import { retryOnDeadlock } from './sql-errors.ts';
import { SqlGrantStore } from './sql-grant-store.ts';
import { SqlOutboxStore } from './sql-outbox-store.ts';
import { SqlSessionStore } from './sql-session-store.ts';
import { SqlTokenDenylist } from './sql-token-denylist.ts';
import { SqlTokenStore } from './sql-token-store.ts';
import { SqlUserStore } from './sql-user-store.ts';

/**
 * The stores over one Kysely transaction. The connection view has no `sqlite` member, so the
 * SQLite hot paths stay out of it: no read in the turn's shared read scope (a snapshot outside
 * the transaction), no write to the writer thread (its own connection, its own commit): every
 * prepared query goes through the transaction's executor. Stores that open a transaction of
 * their own run it inside this one instead (sql-transaction.ts), and the audit store locks the
 * chain head in it (sql-audit-store.ts).
 */
export function transactionStores(trx: Transaction<Database>, kind: SqlConnection['kind'], onClients: () => void = () => {}): TransactionStores {
  const conn: SqlConnection = { db: trx, kind, sqlite: null, close: async () => {} };
  // Built on first use: a store compiles its prepared statements when constructed (≈ 1.5 ms for
  // all of them on the benchmark VM), and a use case touches two or three.
  const made = new Map<keyof TransactionStores, unknown>();
  const lazy = <K extends keyof TransactionStores>(k: K, make: () => TransactionStores[K]) => ({
    get: (): TransactionStores[K] => {
      let v = made.get(k) as TransactionStores[K] | undefined;
      if (v === undefined) made.set(k, (v = make()));
      return v;
    },
    enumerable: true,
  });
  return Object.defineProperties({} as TransactionStores, {
    clients: lazy('clients', () => {
      onClients();
      return new SqlClientStore(conn);
    }),
    users: lazy('users', () => new SqlUserStore(conn)),
    tokens: lazy('tokens', () => new SqlTokenStore(conn)),
    grants: lazy('grants', () => new SqlGrantStore(conn)),
    consents: lazy('consents', () => new SqlConsentStore(conn)),
    userSessions: lazy('userSessions', () => new SqlSessionStore(conn)),
    denylist: lazy('denylist', () => new SqlTokenDenylist(conn)),
    outbox: lazy('outbox', () => new SqlOutboxStore(trx, kind)),
    audit: lazy('audit', () => new SqlAuditStore(trx, kind)),
  });
}

/**
 * One Kysely transaction per run (BEGIN IMMEDIATE on SQLite: the database's write lock from the
 * start, error-mapping-dialect.ts; the default isolation on PostgreSQL and MariaDB, with the
 * audit head taken FOR UPDATE). A deadlock or serialization victim is rolled back whole by the
 * database and the unit runs again (retryOnDeadlock).
 */
/**
 * The transaction's client store reads and writes the database only (no cache: a unit reads what
 * it is about to change). Once a unit that touched clients has ended, the process's client cache
 * (PostgreSQL, MariaDB) is dropped, so this instance sees the change at once: an invalidation
 * before the commit would let a concurrent read put the old row back until its TTL.
 */
export function sqlUnitOfWork(conn: Pick<SqlConnection, 'db' | 'kind' | 'clientCache'>): UnitOfWork {
  return {
    atomic: true,
    run: async (work) => {
      let touched = false;
      const onClients = () => {
        touched = true;
      };
      try {
        return await retryOnDeadlock(conn.kind, () => conn.db.transaction().execute((trx) => work(transactionStores(trx, conn.kind, onClients))));
      } finally {
        if (touched) conn.clientCache?.clear();
      }
    },
  };
}

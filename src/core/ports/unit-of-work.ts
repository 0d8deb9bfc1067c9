import type { AuditStore } from './audit-store.ts';
import type { ClientStore } from './client-store.ts';
import type { ConsentStore } from './consent-store.ts';
import type { GrantStore } from './grant-store.ts';
import type { OutboxStore } from './outbox-store.ts';
import type { TokenDenylist } from './token-denylist.ts';
import type { TokenStore } from './token-store.ts';
import type { UserSessionStore } from './user-session-store.ts';
import type { UserStore } from './user-store.ts';

/**
 * The stores an operator change writes, every one bound to the SAME database transaction
 * (S18: change, outbox event and audit record commit together or not at all).
 */
export interface TransactionStores {
  readonly clients: ClientStore;
  readonly users: UserStore;
  readonly tokens: TokenStore;
  readonly grants: GrantStore;
  readonly consents: ConsentStore;
  readonly userSessions: UserSessionStore;
  readonly denylist: TokenDenylist;
  /** Appends inside the transaction: the rows are claimable by a relay only once it commits. */
  readonly outbox: Pick<OutboxStore, 'append'>;
  /** Appends under the tenant's chain head, locked inside the transaction until it ends. */
  readonly audit: Pick<AuditStore, 'append' | 'head'>;
}

/**
 * Runs `work` in one database transaction (docs/architecture.md "Unit of work").
 * Adapters guarantee:
 * - When `work` resolves, everything it wrote through `tx` is committed as one transaction;
 *   when it (or the commit) throws, nothing of it is kept and the error propagates unchanged.
 * - When the database aborts the transaction to break a deadlock or a serialization conflict,
 *   `work` runs again from the start on a fresh transaction (a bounded number of times): it
 *   must decide everything from what it reads through `tx` and keep its side effects outside
 *   the database for after the returned promise resolves.
 * - Stores obtained elsewhere (the storage's own) do not see uncommitted writes and must not be
 *   used inside `work`: on SQLite they would wait for the transaction's connection.
 * - `atomic` is false only for the memory adapter: it runs `work` on its own stores directly,
 *   with no rollback and no durability (a throw leaves what was written before it).
 */
export interface UnitOfWork {
  readonly atomic: boolean;
  run<T>(work: (tx: TransactionStores) => Promise<T>): Promise<T>;
}

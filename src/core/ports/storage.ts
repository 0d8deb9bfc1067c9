import type { AuditStore } from './audit-store.ts';
import type { ClientStore } from './client-store.ts';
import type { CodeStore } from './code-store.ts';
import type { ConsentStore } from './consent-store.ts';
import type { DeviceCodeStore } from './device-code-store.ts';
import type { GrantStore } from './grant-store.ts';
import type { KeyStore } from './key-store.ts';
import type { OutboxStore } from './outbox-store.ts';
import type { ParStore } from './par-store.ts';
import type { ReplayCache } from './replay-cache.ts';
import type { SessionStore } from './session-store.ts';
import type { TokenDenylist } from './token-denylist.ts';
import type { TokenStore } from './token-store.ts';
import type { UnitOfWork } from './unit-of-work.ts';
import type { UserSessionStore } from './user-session-store.ts';
import type { UserStore } from './user-store.ts';

/** What a storage adapter provides: one object per aggregate port, plus lifecycle. */
export interface Storage {
  readonly clients: ClientStore;
  readonly tokens: TokenStore;
  /** Grants (tokens grouped by grantId) of a user or client: the operator read model. */
  readonly grants: GrantStore;
  readonly denylist: TokenDenylist;
  readonly replay: ReplayCache;
  readonly keyStore: KeyStore;
  readonly users: UserStore;
  readonly sessions: SessionStore;
  /** Sessions by user (one per account/sid) and ending one sid: the operator side. */
  readonly userSessions: UserSessionStore;
  readonly consents: ConsentStore;
  readonly codes: CodeStore;
  readonly deviceCodes: DeviceCodeStore;
  readonly par: ParStore;
  /** Events waiting for delivery to the event sinks (docs/events.md). */
  readonly outbox: OutboxStore;
  /** The tamper-evident audit log: one hash chain per tenant (docs/audit.md). */
  readonly audit: AuditStore;
  /** One database transaction over the stores an operator change writes (S18, unit-of-work.ts). */
  readonly unitOfWork: UnitOfWork;
  /** Applies pending migrations (forward-only, idempotent, safe under concurrent start). */
  migrate(): Promise<{ applied: string[] }>;
  /** Cheap round trip for readiness. Rejects when the store is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
  readonly dialect: 'memory' | 'sqlite' | 'postgres' | 'mysql';
}

import type { EventPublisher } from '../events.ts';
import type { Clock } from './clock.ts';
import type { PasswordHasher } from './password-hasher.ts';
import type { Random } from './random.ts';
import type { RateLimiter } from './rate-limiter.ts';
import type { Storage } from './storage.ts';

export type { AuditStore, AuditFilter, AuditPage } from './audit-store.ts';
export type { ClientStore, ClientPatch, ClientSort } from './client-store.ts';
export type { Cursor, ListQuery, Page, SortOrder } from './list.ts';
export type { GrantStore, GrantSummary, GrantFilter } from './grant-store.ts';
export type { UserSessionStore, UserSessionSummary } from './user-session-store.ts';
export type { TokenStore, ConsumeResult } from './token-store.ts';
export type { TokenDenylist } from './token-denylist.ts';
export type { ReplayCache } from './replay-cache.ts';
export type { KeyStore, RotateCommand } from './key-store.ts';
export type { UserStore, UserPatch, UserSort } from './user-store.ts';
export type { SessionStore, SessionPatch } from './session-store.ts';
export type { ConsentStore } from './consent-store.ts';
export type { CodeStore, TakeResult } from './code-store.ts';
export type { DeviceCodeStore, DeviceDecision } from './device-code-store.ts';
export type { ParStore } from './par-store.ts';
export type { OutboxStore, OutboxEntry, ClaimedDelivery, DeliveryOutcome, OutboxSinkStats, OutboxEventState, OutboxDeliveryState } from './outbox-store.ts';
export type { RateLimiter, RateLimitResult } from './rate-limiter.ts';
export type { Clock } from './clock.ts';
export type { Random } from './random.ts';
export type { PasswordHasher } from './password-hasher.ts';
export type { Storage } from './storage.ts';
export type { TransactionStores, UnitOfWork } from './unit-of-work.ts';

/** Every port the core may use. Handlers take a `Pick<Ports, …>` of it (S6). */
export interface Ports {
  readonly clients: Storage['clients'];
  readonly tokens: Storage['tokens'];
  readonly denylist: Storage['denylist'];
  readonly replay: Storage['replay'];
  readonly keyStore: Storage['keyStore'];
  readonly users: Storage['users'];
  readonly sessions: Storage['sessions'];
  readonly consents: Storage['consents'];
  readonly codes: Storage['codes'];
  readonly deviceCodes: Storage['deviceCodes'];
  readonly par: Storage['par'];
  readonly rateLimiter: RateLimiter;
  readonly clock: Clock;
  readonly random: Random;
  readonly events: EventPublisher;
  readonly passwordHasher: PasswordHasher;
}

/**
 * The transactional outbox (docs/events.md): events waiting to be delivered to each event sink.
 * One event row per event (its CloudEvents envelope as JSON) and one delivery row per (sink,
 * event). Times are epoch MILLISECONDS (back-off and leases need finer steps than seconds).
 */
export interface OutboxEntry {
  /** The envelope id (a UUID v7: sorting by id is sorting by creation). */
  readonly id: string;
  readonly tenantId: string;
  /** The CloudEvents `type`. */
  readonly type: string;
  /** The CloudEvents envelope, serialized. */
  readonly envelope: string;
  readonly createdAt: number;
  /** Sinks (by name) that must receive it: one pending delivery each, due at once. */
  readonly sinks: readonly string[];
}

/** A delivery a relay has claimed: it holds the lease until `leaseUntil`. */
export interface ClaimedDelivery {
  readonly id: string;
  readonly type: string;
  readonly envelope: string;
  readonly createdAt: number;
  /** Claims so far, this one included (a crashed relay's claim counts). */
  readonly attempts: number;
}

export interface DeliveryOutcome {
  /** Accepted by the sink: never claimed again. */
  readonly delivered: readonly string[];
  /** Failed, to be claimed again from `nextAttemptAt`. */
  readonly retry: readonly { readonly id: string; readonly nextAttemptAt: number; readonly error: string }[];
  /** Failed for good: kept as dead letters until purged, never claimed again. */
  readonly dead: readonly { readonly id: string; readonly error: string }[];
}

export interface OutboxSinkStats {
  readonly sink: string;
  /** Deliveries neither delivered nor dead-lettered. */
  readonly pending: number;
  /** `createdAt` of the oldest pending one (null when none): the delivery lag. */
  readonly oldestCreatedAt: number | null;
}

/** One sink's delivery of one event, as operators see it. */
export interface OutboxDeliveryState {
  readonly sink: string;
  readonly state: 'pending' | 'delivered' | 'dead';
  readonly attempts: number;
  /** When a pending delivery is next due (epoch ms; 0: at once). */
  readonly nextAttemptAt: number;
  /** When it was delivered or dead-lettered (epoch ms), null while pending. */
  readonly settledAt: number | null;
  /** The last failure (already bounded by the adapter), null when none. */
  readonly lastError: string | null;
}

/** One stored event with the state of each of its deliveries (the admin API's event list). */
export interface OutboxEventState {
  readonly id: string;
  readonly type: string;
  readonly envelope: string;
  readonly createdAt: number;
  readonly deliveries: readonly OutboxDeliveryState[];
}

/**
 * Adapters guarantee:
 * - `append` writes every entry with its deliveries, all or nothing; an id already stored is left
 *   as it is (a retried append does not duplicate).
 * - `claim` is ONE atomic step per delivery (S4): of relays claiming concurrently, on any number of
 *   instances, each pending delivery that is due and not leased goes to exactly one of them, which
 *   holds it until `now + leaseMs`; after that (its relay crashed or hung) it is claimable again.
 *   Claims come in event id order (oldest first) and add one to `attempts`.
 * - `settle` records a claim's outcome. `delivered` applies whoever holds the lease (a late
 *   acknowledgement still counts); `retry` and `dead` apply only while `owner` still holds it.
 */
export interface OutboxStore {
  append(entries: readonly OutboxEntry[]): Promise<void>;
  claim(sink: string, owner: string, now: number, leaseMs: number, limit: number): Promise<ClaimedDelivery[]>;
  settle(sink: string, owner: string, now: number, outcome: DeliveryOutcome): Promise<void>;
  /** Pending deliveries per sink that has any. */
  stats(): Promise<OutboxSinkStats[]>;
  /**
   * The tenant's stored events, newest first (id descending), each with its deliveries sorted by
   * sink; `before` continues strictly after that id; `type` keeps one CloudEvents type.
   */
  recent(tenantId: string, query: { readonly limit: number; readonly before?: string; readonly type?: string }): Promise<OutboxEventState[]>;
  /** Dead-lettered deliveries per sink that has any (kept until purged). */
  deadLetters(): Promise<{ readonly sink: string; readonly dead: number }[]>;
  /** Deletes deliveries settled (delivered or dead) before `before`, then events left without any; returns the events deleted. */
  purgeSettled(before: number): Promise<number>;
}

/**
 * The seam between the transactional outbox relay and the systems events stream to (#9).
 *
 * An event leaves Gatehouse as a CloudEvents 1.0 structured-mode JSON envelope. The relay reads
 * due rows from the outbox, hands each sink a batch in outbox order, and marks an event delivered
 * to that sink only when `send` resolved for it. Delivery is at-least-once: consumers
 * de-duplicate by `id` (which is also the Standard Webhooks `webhook-id` and the JetStream
 * `Nats-Msg-Id`).
 */
export interface CloudEvent<T = unknown> {
  readonly specversion: '1.0';
  /** Unique per event; stable across redeliveries. */
  readonly id: string;
  /** The issuer URL of the Gatehouse instance that produced the event. */
  readonly source: string;
  /** `gatehouse.` + the catalogue name, e.g. `gatehouse.token.issued`. */
  readonly type: string;
  /** RFC 3339 time the change happened. */
  readonly time: string;
  readonly datacontenttype: 'application/json';
  /** The object the event is about (a client_id, user id, kid, …) when there is one. */
  readonly subject?: string;
  /** Extension attribute: the tenant the event belongs to. */
  readonly tenantid?: string;
  readonly data: T;
}

/** Outcome per event of one `send` call: the relay retries the failed ones with backoff. */
export interface SinkResult {
  /** Ids accepted (acknowledged by the broker / 2xx from the webhook). */
  readonly delivered: readonly string[];
  /** Ids not accepted, with a short reason (never a secret, never a URL's credentials). */
  readonly failed: readonly { readonly id: string; readonly reason: string; readonly permanent?: boolean }[];
}

export interface EventSink {
  /** Stable name used in metrics, logs and the outbox (the sink URL without credentials). */
  readonly name: string;
  /** Delivers a batch (≥ 1 event, outbox order). Must not throw: failures go in `failed`. */
  send(batch: readonly CloudEvent[]): Promise<SinkResult>;
  /** Cheap liveness check used by readiness and breaker probes; rejects when unreachable. */
  ping?(): Promise<void>;
  close(): Promise<void>;
}

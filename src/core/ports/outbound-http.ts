/**
 * What an outbound request is for. The adapter picks the byte limit by purpose
 * (`outbound.maxJwksBytes`, `outbound.maxLogoutResponseBytes`, `outbound.maxWebhookResponseBytes`,
 * `outbound.maxOtlpResponseBytes`, `outbound.maxClientMetadataBytes`), so core never sets a limit itself.
 */
export type OutboundPurpose = 'client_jwks' | 'backchannel_logout' | 'event_webhook' | 'otlp_export' | 'client_metadata';

/**
 * Why an outbound request failed, for events and logs (never the wire):
 * `invalid_url` the URL does not parse or is not http(s); `not_https` http outside development;
 * `refused_address` the host is (or resolves to) a loopback, private, link-local or other special
 * address that is not allow-listed; `redirect` a 3xx answer (never followed); `timeout` connect or
 * total time limit; `too_large` the body passed the byte limit; `http_status` an unexpected status
 * (callers that check statuses); `network` anything else (DNS failure, refused connection, TLS);
 * `circuit_open` the destination's circuit breaker is open after repeated timeouts or network
 * failures (nothing was sent; it is probed again after `resilience.outbound.breaker.halfOpenAfterMs`);
 * `overloaded` too many requests to that destination are already in flight or waiting.
 */
export type OutboundFailure =
  | 'invalid_url'
  | 'not_https'
  | 'refused_address'
  | 'redirect'
  | 'timeout'
  | 'too_large'
  | 'http_status'
  | 'network'
  | 'circuit_open'
  | 'overloaded';

/** A failed outbound request: `reason` is the typed cause, `message` adds detail for logs only. */
export class OutboundError extends Error {
  readonly reason: OutboundFailure;
  constructor(reason: OutboundFailure, detail?: string) {
    super(detail ? `${reason}: ${detail}` : reason);
    this.name = 'OutboundError';
    this.reason = reason;
  }
}

export interface OutboundRequest {
  readonly purpose: OutboundPurpose;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  /** The caller's own deadline or shutdown; the adapter's time limit applies as well. */
  readonly signal?: AbortSignal;
}

export interface OutboundResponse {
  /**
   * Never a 3xx (a redirect is the `redirect` failure), except a 304 answering a request that
   * carried `If-None-Match` or `If-Modified-Since`.
   */
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /** The whole body, at most the purpose's byte limit. */
  readonly body: Uint8Array;
}

/**
 * The one way core reaches a URL that a client or a request supplied (DESIGN S19).
 * Adapters guarantee, before any byte is sent: the URL is https (http only in development); every
 * address the host resolves to is a public unicast address unless allow-listed, and the
 * connection goes to an address that was checked (no second resolution). After: a redirect is a
 * failure, the time limit covers connect through the last body byte, and the body is read as a
 * stream and abandoned once past the byte limit. A conditional request (`If-None-Match`,
 * `If-Modified-Since`) may get a 304, nothing else may. Every failure is an `OutboundError`.
 */
export interface OutboundHttp {
  fetch(url: string, request: OutboundRequest): Promise<OutboundResponse>;
}

/**
 * Distributed tracing as the rest of Gatehouse sees it (OpenTelemetry behind it, in src/tracing).
 * When tracing is off there is no `Tracing` object at all: callers hold `Tracing | null` and
 * install no wrapper, so the off state costs nothing on the request path.
 */
export type SpanAttributes = Readonly<Record<string, string | number | boolean | undefined>>;

/** A span a caller may annotate while it runs (a client call: outbound HTTP, Redis, a sink). */
export interface ActiveSpan {
  setAttribute(name: string, value: string | number | boolean): void;
  /** Marks the span failed (the exception is recorded on it). */
  fail(error: unknown): void;
  /** Writes the W3C `traceparent` (and `tracestate`) of this span into outgoing headers. */
  inject(headers: Record<string, string>): void;
}

/** The server span of one incoming HTTP request. */
export interface ServerSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** Runs `fn` with this span active: store, Redis and outbound spans started inside are its children. */
  run<T>(fn: () => T): T;
  /** Names the span after the route template (`POST /token`) once routing is known. */
  setRoute(method: string, route: string | undefined): void;
  /** Ends the span with the response status (5xx marks it failed). */
  end(status: number): void;
}

export interface IncomingRequestInfo {
  readonly method: string;
  /** Path and query as received (the query is dropped before it reaches a span). */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly scheme: 'http' | 'https';
  readonly clientAddress?: string | undefined;
}

export interface Tracing {
  /** Starts the server span of a request, continuing the caller's W3C `traceparent` if it sent one. */
  startServerSpan(req: IncomingRequestInfo): ServerSpan;
  /**
   * Runs `fn` in a CLIENT span (a child of the active span, or a root when there is none),
   * ends it when `fn` settles and marks it failed when `fn` throws.
   */
  clientSpan<T>(name: string, attributes: SpanAttributes, fn: (span: ActiveSpan) => Promise<T>): Promise<T>;
  /**
   * The store decorator: `operation` is `<port>.<method>`. Spans only under an active span (a
   * request), so background work (purge, key refresh) does not flood the backend with roots.
   */
  wrapStoreCall<F extends (...args: never[]) => unknown>(operation: string, fn: F): F;
  /**
   * Traces every command of an ioredis-style client (anything with `sendCommand(command)` whose
   * command has `name` and `promise`): one CLIENT span per command under an active span.
   */
  instrumentRedis(client: { sendCommand(...args: never[]): unknown }): void;
  /** `trace_id` / `span_id` of the active span for a log line, or undefined outside any span. */
  logFields(): { trace_id: string; span_id: string } | undefined;
  /** Exports what is buffered now (tests, shutdown). */
  flush(): Promise<void>;
  /** Flushes and stops the exporter. */
  shutdown(): Promise<void>;
}

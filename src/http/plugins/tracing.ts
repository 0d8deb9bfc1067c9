import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { ServerSpan, Tracing } from '../../core/ports/tracing.ts';

const SPAN = Symbol('gatehouse.serverSpan');
type Raw = IncomingMessage & { [SPAN]?: ServerSpan };

function start(tracing: Tracing, raw: Raw): ServerSpan {
  let span = raw[SPAN];
  if (!span) {
    span = tracing.startServerSpan({
      method: raw.method ?? 'GET',
      url: raw.url ?? '/',
      headers: raw.headers,
      scheme: (raw.socket as TLSSocket | undefined)?.encrypted ? 'https' : 'http',
      clientAddress: raw.socket?.remoteAddress,
    });
    raw[SPAN] = span;
  }
  return span;
}

/**
 * Fastify and pino options that put `trace_id` / `span_id` on every log line while tracing is on.
 * The server span starts in `childLoggerFactory`, Fastify's earliest per-request callback, so
 * even the `incoming request` line carries it; the request's logger is mapped to its span, and
 * any other logger (app.log in a service) gets the active span's ids from the mixin.
 */
export function tracingLogOptions(tracing: Tracing) {
  const spans = new WeakMap<object, ServerSpan>();
  return {
    childLoggerFactory(this: FastifyInstance, logger: FastifyBaseLogger, bindings: Record<string, unknown>, opts: object, raw: IncomingMessage) {
      const child = logger.child(bindings, opts);
      spans.set(child, start(tracing, raw as Raw));
      return child;
    },
    mixin(_obj: object, _level: number, logger: object): Record<string, string> {
      const span = spans.get(logger);
      if (span) return { trace_id: span.traceId, span_id: span.spanId };
      return tracing.logFields() ?? {};
    },
  };
}

/**
 * One server span per request (S15: a hook, no handler knows): named after the route template
 * once routing is known (`POST /token`), active for the onRequest hooks and again from
 * preHandler on (after the body is parsed) through the handler (store, Redis and outbound spans become its children), ended in `onResponse` with the
 * status. Registered only when tracing is on; otherwise no hook exists.
 */
export function registerTracing(app: FastifyInstance, tracing: Tracing): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const span = start(tracing, request.raw as Raw);
    span.setRoute(request.method, request.routeOptions.url);
    span.run(done);
  });
  // The body arrives on the socket's own async context: enter the span again for the handler
  // (cheaper than binding the request and response emitters, which patches them per request).
  app.addHook('preHandler', (request, _reply, done) => {
    const span = (request.raw as Raw)[SPAN];
    if (span) span.run(done);
    else done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    (request.raw as Raw)[SPAN]?.end(reply.statusCode);
    done();
  });
}

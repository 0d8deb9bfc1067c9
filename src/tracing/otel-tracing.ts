import { type Context, defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import type { ActiveSpan, IncomingRequestInfo, ServerSpan, SpanAttributes, Tracing } from '../core/ports/tracing.ts';
import { createOtlpSpanExporter, type OtlpTransport } from './otlp-span-exporter.ts';
import type { SamplerKind, TracingSettings } from './tracing-env.ts';

function sampler(kind: SamplerKind, ratio: number): Sampler {
  switch (kind) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

function fail(span: Span, error: unknown): void {
  const e = error instanceof Error ? error : new Error(String(error));
  span.recordException(e);
  span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
  const typed = e as Error & { reason?: unknown; code?: unknown };
  span.setAttribute(ATTR_ERROR_TYPE, String(typed.reason ?? typed.code ?? e.name));
}

/**
 * OpenTelemetry behind the Tracing port: a BasicTracerProvider with a BatchSpanProcessor and an
 * OTLP/HTTP (JSON) exporter that sends through the guarded fetcher's trusted path (`transport`,
 * which must not itself be traced, or each export would make spans to export), a W3C trace-context propagator and an AsyncLocalStorage context
 * manager. Nothing is registered globally: each instance keeps its own provider and context
 * manager (several servers in one process, as in tests, do not share or fight over globals).
 */
export function createOtelTracing(settings: TracingSettings, transport: OtlpTransport, warn: (m: string) => void = () => {}): Tracing {
  const exporter = createOtlpSpanExporter(settings, transport, warn);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(settings.resource),
    sampler: sampler(settings.sampler, settings.samplerRatio),
    spanProcessors: [new BatchSpanProcessor(exporter, settings.batch)],
  });
  const tracer = provider.getTracer('gatehouse', settings.resource['service.version']);
  const contexts = new AsyncLocalStorageContextManager().enable();
  const propagator = new W3CTraceContextPropagator();

  const activeSpan = (): ActiveSpan => {
    const span = trace.getSpan(contexts.active());
    return {
      setAttribute: (k, v) => span?.setAttribute(k, v),
      fail: (e) => span && fail(span, e),
      inject: (headers) => propagator.inject(contexts.active(), headers, defaultTextMapSetter),
    };
  };

  const clean = (attributes: SpanAttributes): Record<string, string | number | boolean> => {
    const out: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(attributes)) if (v !== undefined) out[k] = v;
    return out;
  };

  return {
    startServerSpan(req: IncomingRequestInfo): ServerSpan {
      // W3C Trace Context §3.2/§3.3: continue the caller's trace when `traceparent` is valid.
      const parent = req.headers['traceparent'] ? propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter) : ROOT_CONTEXT;
      const method = HTTP_METHODS.has(req.method) ? req.method : '_OTHER';
      const span = tracer.startSpan(method === '_OTHER' ? 'HTTP' : method, { kind: SpanKind.SERVER }, parent);
      // An unsampled span records nothing: skip building its attributes.
      const recording = span.isRecording();
      if (recording) {
        const q = req.url.indexOf('?');
        const host = req.headers['host'];
        const ua = req.headers['user-agent'];
        span.setAttributes(
          clean({
            [ATTR_HTTP_REQUEST_METHOD]: method,
            [ATTR_URL_PATH]: q < 0 ? req.url : req.url.slice(0, q),
            [ATTR_URL_SCHEME]: req.scheme,
            [ATTR_SERVER_ADDRESS]: typeof host === 'string' ? host.replace(/:\d+$/, '') : undefined,
            [ATTR_CLIENT_ADDRESS]: req.clientAddress,
            [ATTR_USER_AGENT_ORIGINAL]: typeof ua === 'string' ? ua : undefined,
          }),
        );
      }
      const ctx: Context = trace.setSpan(parent, span);
      const sc = span.spanContext();
      return {
        traceId: sc.traceId,
        spanId: sc.spanId,
        run: (fn) => contexts.with(ctx, fn),
        setRoute(m, route) {
          if (route === undefined || !recording) return;
          span.setAttribute(ATTR_HTTP_ROUTE, route);
          span.updateName(`${HTTP_METHODS.has(m) ? m : 'HTTP'} ${route}`);
        },
        end(status) {
          if (!recording) return;
          span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
          // Semconv: a server span is an error only for 5xx (4xx is the client's mistake).
          if (status >= 500) {
            span.setStatus({ code: SpanStatusCode.ERROR });
            span.setAttribute(ATTR_ERROR_TYPE, String(status));
          }
          span.end();
        },
      };
    },

    clientSpan(name, attributes, fn) {
      const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes: clean(attributes) }, contexts.active());
      return contexts.with(trace.setSpan(contexts.active(), span), async () => {
        try {
          return await fn(activeSpan());
        } catch (e) {
          fail(span, e);
          throw e;
        } finally {
          span.end();
        }
      });
    },

    wrapStoreCall(operation, fn) {
      const attributes = { [ATTR_DB_SYSTEM_NAME]: 'gatehouse_store', [ATTR_DB_OPERATION_NAME]: operation };
      const name = `store ${operation}`;
      return ((...args: never[]) => {
        const parent = contexts.active();
        // No request span, or an unsampled one (its children would record nothing either).
        if (!trace.getSpan(parent)?.isRecording()) return fn(...args);
        const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
        let r: unknown;
        try {
          // The span is not made active: a store call starts no further spans, and entering a
          // context per call would cost an AsyncLocalStorage run on the hot path.
          r = fn(...args);
        } catch (e) {
          fail(span, e);
          span.end();
          throw e;
        }
        if (r instanceof Promise)
          return r.then(
            (v) => {
              span.end();
              return v;
            },
            (e) => {
              fail(span, e);
              span.end();
              throw e;
            },
          );
        span.end();
        return r;
      }) as typeof fn;
    },

    instrumentRedis(client) {
      type Command = { name?: string; promise?: Promise<unknown> };
      const target = client as unknown as { sendCommand(cmd: Command, ...rest: unknown[]): unknown };
      const send = target.sendCommand.bind(target);
      target.sendCommand = (cmd, ...rest) => {
        const parent = contexts.active();
        if (trace.getSpan(parent)?.isRecording() && cmd?.promise) {
          const op = String(cmd.name ?? 'command').toUpperCase();
          const span = tracer.startSpan(op, { kind: SpanKind.CLIENT, attributes: { [ATTR_DB_SYSTEM_NAME]: 'redis', [ATTR_DB_OPERATION_NAME]: op } }, parent);
          cmd.promise.then(
            () => span.end(),
            (e: unknown) => {
              fail(span, e);
              span.end();
            },
          );
        }
        return send(cmd, ...rest);
      };
    },

    logFields() {
      const span = trace.getSpan(contexts.active());
      if (!span) return undefined;
      const sc = span.spanContext();
      return { trace_id: sc.traceId, span_id: sc.spanId };
    },

    flush: () => provider.forceFlush(),
    async shutdown() {
      await provider.shutdown();
      contexts.disable();
    },
  };
}

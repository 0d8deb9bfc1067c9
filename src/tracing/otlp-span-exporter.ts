import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { OutboundRequest, OutboundResponse } from '../core/ports/outbound-http.ts';
import type { OtlpProtocol } from './tracing-env.ts';

/** The guarded fetcher's trusted entry (src/outbound/guarded-fetch.ts), all the exporter needs. */
export interface OtlpTransport {
  fetchTrusted(url: string, request: OutboundRequest, options?: { readonly allowHttp?: boolean }): Promise<OutboundResponse>;
}

export interface OtlpExporterSettings {
  /** The OTLP/HTTP traces URL (`…/v1/traces`). */
  readonly url: string;
  /** `OTEL_EXPORTER_OTLP_PROTOCOL`: protobuf bodies (`application/x-protobuf`) or JSON (`application/json`). */
  readonly protocol: OtlpProtocol;
  /** `OTEL_EXPORTER_OTLP_HEADERS` / `OTEL_EXPORTER_OTLP_TRACES_HEADERS`. */
  readonly headers: Readonly<Record<string, string>>;
  /** `OTEL_EXPORTER_OTLP_TIMEOUT`: this export's deadline; the fetcher's `outbound.timeoutMs` caps it. */
  readonly timeoutMillis: number;
}

const WARN_EVERY_MS = 60_000;

/**
 * OTLP/HTTP span export (protobuf bodies by default, `http/protobuf`; or JSON, `http/json`) through the guarded fetcher's trusted path
 * instead of the OpenTelemetry exporter's own HTTP client, so the collector's answer gets the same
 * limits as every other outbound call (S19, S20): the time limit, the response byte limit
 * (`outbound.maxOtlpResponseBytes`, the body is abandoned while streaming one byte past it) and the
 * per-destination breaker. The collector is the operator's, so its address is not checked, and an
 * `http:` endpoint is accepted in production too (a sidecar collector is the OTel default).
 * A failed batch is dropped, never retried: spans are diagnostics, and a retry queue would be
 * one more unbounded buffer. Failures are reported at most once a minute.
 */
export function createOtlpSpanExporter(settings: OtlpExporterSettings, transport: OtlpTransport, warn: (m: string) => void): SpanExporter {
  const pending = new Set<Promise<void>>();
  const stop = new AbortController();
  let shutDown = false;
  let lastWarning = -Infinity;
  const report = (m: string): void => {
    const now = Date.now();
    if (now - lastWarning < WARN_EVERY_MS) return;
    lastWarning = now;
    warn(m);
  };

  async function send(spans: ReadableSpan[]): Promise<ExportResult> {
    const json = settings.protocol === 'http/json';
    const bytes = (json ? JsonTraceSerializer : ProtobufTraceSerializer).serializeRequest(spans);
    if (!bytes) return { code: ExportResultCode.FAILED, error: new Error('spans could not be serialised') };
    const res = await transport.fetchTrusted(
      settings.url,
      {
        purpose: 'otlp_export',
        method: 'POST',
        headers: { ...settings.headers, 'content-type': json ? 'application/json' : 'application/x-protobuf' },
        body: bytes,
        signal: AbortSignal.any([AbortSignal.timeout(settings.timeoutMillis), stop.signal]),
      },
      { allowHttp: true },
    );
    if (res.status < 200 || res.status >= 300) return { code: ExportResultCode.FAILED, error: new Error(`collector answered ${res.status}`) };
    return { code: ExportResultCode.SUCCESS };
  }

  return {
    export(spans, done) {
      if (shutDown) {
        done({ code: ExportResultCode.FAILED, error: new Error('exporter shut down') });
        return;
      }
      const p = send(spans)
        .catch((e: unknown): ExportResult => ({ code: ExportResultCode.FAILED, error: e instanceof Error ? e : new Error(String(e)) }))
        .then((result) => {
          if (result.code !== ExportResultCode.SUCCESS) report(`span export to ${settings.url} failed (${result.error?.message}); the batch is dropped`);
          done(result);
        })
        .finally(() => pending.delete(p));
      pending.add(p);
    },
    async forceFlush() {
      await Promise.all([...pending]);
    },
    async shutdown() {
      shutDown = true;
      await Promise.all([...pending]);
      stop.abort();
    },
  };
}

import type { Tracing } from '../core/ports/tracing.ts';
import type { OtlpTransport } from './otlp-span-exporter.ts';
import { tracingSettings } from './tracing-env.ts';

/**
 * Tracing from the OTEL_* variables, or null when no OTLP endpoint is set. The OpenTelemetry
 * SDK is imported only here, only when an endpoint is set (S16). Spans are sent through
 * `transport`, the guarded fetcher's trusted path (time, byte limit, breaker), which must be an
 * untraced fetcher.
 */
export async function loadTracing(
  env: Readonly<Record<string, string | undefined>>,
  version: string,
  warn: (m: string) => void,
  transport: OtlpTransport,
): Promise<Tracing | null> {
  const settings = tracingSettings(env, version, warn);
  if (!settings) return null;
  const { createOtelTracing } = await import('./otel-tracing.ts');
  return createOtelTracing(settings, transport, warn);
}

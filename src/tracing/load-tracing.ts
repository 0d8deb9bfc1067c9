import type { Tracing } from '../core/ports/tracing.ts';
import { tracingSettings } from './tracing-env.ts';

/**
 * Tracing from the OTEL_* variables, or null when no OTLP endpoint is set. The OpenTelemetry
 * SDK and exporter are imported only here, only when an endpoint is set (S16).
 */
export async function loadTracing(env: Readonly<Record<string, string | undefined>>, version: string, warn: (m: string) => void): Promise<Tracing | null> {
  const settings = tracingSettings(env, version, warn);
  if (!settings) return null;
  const { createOtelTracing } = await import('./otel-tracing.ts');
  return createOtelTracing(settings);
}

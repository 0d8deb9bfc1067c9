/**
 * Tracing settings from the standard OpenTelemetry variables only
 * (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/). Nothing
 * here imports the SDK: with no endpoint set, tracing is off and the SDK is never loaded.
 */
export type SamplerKind = 'always_on' | 'always_off' | 'traceidratio' | 'parentbased_always_on' | 'parentbased_always_off' | 'parentbased_traceidratio';

/** OTLP/HTTP body encodings (`OTEL_EXPORTER_OTLP_PROTOCOL`); gRPC is not offered. */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface TracingSettings {
  /** The OTLP/HTTP traces URL (`…/v1/traces`). */
  readonly url: string;
  /** The body encoding: `http/protobuf` (the OTLP exporter spec's default) or `http/json`. */
  readonly protocol: OtlpProtocol;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMillis: number;
  readonly resource: Readonly<Record<string, string>>;
  readonly sampler: SamplerKind;
  readonly samplerRatio: number;
  readonly batch: {
    readonly scheduledDelayMillis: number;
    readonly maxQueueSize: number;
    readonly maxExportBatchSize: number;
    readonly exportTimeoutMillis: number;
  };
}

type Env = Readonly<Record<string, string | undefined>>;

const SAMPLERS: readonly SamplerKind[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

const get = (env: Env, name: string): string | undefined => {
  const v = env[name]?.trim();
  return v ? v : undefined;
};

function positiveInt(env: Env, name: string, def: number, warn: (m: string) => void): number {
  const raw = get(env, name);
  if (raw === undefined) return def;
  const n = Number(raw);
  if (Number.isInteger(n) && n > 0) return n;
  warn(`${name}=${raw} is not a positive integer; using ${def}`);
  return def;
}

/** `key1=value1,key2=value2`, values percent-decoded (OTEL_EXPORTER_OTLP_HEADERS, OTEL_RESOURCE_ATTRIBUTES). */
export function parseKeyValues(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (raw ?? '').split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    try {
      out[decodeURIComponent(pair.slice(0, eq).trim())] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      /* a malformed escape: skip the pair */
    }
  }
  return out;
}

/**
 * The settings, or null when tracing is off: no `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` /
 * `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_SDK_DISABLED=true`, or `OTEL_TRACES_EXPORTER` without `otlp`.
 */
export function tracingSettings(env: Env, version: string, warn: (m: string) => void): TracingSettings | null {
  if (get(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return null;
  const exporters = get(env, 'OTEL_TRACES_EXPORTER');
  if (exporters && !exporters.split(',').some((e) => e.trim() === 'otlp')) return null;
  const signal = get(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const base = get(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  // The signal variable is the URL as is; the base one gets the signal path appended.
  const url = signal ?? (base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined);
  if (!url) return null;
  // The exporter spec: the signal variable wins; http/protobuf is the default.
  const protocolVar = get(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const asked = get(env, protocolVar);
  let protocol: OtlpProtocol = 'http/protobuf';
  if (asked === 'http/json' || asked === 'http/protobuf') protocol = asked;
  else if (asked !== undefined) warn(`${protocolVar}=${asked} is not supported (Gatehouse exports OTLP/HTTP: http/protobuf or http/json); using http/protobuf`);
  let sampler = (get(env, 'OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on') as SamplerKind;
  if (!SAMPLERS.includes(sampler)) {
    warn(`OTEL_TRACES_SAMPLER=${sampler} is not supported; using parentbased_always_on`);
    sampler = 'parentbased_always_on';
  }
  const arg = get(env, 'OTEL_TRACES_SAMPLER_ARG');
  let samplerRatio = arg === undefined ? 1 : Number(arg);
  if (!(samplerRatio >= 0 && samplerRatio <= 1)) {
    warn(`OTEL_TRACES_SAMPLER_ARG=${arg} is not a number in [0, 1]; using 1`);
    samplerRatio = 1;
  }
  const attributes = parseKeyValues(get(env, 'OTEL_RESOURCE_ATTRIBUTES'));
  return {
    url,
    protocol,
    headers: { ...parseKeyValues(get(env, 'OTEL_EXPORTER_OTLP_HEADERS')), ...parseKeyValues(get(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS')) },
    timeoutMillis: positiveInt(env, 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', positiveInt(env, 'OTEL_EXPORTER_OTLP_TIMEOUT', 10_000, warn), warn),
    // OTEL_SERVICE_NAME wins over a service.name in OTEL_RESOURCE_ATTRIBUTES (spec).
    resource: { 'service.version': version, ...attributes, 'service.name': get(env, 'OTEL_SERVICE_NAME') ?? attributes['service.name'] ?? 'gatehouse' },
    sampler,
    samplerRatio,
    batch: {
      scheduledDelayMillis: positiveInt(env, 'OTEL_BSP_SCHEDULE_DELAY', 5000, warn),
      maxQueueSize: positiveInt(env, 'OTEL_BSP_MAX_QUEUE_SIZE', 2048, warn),
      maxExportBatchSize: positiveInt(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, warn),
      exportTimeoutMillis: positiveInt(env, 'OTEL_BSP_EXPORT_TIMEOUT', 30_000, warn),
    },
  };
}

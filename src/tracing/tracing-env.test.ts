import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseKeyValues, tracingSettings } from './tracing-env.ts';

const quiet = () => {};

test('tracing is off unless an OTLP endpoint is set, and OTEL_SDK_DISABLED / OTEL_TRACES_EXPORTER=none turn it off', () => {
  assert.equal(tracingSettings({}, '1', quiet), null);
  assert.equal(tracingSettings({ OTEL_SERVICE_NAME: 'x' }, '1', quiet), null);
  assert.equal(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }, '1', quiet), null);
  assert.equal(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }, '1', quiet), null);
});

test('OTLP exporter spec: the base endpoint gets /v1/traces appended, the signal endpoint is used as is', () => {
  assert.equal(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/' }, '1', quiet)?.url, 'http://c:4318/v1/traces');
  assert.equal(
    tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t:9/custom' }, '1', quiet)?.url,
    'http://t:9/custom',
  );
});

test('OTEL_SERVICE_NAME wins over service.name in OTEL_RESOURCE_ATTRIBUTES; headers merge with the signal ones winning', () => {
  const s = tracingSettings(
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_RESOURCE_ATTRIBUTES: 'service.name=a,team=id%20p',
      OTEL_SERVICE_NAME: 'b',
      OTEL_EXPORTER_OTLP_HEADERS: 'x=1,y=2',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'y=3',
    },
    '9.9.9',
    quiet,
  )!;
  assert.deepEqual(s.resource, { 'service.version': '9.9.9', 'service.name': 'b', team: 'id p' });
  assert.deepEqual(s.headers, { x: '1', y: '3' });
  assert.equal(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c' }, '1', quiet)!.resource['service.name'], 'gatehouse');
});

test('OTEL_TRACES_SAMPLER(_ARG): supported samplers pass, anything else falls back to parentbased_always_on with a warning', () => {
  const warnings: string[] = [];
  const base = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c' };
  const r = tracingSettings({ ...base, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }, '1', quiet)!;
  assert.equal(r.sampler, 'parentbased_traceidratio');
  assert.equal(r.samplerRatio, 0.25);
  const bad = tracingSettings({ ...base, OTEL_TRACES_SAMPLER: 'jaeger_remote', OTEL_TRACES_SAMPLER_ARG: '7' }, '1', (m) => warnings.push(m))!;
  assert.equal(bad.sampler, 'parentbased_always_on');
  assert.equal(bad.samplerRatio, 1);
  assert.equal(warnings.length, 2);
});

test('parseKeyValues decodes percent-escapes and skips malformed pairs', () => {
  assert.deepEqual(parseKeyValues('a=1, b = x%3Dy ,broken,=v,c=%zz'), { a: '1', b: 'x=y' });
});

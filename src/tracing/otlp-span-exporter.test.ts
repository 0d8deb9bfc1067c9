// The OTLP span exporter sends through the guarded fetcher's trusted path (S19, S20): a collector
// is the operator's, but its answer gets the same time and byte limits as every other outbound
// call. Real node:http collectors on 127.0.0.1, the real guarded fetcher.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { testOutbound } from '../../test/support/outbound.ts';
import { createOtlpSpanExporter } from './otlp-span-exporter.ts';
import { tracingSettings } from './tracing-env.ts';
import { decodeOtlpTraces } from '../../test/support/otlp.ts';

const outbound = testOutbound();
const servers: Server[] = [];
after(async () => {
  await outbound.close();
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function collector(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function someSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('test');
  for (const name of ['a', 'b']) tracer.startSpan(name).end();
  return memory.getFinishedSpans();
}

function exportOnce(env: Record<string, string>, warnings: string[] = [], spans = someSpans()): Promise<ExportResult> {
  const settings = tracingSettings(env, 'test', () => {})!;
  const exporter = createOtlpSpanExporter(settings, outbound, (m) => warnings.push(m));
  return new Promise((resolve) => exporter.export(spans, resolve));
}

for (const [protocol, contentType] of [
  [undefined, 'application/x-protobuf'],
  ['http/protobuf', 'application/x-protobuf'],
  ['http/json', 'application/json'],
] as const) {
  test(`OTLP exporter spec: OTEL_EXPORTER_OTLP_PROTOCOL=${protocol ?? '(unset: http/protobuf)'} POSTs ${contentType} to /v1/traces with OTEL_EXPORTER_OTLP_HEADERS`, async () => {
    const got: { path?: string; type?: string; token?: string; names: string[]; traceIds: string[] } = { names: [], traceIds: [] };
    const url = await collector((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got.path = req.url;
        got.type = req.headers['content-type'];
        got.token = String(req.headers['x-token']);
        const body = decodeOtlpTraces(got.type, Buffer.concat(chunks));
        for (const rs of body.resourceSpans)
          for (const ss of rs.scopeSpans)
            for (const s of ss.spans) {
              got.names.push(s.name);
              got.traceIds.push(s.traceId);
            }
        res.end('{}');
      });
    });
    const env: Record<string, string> = { OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_EXPORTER_OTLP_HEADERS: 'x-token=t%201' };
    if (protocol) env['OTEL_EXPORTER_OTLP_PROTOCOL'] = protocol;
    const spans = someSpans();
    const result = await exportOnce(env, [], spans);
    assert.equal(result.code, ExportResultCode.SUCCESS, result.error?.message);
    assert.equal(got.path, '/v1/traces');
    assert.equal(got.type, contentType);
    assert.equal(got.token, 't 1');
    assert.deepEqual(got.names.sort(), ['a', 'b']);
    assert.deepEqual(got.traceIds.sort(), spans.map((s) => s.spanContext().traceId).sort(), 'trace ids as sent, in either encoding');
  });
}

test('OTLP exporter spec: the signal variable wins over OTEL_EXPORTER_OTLP_PROTOCOL; grpc or an unknown value warns and uses http/protobuf', () => {
  const base = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' };
  const quiet = () => {};
  assert.equal(
    tracingSettings({ ...base, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }, '1', quiet)?.protocol,
    'http/protobuf',
  );
  assert.equal(tracingSettings({ ...base, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, '1', quiet)?.protocol, 'http/json');
  for (const asked of ['grpc', 'http/xml']) {
    const warnings: string[] = [];
    assert.equal(tracingSettings({ ...base, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: asked }, '1', (m) => warnings.push(m))?.protocol, 'http/protobuf');
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]!,
      new RegExp(`^OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=${asked} is not supported.*using http/protobuf`),
      'names the variable that was set',
    );
  }
});

test('S20 outbound.maxOtlpResponseBytes: a collector streaming an endless answer is cut one byte past the limit, not buffered', async () => {
  const offered = 512 * 1024 * 1024;
  let written = 0;
  let closedEarly = false;
  const url = await collector((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = (): void => {
        while (written < offered) {
          written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      res.on('close', () => {
        closedEarly = written < offered;
      });
      pump();
    });
  });
  const warnings: string[] = [];
  const rssBefore = process.memoryUsage().rss;
  const result = await exportOnce({ OTEL_EXPORTER_OTLP_ENDPOINT: url }, warnings);
  assert.equal(result.code, ExportResultCode.FAILED);
  assert.match(result.error?.message ?? '', /too_large/);
  assert.match(warnings[0] ?? '', /too_large/, 'the failure is reported');
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(closedEarly, 'the exporter abandoned the connection');
  // The limit is 64 KiB; socket buffers let a few MiB through before the abort is seen.
  assert.ok(written < 32 * 1024 * 1024, `collector wrote ${written} bytes before the connection closed`);
  assert.ok(process.memoryUsage().rss - rssBefore < 128 * 1024 * 1024, 'memory did not grow with the answer');
});

test('S20 outbound.maxOtlpResponseBytes: a declared content-length over the limit fails before the body is read', async () => {
  const url = await collector((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
      res.write('{');
    });
  });
  const result = await exportOnce({ OTEL_EXPORTER_OTLP_ENDPOINT: url });
  assert.equal(result.code, ExportResultCode.FAILED);
  assert.match(result.error?.message ?? '', /too_large: content-length/);
});

test('OTEL_EXPORTER_OTLP_TIMEOUT: a collector that never answers fails the export as a timeout', async () => {
  const url = await collector(() => {});
  const result = await exportOnce({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${url}/custom`, OTEL_EXPORTER_OTLP_TIMEOUT: '200' });
  assert.equal(result.code, ExportResultCode.FAILED);
  assert.match(result.error?.message ?? '', /timeout/);
});

test('OTLP/HTTP: a non-2xx answer fails the batch (dropped, not retried)', async () => {
  let calls = 0;
  const url = await collector((req, res) => {
    calls++;
    req.resume();
    res.statusCode = 503;
    res.end();
  });
  const result = await exportOnce({ OTEL_EXPORTER_OTLP_ENDPOINT: url });
  assert.equal(result.code, ExportResultCode.FAILED);
  assert.match(result.error?.message ?? '', /503/);
  assert.equal(calls, 1);
});

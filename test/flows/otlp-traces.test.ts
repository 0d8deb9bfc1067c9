// OpenTelemetry over the wire (#9 part 5): spans arrive at an OTLP/HTTP receiver, the incoming W3C
// `traceparent` is continued, store and outbound calls are child spans, the outbound request
// carries the trace on, and log lines name the trace. The receiver and the jwks_uri server are
// plain node:http servers on 127.0.0.1.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { exportJWK, generateKeyPair } from 'jose';
import { discover, INSECURE } from '../support/oauth-client.ts';
import { decodeOtlpTraces, type OtlpSpan } from '../support/otlp.ts';
import { createTestClient, startTestServer, type TestServer } from '../support/server.ts';

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const spans: OtlpSpan[] = [];
const resources: Record<string, unknown>[] = [];
const contentTypes: string[] = [];
const exportHeaders: string[] = [];
const jwksRequests: IncomingHttpHeaders[] = [];
const logLines: Record<string, unknown>[] = [];
let receiver: { server: Server; url: string };
let keys: { server: Server; url: string };
let s: TestServer;
const key = await generateKeyPair('ES256', { extractable: true });

before(async () => {
  receiver = await listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      contentTypes.push(String(req.headers['content-type']));
      exportHeaders.push(String(req.headers['x-otlp-token']));
      const body = decodeOtlpTraces(req.headers['content-type'], Buffer.concat(chunks));
      for (const rs of body.resourceSpans) {
        resources.push(Object.fromEntries(rs.resource.attributes.map((a) => [a.key, a.value.stringValue])));
        for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      }
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
  });
  const jwks = { keys: [{ ...(await exportJWK(key.publicKey)), kid: 'remote-1', alg: 'ES256', use: 'sig' }] };
  keys = await listen((req, res) => {
    jwksRequests.push(req.headers);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(jwks));
  });
  s = await startTestServer(
    { log: { level: 'info' } },
    {
      observe: {
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_SERVICE_NAME: 'gatehouse-test',
          OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
          OTEL_EXPORTER_OTLP_HEADERS: 'x-otlp-token=abc',
        },
      },
      logger: { stream: { write: (l: string) => logLines.push(JSON.parse(l) as Record<string, unknown>) } },
    },
  );
});

after(async () => {
  await s?.close();
  for (const x of [receiver, keys]) {
    x?.server.closeAllConnections();
    await new Promise((r) => x?.server.close(r));
  }
});

const attr = (span: OtlpSpan, name: string) => {
  const v = span.attributes.find((a) => a.key === name)?.value;
  return v ? (v['stringValue'] ?? Number(v['intValue'])) : undefined;
};

async function exported(predicate: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`spans not exported; got ${spans.map((x) => x.name).join(', ')}`);
    await s.gh.services.tracing!.flush();
    if (!predicate()) await new Promise((r) => setTimeout(r, 20));
  }
}

test('W3C Trace Context: a token request continues the incoming traceparent; store and outbound calls are child spans and the jwks_uri server receives the trace', async () => {
  const c = await createTestClient(s.gh, { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://keys.example/jwks' });
  await s.gh.services.storage.clients.update(s.gh.ctx.tenantId, c.client_id, { jwksUri: `${keys.url}/jwks` });
  const traceId = randomBytes(16).toString('hex');
  const callerSpan = randomBytes(8).toString('hex');
  const as = await discover(s.url);
  const res = await oauth.clientCredentialsGrantRequest(
    as,
    { client_id: c.client_id },
    oauth.PrivateKeyJwt({ key: key.privateKey, kid: 'remote-1' }),
    {},
    {
      ...INSECURE,
      headers: { traceparent: `00-${traceId}-${callerSpan}-01` },
    },
  );
  assert.equal(res.status, 200, await res.clone().text());

  await exported(() => spans.some((x) => x.name === 'POST /token'));
  const server = spans.find((x) => x.name === 'POST /token')!;
  assert.equal(server.traceId, traceId, 'the caller’s trace is continued');
  assert.equal(server.parentSpanId, callerSpan, 'the caller’s span is the parent');
  assert.equal(server.kind, 2, 'SERVER');
  assert.equal(attr(server, 'http.route'), '/token');
  assert.equal(attr(server, 'http.request.method'), 'POST');
  assert.equal(attr(server, 'http.response.status_code'), 200);

  const store = spans.filter((x) => x.traceId === traceId && x.name.startsWith('store '));
  assert.ok(store.length > 0, 'store calls are traced');
  for (const x of store) assert.equal(x.parentSpanId, server.spanId, `${x.name} is a child of the request span`);
  assert.ok(
    store.some((x) => x.name === 'store clients.get'),
    store.map((x) => x.name).join(', '),
  );

  const outbound = spans.find((x) => x.traceId === traceId && x.name === 'GET');
  assert.ok(outbound, 'the jwks_uri fetch is a span');
  assert.equal(outbound.kind, 3, 'CLIENT');
  assert.equal(outbound.parentSpanId, server.spanId);
  assert.equal(attr(outbound, 'url.full'), `${keys.url}/jwks`);
  assert.equal(attr(outbound, 'http.response.status_code'), 200);
  assert.equal(jwksRequests.length, 1);
  assert.equal(jwksRequests[0]!['traceparent'], `00-${traceId}-${outbound.spanId}-01`, 'traceparent propagated to the target');

  assert.equal(resources[0]!['service.name'], 'gatehouse-test');
  assert.equal(resources[0]!['deployment.environment.name'], 'test');
  assert.match(contentTypes[0]!, /^application\/x-protobuf$/, 'http/protobuf, the OTLP exporter default');
  assert.equal(exportHeaders[0], 'abc', 'OTEL_EXPORTER_OTLP_HEADERS are sent with each export');

  const requestLines = logLines.filter((l) => l['reqId'] !== undefined && (l['trace_id'] as string | undefined) === traceId);
  assert.ok(
    requestLines.some((l) => l['msg'] === 'incoming request'),
    'the incoming request line carries the trace id',
  );
  assert.ok(requestLines.some((l) => l['msg'] === 'request completed'));
  for (const l of logLines.filter((x) => x['reqId'] !== undefined)) assert.match(String(l['trace_id']), /^[0-9a-f]{32}$/, JSON.stringify(l));
});

test('W3C Trace Context: without a traceparent the request starts a new trace; a malformed one is ignored', async () => {
  const before = spans.length;
  const bad = await fetch(`${s.url}/.well-known/openid-configuration`, { headers: { traceparent: 'garbage' } });
  assert.equal(bad.status, 200);
  await exported(() => spans.slice(before).some((x) => x.name === 'GET /.well-known/openid-configuration'));
  const span = spans.slice(before).find((x) => x.name === 'GET /.well-known/openid-configuration')!;
  assert.equal(span.parentSpanId ?? '', '', 'a root span');
  assert.match(span.traceId, /^[0-9a-f]{32}$/);
});

test('tracing off: without an OTLP endpoint there is no Tracing object, so no hook, wrapper or SDK is installed', async () => {
  const plain = await startTestServer({}, { observe: { env: {} } });
  try {
    assert.equal(plain.gh.services.tracing, null);
    assert.equal(plain.gh.ctx.tracing, null);
    const res = await fetch(`${plain.url}/health`, { headers: { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` } });
    assert.equal(res.status, 200);
  } finally {
    await plain.close();
  }
});

test('tracing: an unreachable collector never fails a request, and shutdown does not wait for it beyond its bound', async () => {
  const dead = await listen(() => {});
  const port = (dead.server.address() as AddressInfo).port;
  dead.server.close();
  const gh = await startTestServer({}, { observe: { env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` } } });
  const res = await fetch(`${gh.url}/.well-known/openid-configuration`);
  assert.equal(res.status, 200);
  const started = Date.now();
  await gh.close();
  assert.ok(Date.now() - started < 5000, `closed in ${Date.now() - started} ms`);
});

test('S19 trace export: a collector that never answers opens its own circuit breaker; later batches fail fast without reaching it', async () => {
  let requests = 0;
  const hanging = await listen((req) => {
    requests++;
    req.resume(); // read the spans, never answer
  });
  const gh = await startTestServer(
    { resilience: { outbound: { breaker: { consecutiveFailures: 2, halfOpenAfterMs: 600_000 } } } },
    { observe: { env: { OTEL_EXPORTER_OTLP_ENDPOINT: hanging.url, OTEL_EXPORTER_OTLP_TIMEOUT: '150' } } },
  );
  try {
    const opened: string[] = [];
    gh.gh.services.events.on('breaker.opened', (e) => opened.push(e.dependency));
    for (let i = 0; i < 10 && !opened.includes(`outbound:${hanging.url}`); i++) {
      await fetch(`${gh.url}/health`);
      await gh.gh.services.tracing!.flush().catch(() => {}); // the failed batch is reported, and dropped
    }
    assert.ok(opened.includes(`outbound:${hanging.url}`), opened.join(', '));
    const seen = requests;
    for (let i = 0; i < 3; i++) {
      await fetch(`${gh.url}/health`);
      await gh.gh.services.tracing!.flush().catch(() => {}); // the failed batch is reported, and dropped
    }
    assert.equal(requests, seen, 'no export reached the collector while its breaker is open');
  } finally {
    await gh.close();
    hanging.server.closeAllConnections();
    await new Promise((r) => hanging.server.close(r));
  }
});

test('S16 tracing off: the OpenTelemetry SDK and exporter are not even loaded (only the API, which prom-client uses)', async () => {
  const { execFile } = await import('node:child_process');
  const child = new URL('../support/otel-loaded.mjs', import.meta.url).pathname;
  const loaded = (env: Record<string, string>) =>
    new Promise<string[]>((resolve, reject) =>
      execFile(process.execPath, ['--import', 'tsx', child], { env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout) =>
        err ? reject(err) : resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as string[]),
      ),
    );
  const off = await loaded({});
  assert.deepEqual(
    off.filter((p) => p !== '@opentelemetry/api'),
    [],
  );
  const on = await loaded({ ENDPOINT: 'http://127.0.0.1:9' });
  assert.ok(on.includes('@opentelemetry/sdk-trace-base') && on.includes('@opentelemetry/otlp-transformer'), on.join(', '));
  // Spans are sent by our exporter through the guarded fetcher, not by the OTel HTTP exporter.
  assert.ok(!on.includes('@opentelemetry/exporter-trace-otlp-http'), on.join(', '));
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import type { Tracing } from '../core/ports/tracing.ts';
import { backendRequired } from '../../test/support/databases.ts';
import { testOutbound } from '../../test/support/outbound.ts';
import type { GuardedFetcher } from '../outbound/guarded-fetch.ts';
import { createOtelTracing } from './otel-tracing.ts';
import { tracingSettings } from './tracing-env.ts';
import { decodeOtlpTraces, type OtlpSpan } from '../../test/support/otlp.ts';

const spans: OtlpSpan[] = [];
let receiver: Server;
let tracing: Tracing;
let outbound: GuardedFetcher;

before(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = decodeOtlpTraces(req.headers['content-type'], Buffer.concat(chunks));
      for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      res.end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  outbound = testOutbound();
  tracing = createOtelTracing(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: url }, 'test', () => {})!, outbound);
});

after(async () => {
  await tracing.shutdown();
  await outbound.close();
  receiver.closeAllConnections();
  await new Promise((r) => receiver.close(r));
});

const request = (url = '/x') => tracing.startServerSpan({ method: 'GET', url, headers: {}, scheme: 'http' });

test('store spans exist only under an active span: background store calls add no root spans', async () => {
  let calls = 0;
  const wrapped = tracing.wrapStoreCall('clients.get', async (id: string) => {
    calls++;
    return id;
  });
  assert.equal(await wrapped('outside'), 'outside');
  const server = request('/store');
  assert.equal(await server.run(() => wrapped('inside')), 'inside');
  const failing = tracing.wrapStoreCall('tokens.consume', async () => Promise.reject(new Error('down')));
  await assert.rejects(server.run(() => failing()));
  server.end(200);
  await tracing.flush();
  const mine = spans.filter((s) => s.traceId === server.traceId);
  assert.deepEqual(mine.map((s) => s.name).sort(), ['GET', 'store clients.get', 'store tokens.consume']);
  for (const s of mine.filter((x) => x.name.startsWith('store '))) assert.equal(s.parentSpanId, server.spanId);
  assert.equal(mine.find((s) => s.name === 'store tokens.consume')!.status?.code, 2, 'a rejected call marks its span failed');
  assert.equal(spans.filter((s) => s.name === 'store clients.get').length, 1, 'the call outside a request made no span');
  assert.equal(calls, 2);
});

test('log fields name the active span, and nothing outside one', () => {
  assert.equal(tracing.logFields(), undefined);
  const server = request();
  assert.deepEqual(
    server.run(() => tracing.logFields()),
    { trace_id: server.traceId, span_id: server.spanId },
  );
  server.end(204);
});

test('instrumentRedis: each command of a real ioredis client under a request becomes a CLIENT span', async (t) => {
  const client = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  try {
    await client.connect();
  } catch (e) {
    client.disconnect();
    const reason = `Redis 127.0.0.1:6379 unreachable (${(e as Error).message})`;
    if (backendRequired()) throw new Error(`${reason} (required: CI=true or GATEHOUSE_TEST_REQUIRE_BACKENDS=1)`);
    t.skip(reason);
    return;
  }
  t.after(() => client.quit());
  tracing.instrumentRedis(client);
  const key = `gh-test-trace-${randomBytes(6).toString('hex')}`;
  await client.set(`${key}-outside`, '1', 'EX', 10);
  const server = request('/redis');
  await server.run(async () => {
    await client.set(key, 'v', 'EX', 10);
    assert.equal(await client.get(key), 'v');
    await client.del(key, `${key}-outside`);
  });
  server.end(200);
  await tracing.flush();
  const mine = spans.filter((s) => s.traceId === server.traceId && s.name !== 'GET /redis' && s.spanId !== server.spanId);
  assert.deepEqual(
    mine.map((s) => s.name),
    ['SET', 'GET', 'DEL'],
  );
  for (const s of mine) {
    assert.equal(s.parentSpanId, server.spanId);
    assert.equal(s.kind, 3);
    assert.equal(s.attributes.find((a) => a.key === 'db.system.name')?.value.stringValue, 'redis');
  }
});

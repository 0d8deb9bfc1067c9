// The Redis client built by the composition root is traced when tracing is on (#9 part 5,
// docs/operations.md "Tracing"): a token request's limit checks on the shared Redis are CLIENT
// spans (`db.system.name=redis`), children of the request's SERVER span. The OTLP/HTTP receiver is
// a plain node:http server on 127.0.0.1; keys live under a random prefix, removed afterwards.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { decodeOtlpTraces, type OtlpSpan } from '../support/otlp.ts';
import { deletePrefix, sharedRedis, testKeyPrefix, testRedisUrl } from '../support/redis.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const attr = (span: OtlpSpan, name: string) => span.attributes.find((a) => a.key === name)?.value['stringValue'];

describe('Redis commands are traced', async () => {
  const probe = await sharedRedis();
  if ('skip' in probe) {
    test('skipped', { skip: probe.skip }, () => {});
    return;
  }
  const redis = probe.client;
  const keyPrefix = testKeyPrefix();
  const spans: OtlpSpan[] = [];
  const receiver: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = decodeOtlpTraces(req.headers['content-type'], Buffer.concat(chunks));
      for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  let s: TestServer | undefined;
  after(async () => {
    await s?.close();
    receiver.closeAllConnections();
    await new Promise((r) => receiver.close(r));
    await deletePrefix(redis, keyPrefix);
    redis.disconnect();
  });

  test("a token request's limit checks are CLIENT spans under its SERVER span", async () => {
    s = await startTestServer(
      { redis: { url: testRedisUrl(), keyPrefix } },
      { observe: { env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}` } } },
    );
    const res = await fetch(`${s.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    await res.arrayBuffer();
    assert.equal(res.status, 401);
    const deadline = Date.now() + 5000;
    const server = () => spans.find((x) => x.name === 'POST /token');
    const ofRedis = () => spans.filter((x) => x.traceId === server()?.traceId && attr(x, 'db.system.name') === 'redis');
    while (ofRedis().length === 0) {
      if (Date.now() > deadline) assert.fail(`no Redis span exported; got ${spans.map((x) => x.name).join(', ')}`);
      await s.gh.services.tracing!.flush();
      if (ofRedis().length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    for (const x of ofRedis()) {
      assert.equal(x.kind, 3, 'CLIENT');
      assert.equal(x.parentSpanId, server()!.spanId, `${x.name} is a child of the request span`);
      assert.ok(attr(x, 'db.operation.name'), 'names the command');
    }
  });
});

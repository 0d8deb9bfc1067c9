import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { testOutbound } from '../../../test/support/outbound.ts';
import { buildEnvelope } from '../envelope.ts';
import { createWebhookSink } from './webhook-sink.ts';

const SECRET = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
const http = testOutbound();
after(() => http.close());

interface Received {
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A webhook receiver on 127.0.0.1:0 answering `status(n)` for the n-th request. */
async function receiver(status: (n: number) => number = () => 204): Promise<{ url: URL; got: Received[]; close(): Promise<void> }> {
  const got: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.writeHead(status(got.length)).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/gatehouse`);
  return { url, got, close: () => new Promise((r) => server.close(() => r())) };
}

const event = (i: number) => buildEnvelope('https://id.example', 'client.created', { tenantId: 'default', clientId: `c${i}`, via: 'cli' }, Date.now());

test('Standard Webhooks: each event is one POST whose signature verifies with the reference library; webhook-id is the event id', async (t) => {
  const rx = await receiver();
  t.after(() => rx.close());
  const sink = createWebhookSink(rx.url, 'hook', http, { secret: SECRET, timeoutMs: 2000 });
  const batch = [event(1), event(2)];
  const result = await sink.send(batch);
  assert.deepEqual(result, { delivered: batch.map((e) => e.id), failed: [] });
  assert.equal(rx.got.length, 2);
  const verifier = new Webhook(SECRET);
  for (const [i, r] of rx.got.entries()) {
    const h = r.headers as Record<string, string>;
    assert.equal(h['webhook-id'], batch[i]!.id);
    assert.match(h['webhook-signature']!, /^v1,[A-Za-z0-9+/]+=*$/);
    assert.match(h['content-type']!, /^application\/cloudevents\+json/);
    const payload = verifier.verify(r.body, {
      'webhook-id': h['webhook-id']!,
      'webhook-timestamp': h['webhook-timestamp']!,
      'webhook-signature': h['webhook-signature']!,
    });
    assert.deepEqual(payload, JSON.parse(JSON.stringify(batch[i])));
  }
  // A tampered body or another secret does not verify.
  const h = rx.got[0]!.headers as Record<string, string>;
  const headers = { 'webhook-id': h['webhook-id']!, 'webhook-timestamp': h['webhook-timestamp']!, 'webhook-signature': h['webhook-signature']! };
  assert.throws(() => verifier.verify(rx.got[0]!.body.replace('c1', 'c9'), headers));
  assert.throws(() => new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(rx.got[0]!.body, headers));
});

test('2xx delivered; 4xx other than 408/429 permanent; 5xx retried and the rest of the batch skipped', async (t) => {
  const answers = [200, 400, 410, 503];
  const rx = await receiver((n) => answers[n - 1] ?? 200);
  t.after(() => rx.close());
  const sink = createWebhookSink(rx.url, 'hook', http, { secret: SECRET, timeoutMs: 2000 });
  const batch = [event(1), event(2), event(3), event(4), event(5)];
  const r = await sink.send(batch);
  assert.deepEqual(r.delivered, [batch[0]!.id]);
  assert.deepEqual(
    r.failed.map((f) => [f.id, f.reason, f.permanent ?? false]),
    [
      [batch[1]!.id, 'http_400', true],
      [batch[2]!.id, 'http_410', true],
      [batch[3]!.id, 'http_503', false],
      [batch[4]!.id, 'skipped after http_503', false],
    ],
  );
  assert.equal(rx.got.length, 4, 'nothing sent after a retryable failure');
});

test('408 and 429 are retried, not dead-lettered; an unreachable receiver is a retryable network failure', async (t) => {
  const rx = await receiver((n) => (n === 1 ? 408 : 429));
  t.after(() => rx.close());
  const sink = createWebhookSink(rx.url, 'hook', http, { secret: SECRET, timeoutMs: 2000 });
  const [a] = [event(1)];
  assert.deepEqual((await sink.send([a!])).failed, [{ id: a!.id, reason: 'http_408' }]);
  assert.deepEqual((await sink.send([a!])).failed, [{ id: a!.id, reason: 'http_429' }]);
  await rx.close();
  const down = await sink.send([a!]);
  assert.equal(down.failed[0]!.permanent, undefined);
  assert.equal(down.failed[0]!.reason, 'network');
});

test('timeoutMs bounds the whole send: a slow receiver gets what fits, the rest fails as timeout (retried)', async (t) => {
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => setTimeout(() => res.writeHead(204).end(), 250));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/slow`);
  const sink = createWebhookSink(url, 'slow', http, { secret: SECRET, timeoutMs: 600 });
  const batch = [event(1), event(2), event(3), event(4)];
  const started = Date.now();
  const r = await sink.send(batch);
  assert.ok(Date.now() - started < 600 + 300, `took ${Date.now() - started} ms`);
  assert.equal(r.delivered.length + r.failed.length, 4);
  assert.ok(r.delivered.length >= 1 && r.delivered.length <= 2, `delivered ${r.delivered.length}`);
  assert.ok(
    r.failed.every((f) => !f.permanent && /timeout/.test(f.reason)),
    JSON.stringify(r.failed),
  );
});

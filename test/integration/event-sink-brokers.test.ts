// #9 What each broker sink promises beyond the shared EventSink contract, checked on the real
// services: RabbitMQ message properties and exchange declaration, JetStream de-duplication and the
// missing-stream failure, Redis MAXLEN, database selection and a refused XADD.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect as natsConnect } from '@nats-io/transport-node';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { create as createAmqp } from '../../src/events/sinks/amqp.ts';
import { create as createNats } from '../../src/events/sinks/nats.ts';
import { create as createRedis } from '../../src/events/sinks/redis-streams.ts';
import { amqpFixture, natsFixture, suffix } from '../contract/event-sink-harnesses.ts';
import { sampleEvent } from '../contract/event-sink.contract.ts';
import { brokerSkipReason, brokerUrl, startPrivateBroker } from '../support/brokers.ts';

type T = { skip(m: string): void; after(fn: () => Promise<unknown> | unknown): void };

async function skipped(kind: 'redis' | 'rabbitmq' | 'nats', t: T): Promise<boolean> {
  const reason = await brokerSkipReason(kind);
  if (reason) t.skip(reason);
  return reason !== null;
}

test('#9 RabbitMQ: the sink declares a durable topic exchange; each event is a persistent message routed by its type, id as message-id', async (t) => {
  if (await skipped('rabbitmq', t)) return;
  const exchange = `gh-test-props-${suffix()}`;
  const url = new URL(brokerUrl('rabbitmq'));
  url.searchParams.set('exchange', exchange);
  const sink = createAmqp(url, { timeoutMs: 3000 });
  t.after(() => sink.close());
  // Nothing declares the exchange but the sink's first send.
  const first = sampleEvent();
  assert.deepEqual((await sink.send([first])).delivered, [first.id]);
  const conn = await amqp.connect(brokerUrl('rabbitmq').href);
  t.after(() => conn.close());
  const probe = await conn.createChannel();
  await probe.checkExchange(exchange);
  // Re-declaring with the same type and durability passes; a mismatch would close the channel (406).
  await probe.assertExchange(exchange, 'topic', { durable: true });
  await probe.close();

  const f = await amqpFixture(url, exchange);
  t.after(() => f.cleanup());
  const event = sampleEvent('gatehouse.consent.granted');
  assert.deepEqual((await sink.send([event])).delivered, [event.id]);
  await f.receive(1);
  const m = f.messages[0];
  assert.ok(m);
  assert.equal(m.fields.exchange, exchange);
  assert.equal(m.fields.routingKey, 'gatehouse.consent.granted');
  assert.equal(m.properties.deliveryMode, 2, 'persistent');
  assert.equal(m.properties.messageId, event.id);
  assert.equal(m.properties.contentType, 'application/cloudevents+json');
  assert.equal(m.properties.type, event.type);
  assert.equal(m.properties.timestamp, Math.floor(Date.parse(event.time) / 1000));
  assert.deepEqual(JSON.parse(m.content.toString('utf8')), event);
});

test('#9 NATS JetStream: without a stream capturing PREFIX.<type> the publish fails fast with a clear, retryable reason; once the operator adds the stream the next send delivers', async (t) => {
  if (await skipped('nats', t)) return;
  const base = brokerUrl('nats');
  const id = suffix();
  const prefix = `ghtest.nostream.${id}`;
  const sink = createNats(new URL(`nats://${base.host}?subject=${prefix}`), { timeoutMs: 3000 });
  t.after(() => sink.close());
  const batch = [sampleEvent(), sampleEvent('gatehouse.user.deleted')];
  const started = Date.now();
  const result = await sink.send(batch);
  assert.ok(Date.now() - started < 1500, `no-responders answers at once (took ${Date.now() - started} ms)`);
  assert.deepEqual(result.delivered, []);
  assert.deepEqual(
    result.failed.map((f) => f.id),
    batch.map((e) => e.id),
  );
  assert.match(
    result.failed[0]?.reason ?? '',
    new RegExp(`no JetStream stream captures subject ${prefix.replaceAll('.', '\\.')}\\.gatehouse\\.token\\.issued`),
  );
  // Not permanent: the outbox keeps the events until the stream exists, nothing is dead-lettered.
  assert.ok(result.failed.every((f) => f.permanent !== true));

  const nc = await natsConnect({ servers: base.host });
  const jsm = await jetstreamManager(nc);
  const stream = `GH_TEST_LATE_STREAM_${id.toUpperCase()}`;
  await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`], storage: StorageType.Memory });
  t.after(async () => {
    await jsm.streams.delete(stream).catch(() => {});
    await nc.close();
  });
  assert.deepEqual(await sink.send(batch), { delivered: batch.map((e) => e.id), failed: [] });
  assert.equal((await jsm.streams.info(stream)).state.messages, 2);
});

test('#9 NATS JetStream: Nats-Msg-Id = event id, so a resend within the duplicate window is acknowledged but stored once; Content-Type names the CloudEvents format', async (t) => {
  if (await skipped('nats', t)) return;
  const nc = await natsConnect({ servers: brokerUrl('nats').host });
  const f = await natsFixture(nc, brokerUrl('nats'));
  t.after(() => f.cleanup());
  const sink = createNats(f.url, { timeoutMs: 3000 });
  t.after(() => sink.close());
  const batch = [sampleEvent(), sampleEvent('gatehouse.session.ended')];
  for (let i = 0; i < 3; i++) assert.deepEqual(await sink.send(batch), { delivered: batch.map((e) => e.id), failed: [] });
  assert.equal((await f.jsm.streams.info(f.stream)).state.messages, 2, 'stored once');
  const got = await f.receive(2);
  assert.deepEqual(
    got.map((m) => m.messageId),
    batch.map((e) => e.id),
  );
  const stored = await f.jsm.streams.getMessage(f.stream, { seq: 1 });
  assert.equal(stored?.header.get('Content-Type'), 'application/cloudevents+json');
  assert.equal(stored?.subject, `${f.prefix}.gatehouse.token.issued`);
});

test('#9 NATS JetStream: an event whose type is not a valid subject token fails permanently alone; the rest of the batch is delivered', async (t) => {
  if (await skipped('nats', t)) return;
  const nc = await natsConnect({ servers: brokerUrl('nats').host });
  const f = await natsFixture(nc, brokerUrl('nats'));
  t.after(() => f.cleanup());
  const sink = createNats(f.url, { timeoutMs: 3000 });
  t.after(() => sink.close());
  const good = [sampleEvent(), sampleEvent()];
  const bad = sampleEvent('gatehouse.bad type.*');
  const result = await sink.send([good[0], bad, good[1]].filter((e) => e !== undefined));
  assert.deepEqual(
    result.delivered,
    good.map((e) => e.id),
  );
  assert.equal(result.failed.length, 1);
  assert.equal(result.failed[0]?.id, bad.id);
  assert.equal(result.failed[0]?.permanent, true);
});

test('#9 Redis Streams: maxlen caps the stream approximately (XADD MAXLEN ~ N); the URL database is the one written', async (t) => {
  if (await skipped('redis', t)) return;
  const stream = `gh-test-maxlen-${suffix()}`;
  const base = brokerUrl('redis');
  const url = new URL(base);
  url.pathname = '/3';
  url.searchParams.set('stream', stream);
  url.searchParams.set('maxlen', '10');
  const sink = createRedis(url, { timeoutMs: 3000 });
  t.after(() => sink.close());
  for (let i = 0; i < 5; i++) {
    const batch = Array.from({ length: 100 }, () => sampleEvent());
    assert.equal((await sink.send(batch)).delivered.length, 100);
  }
  const db3 = new Redis({ host: base.hostname, port: Number(base.port || 6379), db: 3, lazyConnect: true });
  await db3.connect();
  const db0 = new Redis({ host: base.hostname, port: Number(base.port || 6379), db: 0, lazyConnect: true });
  await db0.connect();
  t.after(async () => {
    await db3.del(stream);
    db3.disconnect();
    db0.disconnect();
  });
  const len = await db3.xlen(stream);
  assert.ok(len >= 10 && len < 500, `trimmed to about 10 (whole macro nodes): ${len}`);
  assert.equal(await db0.exists(stream), 0, 'nothing written to database 0');
});

test('#9 Redis Streams: a stream key of another type refuses every XADD: each event fails with the Redis error, retryable', async (t) => {
  if (await skipped('redis', t)) return;
  const stream = `gh-test-wrongtype-${suffix()}`;
  const base = brokerUrl('redis');
  const admin = new Redis(base.href, { lazyConnect: true });
  await admin.connect();
  t.after(async () => {
    await admin.del(stream);
    admin.disconnect();
  });
  await admin.set(stream, 'not a stream');
  const url = new URL(base);
  url.searchParams.set('stream', stream);
  const warnings: object[] = [];
  const sink = createRedis(url, { timeoutMs: 3000, logger: { warn: (o) => warnings.push(o) } });
  t.after(() => sink.close());
  const batch = [sampleEvent(), sampleEvent()];
  const result = await sink.send(batch);
  assert.deepEqual(result.delivered, []);
  assert.deepEqual(
    result.failed.map((f) => f.id),
    batch.map((e) => e.id),
  );
  for (const f of result.failed) assert.match(f.reason, /WRONGTYPE/);
  assert.equal(warnings.length, 1);
  // Fixed by the operator: the same sink delivers.
  await admin.del(stream);
  assert.deepEqual(
    (await sink.send(batch)).delivered,
    batch.map((e) => e.id),
  );
});

test('#9 Redis Streams: per-event results: XADDs Redis refuses (out of memory, private instance with maxmemory) fail alone; exactly the delivered ones are in the stream', async (t) => {
  const broker = await startPrivateBroker('redis', ['--maxmemory', '3mb', '--maxmemory-policy', 'noeviction']);
  if ('skip' in broker) return t.skip(broker.skip);
  t.after(() => broker.dispose());
  const stream = `gh-test-oom-${suffix()}`;
  const sink = createRedis(new URL(`redis://127.0.0.1:${broker.port}/0?stream=${stream}`), { timeoutMs: 5000 });
  t.after(() => sink.close());
  // About 100 KB per event: the memory limit is reached part-way through the batch.
  const batch = Array.from({ length: 40 }, (_, i) => sampleEvent('gatehouse.token.issued', { i, pad: 'x'.repeat(100_000) }));
  const result = await sink.send(batch);
  assert.ok(result.delivered.length > 0 && result.failed.length > 0, `delivered ${result.delivered.length}, failed ${result.failed.length}`);
  assert.equal(result.delivered.length + result.failed.length, batch.length);
  for (const f of result.failed) assert.match(f.reason, /OOM|maxmemory/);
  const reader = new Redis({ host: '127.0.0.1', port: broker.port, lazyConnect: true });
  await reader.connect();
  t.after(() => reader.disconnect());
  const stored = (await reader.xrange(stream, '-', '+')).map(([, fields]) => JSON.parse(fields[1] as string).id);
  assert.deepEqual(stored, result.delivered, 'delivered = what Redis stored, in order');
});

test('#9 NATS: tls:// and ?tls=true require TLS: against a server without TLS every event fails with the reason, nothing goes out in clear text', async (t) => {
  if (await skipped('nats', t)) return;
  const host = brokerUrl('nats').host;
  for (const href of [`tls://${host}?subject=ghtest.secure`, `nats://${host}?subject=ghtest.secure&tls=true`]) {
    const sink = createNats(new URL(href), { timeoutMs: 2000 });
    try {
      const batch = [sampleEvent()];
      const result = await sink.send(batch);
      assert.deepEqual(result.delivered, [], href);
      assert.match(result.failed[0]?.reason ?? '', /does not support 'tls'/, href);
    } finally {
      await sink.close();
    }
  }
});

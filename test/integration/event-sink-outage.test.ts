// #9: a broker outage yields failed results quickly (no throw, no hang, no crash from an 'error'
// event) and the sink recovers by itself when the broker is back. Redis and NATS run as PRIVATE
// instances on free ports (killed with SIGKILL, like a crash, then restarted on the same port);
// the shared services are never stopped. RabbitMQ's failure paths run against the shared broker
// without stopping it: a closed port, an exchange deleted under the sink (channel error) and the
// sink's connection closed by the broker (connection error).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect as natsConnect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { create as createAmqp } from '../../src/events/sinks/amqp.ts';
import { create as createNats } from '../../src/events/sinks/nats.ts';
import { create as createRedis } from '../../src/events/sinks/redis-streams.ts';
import type { CloudEvent, EventSink, SinkResult } from '../../src/events/sink.ts';
import { amqpFixture, suffix } from '../contract/event-sink-harnesses.ts';
import { sampleEvent } from '../contract/event-sink.contract.ts';
import { brokerSkipReason, brokerUrl, type PrivateBroker, startPrivateBroker } from '../support/brokers.ts';

const TIMEOUT_MS = 2000;
// "Quickly": the configured timeout plus scheduling slack, far below a hang.
const QUICK_MS = TIMEOUT_MS + 1500;

async function timedSend(sink: EventSink, batch: readonly CloudEvent[]): Promise<{ result: SinkResult; ms: number }> {
  const started = Date.now();
  const result = await sink.send(batch);
  return { result, ms: Date.now() - started };
}

function assertAllFailed(result: SinkResult, batch: readonly CloudEvent[]): void {
  assert.deepEqual(result.delivered, [], 'nothing counts as delivered during the outage');
  assert.deepEqual(
    result.failed.map((f) => f.id),
    batch.map((e) => e.id),
  );
  for (const f of result.failed) assert.ok(f.reason && f.permanent !== true, `retryable failure with a reason: ${f.reason}`);
}

async function privateBroker(kind: 'redis' | 'nats', t: { skip(m: string): void; after(fn: () => Promise<void>): void }): Promise<PrivateBroker | null> {
  const b = await startPrivateBroker(kind);
  if ('skip' in b) {
    t.skip(b.skip);
    return null;
  }
  t.after(() => b.dispose());
  return b;
}

test('#9 Redis Streams: Redis killed → send fails every event quickly; Redis back on the same port → the next send delivers', async (t) => {
  const broker = await privateBroker('redis', t);
  if (!broker) return;
  const stream = `gh-test-outage-${suffix()}`;
  const warnings: object[] = [];
  const sink = createRedis(new URL(`redis://127.0.0.1:${broker.port}/0?stream=${stream}`), {
    timeoutMs: TIMEOUT_MS,
    logger: { warn: (o) => warnings.push(o) },
  });
  t.after(() => sink.close());

  const before = [sampleEvent()];
  assert.deepEqual((await sink.send(before)).delivered, [before[0]?.id]);

  await broker.stop();
  for (let round = 0; round < 2; round++) {
    const during = [sampleEvent(), sampleEvent()];
    const { result, ms } = await timedSend(sink, during);
    assertAllFailed(result, during);
    assert.ok(ms < QUICK_MS, `failed after ${ms} ms`);
  }
  assert.ok(warnings.length >= 1, 'the outage is logged');

  await broker.start();
  const after = [sampleEvent(), sampleEvent()];
  const { result } = await timedSend(sink, after);
  assert.deepEqual(result, { delivered: after.map((e) => e.id), failed: [] });
  // The private Redis has no persistence: the restarted stream holds exactly what was sent since.
  const reader = new Redis({ port: broker.port, host: '127.0.0.1', lazyConnect: true });
  await reader.connect();
  t.after(() => reader.disconnect());
  const entries = await reader.xrange(stream, '-', '+');
  assert.deepEqual(
    entries.map(([, fields]) => JSON.parse(fields[1] as string).id),
    after.map((e) => e.id),
  );
});

test('#9 Redis Streams: a sink whose Redis is down from the start fails fast, then delivers once Redis starts', async (t) => {
  const broker = await privateBroker('redis', t);
  if (!broker) return;
  await broker.stop();
  const sink = createRedis(new URL(`redis://127.0.0.1:${broker.port}/0?stream=gh-test-late-${suffix()}`), { timeoutMs: TIMEOUT_MS });
  t.after(() => sink.close());
  const batch = [sampleEvent()];
  const { result, ms } = await timedSend(sink, batch);
  assertAllFailed(result, batch);
  assert.ok(ms < QUICK_MS, `failed after ${ms} ms`);
  await broker.start();
  assert.deepEqual((await sink.send(batch)).delivered, [batch[0]?.id]);
});

test('#9 NATS JetStream: server killed → send fails every event quickly; server back on the same port → the next send delivers', async (t) => {
  const broker = await privateBroker('nats', t);
  if (!broker) return;
  const id = suffix();
  const stream = `GH_TEST_OUTAGE_${id.toUpperCase()}`;
  const prefix = `ghtest.${id}`;
  const admin = await natsConnect({ servers: `127.0.0.1:${broker.port}` });
  // File storage in the private server's directory: the stream survives the restart.
  await (await jetstreamManager(admin)).streams.add({ name: stream, subjects: [`${prefix}.>`], storage: StorageType.File });
  await admin.close();

  const warnings: object[] = [];
  const sink = createNats(new URL(`nats://127.0.0.1:${broker.port}?subject=${prefix}`), { timeoutMs: TIMEOUT_MS, logger: { warn: (o) => warnings.push(o) } });
  t.after(() => sink.close());
  const before = [sampleEvent()];
  assert.deepEqual((await sink.send(before)).delivered, [before[0]?.id]);

  await broker.stop();
  for (let round = 0; round < 2; round++) {
    const during = [sampleEvent(), sampleEvent()];
    const { result, ms } = await timedSend(sink, during);
    assertAllFailed(result, during);
    assert.ok(ms < QUICK_MS, `failed after ${ms} ms`);
  }
  assert.ok(warnings.length >= 1, 'the outage is logged');

  await broker.start();
  const after = [sampleEvent(), sampleEvent()];
  assert.deepEqual(await sink.send(after), { delivered: after.map((e) => e.id), failed: [] });

  const reader = await natsConnect({ servers: `127.0.0.1:${broker.port}` });
  t.after(() => reader.close());
  const consumer = await jetstream(reader).consumers.get(stream);
  const ids: string[] = [];
  for (;;) {
    const m = await consumer.next({ expires: 1000 });
    if (!m) break;
    ids.push(m.json<CloudEvent>().id);
  }
  // Publishes the client buffered during the outage may land after the reconnect (the relay
  // resends them anyway; the duplicate window drops the copy): only order and presence are asserted.
  const wanted = [...before, ...after].map((e) => e.id);
  assert.deepEqual(
    ids.filter((x) => wanted.includes(x)),
    wanted,
  );
});

test('#9 NATS JetStream: a sink whose server is down from the start fails fast, then delivers once it starts', async (t) => {
  const broker = await privateBroker('nats', t);
  if (!broker) return;
  const id = suffix();
  const prefix = `ghtest.${id}`;
  const admin = await natsConnect({ servers: `127.0.0.1:${broker.port}` });
  await (await jetstreamManager(admin)).streams.add({ name: `GH_TEST_LATE_${id.toUpperCase()}`, subjects: [`${prefix}.>`], storage: StorageType.File });
  await admin.close();
  await broker.stop();
  const sink = createNats(new URL(`nats://127.0.0.1:${broker.port}?subject=${prefix}`), { timeoutMs: TIMEOUT_MS });
  t.after(() => sink.close());
  const batch = [sampleEvent()];
  const { result, ms } = await timedSend(sink, batch);
  assertAllFailed(result, batch);
  assert.ok(ms < QUICK_MS, `failed after ${ms} ms`);
  await broker.start();
  assert.deepEqual((await sink.send(batch)).delivered, [batch[0]?.id]);
});

test('#9 RabbitMQ: an exchange deleted under the sink (channel error) fails that batch without a crash; the next send re-declares it and delivers', async (t) => {
  const skip = await brokerSkipReason('rabbitmq');
  if (skip) return t.skip(skip);
  const exchange = `gh-test-outage-${suffix()}`;
  const url = new URL(brokerUrl('rabbitmq'));
  url.searchParams.set('exchange', exchange);
  const f = await amqpFixture(url, exchange);
  t.after(() => f.cleanup());
  const warnings: object[] = [];
  const sink = createAmqp(url, { timeoutMs: TIMEOUT_MS, logger: { warn: (o) => warnings.push(o) } });
  t.after(() => sink.close());
  const first = [sampleEvent()];
  assert.deepEqual((await sink.send(first)).delivered, [first[0]?.id]);

  await f.admin.deleteExchange(exchange);
  const lost = [sampleEvent(), sampleEvent()];
  const { result, ms } = await timedSend(sink, lost);
  assertAllFailed(result, lost);
  assert.ok(ms < QUICK_MS, `failed after ${ms} ms`);
  assert.match(result.failed[0]?.reason ?? '', /NOT_FOUND|closed/i);
  assert.ok(warnings.length >= 1, 'the channel error is logged');

  const again = [sampleEvent()];
  assert.deepEqual((await sink.send(again)).delivered, [again[0]?.id]);
  await f.admin.checkExchange(exchange); // re-declared by the sink, durable topic as before
  const { queue } = await f.admin.assertQueue('', { exclusive: true });
  await f.admin.bindQueue(queue, exchange, '#');
  const last = [sampleEvent()];
  assert.deepEqual((await sink.send(last)).delivered, [last[0]?.id]);
  const got = await f.admin.get(queue, { noAck: true });
  assert.ok(got, 'the message reached a queue bound to the re-declared exchange');
  assert.equal(got.properties.messageId, last[0]?.id);
});

test('#9 RabbitMQ: the sink connection closed by the broker (connection error) crashes nothing; a following send reconnects and delivers', async (t) => {
  const skip = await brokerSkipReason('rabbitmq');
  if (skip) return t.skip(skip);
  const exchange = `gh-test-outage-${suffix()}`;
  const url = new URL(brokerUrl('rabbitmq'));
  url.searchParams.set('exchange', exchange);
  const f = await amqpFixture(url, exchange);
  t.after(() => f.cleanup());
  const sink = createAmqp(url, { timeoutMs: TIMEOUT_MS });
  t.after(() => sink.close());
  assert.equal((await sink.send([sampleEvent()])).delivered.length, 1);

  // Close exactly the sink's connection (found by its connection name), like a broker restart would.
  const run = promisify(execFile);
  let listed: string;
  try {
    listed = (await run('rabbitmqctl', ['-q', 'list_connections', 'pid', 'client_properties'], { timeout: 15_000 })).stdout;
  } catch (e) {
    return t.skip(`rabbitmqctl unavailable to close a connection: ${(e as Error).message.split('\n')[0]}`);
  }
  const line = listed.split('\n').find((l) => l.includes(`gatehouse events`) && l.includes(exchange));
  assert.ok(line, `the sink's connection is listed by name:\n${listed}`);
  const pid = line.split('\t')[0] as string;
  await run('rabbitmqctl', ['-q', 'close_connection', pid, 'gatehouse test: simulated broker restart'], { timeout: 15_000 });

  const batch = [sampleEvent(), sampleEvent()];
  const deadline = Date.now() + 5000;
  let result = await sink.send(batch);
  // The close may reach the client after the first send started: that batch fails, the next delivers.
  while (result.delivered.length === 0 && Date.now() < deadline) result = await sink.send(batch);
  assert.deepEqual(result, { delivered: batch.map((e) => e.id), failed: [] });
  const got = await f.receive(3);
  assert.ok(
    batch.every((e) => got.some((m) => m.messageId === e.id)),
    'the batch arrived after the reconnect',
  );
});

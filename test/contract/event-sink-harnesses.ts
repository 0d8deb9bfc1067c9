// Fixtures for the EventSink contract on the real brokers: a randomly named stream / exchange /
// JetStream stream per test, an independent consumer attached before the first send, and cleanup.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DiscardPolicy, type JetStreamManager, jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect as natsConnect, type NatsConnection } from '@nats-io/transport-node';
import amqp, { type ConsumeMessage } from 'amqplib';
import { Redis } from 'ioredis';
import { create as createAmqp } from '../../src/events/sinks/amqp.ts';
import { create as createNats } from '../../src/events/sinks/nats.ts';
import { create as createRedis } from '../../src/events/sinks/redis-streams.ts';
import { brokerSkipReason, brokerUrl } from '../support/brokers.ts';
import type { Received, SinkFixture, SinkHarness } from './event-sink.contract.ts';

export const CREDENTIALS = 'gh-test-user-7f3a:gh-test-secret-9c1e5d';
const DEADLINE_MS = 5000;

export function suffix(): string {
  return randomBytes(5).toString('hex');
}

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > deadline) return v;
    await sleep(25);
  }
}

export const redisHarness: SinkHarness = {
  perEntryRefusalProvenIn: 'test/integration/event-sink-brokers.test.ts (a private Redis with maxmemory)',
  label: 'Redis Streams',
  create: createRedis,
  unreachable: (port) => new URL(`redis://${CREDENTIALS}@127.0.0.1:${port}/0?stream=gh-test`),
  async fixture() {
    const skip = await brokerSkipReason('redis');
    if (skip) return { skip };
    const stream = `gh-test-events-${suffix()}`;
    const base = brokerUrl('redis');
    const url = new URL(base);
    url.searchParams.set('stream', stream);
    const reader = new Redis(base.href, { lazyConnect: true });
    await reader.connect();
    return redisFixture(url, reader, stream);
  },
};

export function redisFixture(url: URL, reader: Redis, stream: string): SinkFixture {
  const read = async (): Promise<Received[]> =>
    (await reader.xrange(stream, '-', '+')).map(([, fields]) => {
      if (fields.length !== 2 || fields[0] !== 'event') throw new Error(`unexpected entry fields ${JSON.stringify(fields)}`);
      return { body: fields[1] as string, messageId: null, route: stream };
    });
  return {
    url,
    receive: (n) => until(read, (got) => got.length >= n),
    routeOf: () => stream,
    async cleanup() {
      await reader.del(stream);
      reader.disconnect();
    },
  };
}

export const amqpHarness: SinkHarness = {
  label: 'RabbitMQ',
  create: createAmqp,
  unreachable: (port) => new URL(`amqp://${CREDENTIALS}@127.0.0.1:${port}/?exchange=gh-test`),
  async fixture() {
    const skip = await brokerSkipReason('rabbitmq');
    if (skip) return { skip };
    const exchange = `gh-test-events-${suffix()}`;
    const base = brokerUrl('rabbitmq');
    const url = new URL(base);
    url.searchParams.set('exchange', exchange);
    return amqpFixture(url, exchange);
  },
};

/** An amqplib consumer on an exclusive queue bound with `#` to the (pre-declared) exchange. */
export async function amqpFixture(url: URL, exchange: string): Promise<SinkFixture & { readonly messages: ConsumeMessage[]; admin: amqp.Channel }> {
  const conn = await amqp.connect(brokerUrl('rabbitmq').href);
  conn.on('error', () => {});
  const admin = await conn.createChannel();
  admin.on('error', () => {});
  await admin.assertExchange(exchange, 'topic', { durable: true });
  const { queue } = await admin.assertQueue('', { exclusive: true });
  await admin.bindQueue(queue, exchange, '#');
  const messages: ConsumeMessage[] = [];
  await admin.consume(queue, (m) => m && messages.push(m), { noAck: true });
  return {
    url,
    messages,
    admin,
    receive: (n) =>
      until(
        async () => messages.map((m) => ({ body: m.content.toString('utf8'), messageId: m.properties.messageId ?? null, route: m.fields.routingKey })),
        (got) => got.length >= n,
      ),
    routeOf: (type) => type,
    async acceptOnly(n) {
      // RabbitMQ nacks a publish that a reject-publish queue at its max length cannot take.
      const limited = await admin.assertQueue('', { exclusive: true, arguments: { 'x-max-length': n, 'x-overflow': 'reject-publish' } });
      await admin.bindQueue(limited.queue, exchange, '#');
    },
    async cleanup() {
      const ch = await conn.createChannel().catch(() => null);
      await ch?.deleteExchange(exchange).catch(() => {});
      await conn.close().catch(() => {});
    },
  };
}

export const natsHarness: SinkHarness = {
  label: 'NATS JetStream',
  create: createNats,
  unreachable: (port) => new URL(`nats://${CREDENTIALS}@127.0.0.1:${port}?subject=gh-test`),
  async fixture() {
    const skip = await brokerSkipReason('nats');
    if (skip) return { skip };
    const base = brokerUrl('nats');
    const nc = await natsConnect({ servers: `${base.hostname}:${base.port || 4222}` });
    return natsFixture(nc, base);
  },
};

/** A memory-stored JetStream stream capturing `PREFIX.>` and an ordered consumer reading it from the start. */
export async function natsFixture(
  nc: NatsConnection,
  base: URL,
  opts: { storage?: StorageType } = {},
): Promise<SinkFixture & { readonly stream: string; readonly prefix: string; jsm: JetStreamManager }> {
  const id = suffix();
  const stream = `GH_TEST_EVENTS_${id.toUpperCase()}`;
  const prefix = `ghtest.${id}`;
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`], storage: opts.storage ?? StorageType.Memory });
  const url = new URL(`nats://${base.host}`);
  url.searchParams.set('subject', prefix);
  const read = async (): Promise<Received[]> => {
    const count = (await jsm.streams.info(stream)).state.messages;
    const consumer = await jetstream(nc).consumers.get(stream);
    const out: Received[] = [];
    for (let i = 0; i < count; i++) {
      const m = await consumer.next({ expires: 2000 });
      if (!m) break;
      out.push({ body: m.string(), messageId: m.headers?.get('Nats-Msg-Id') ?? null, route: m.subject });
    }
    return out;
  };
  return {
    url,
    stream,
    prefix,
    jsm,
    receive: async (n) => {
      await until(
        async () => (await jsm.streams.info(stream)).state.messages,
        (c) => c >= n,
      );
      return read();
    },
    routeOf: (type) => `${prefix}.${type}`,
    async acceptOnly(n) {
      const { state } = await jsm.streams.info(stream);
      await jsm.streams.update(stream, { max_msgs: state.messages + n, discard: DiscardPolicy.New });
    },
    async cleanup() {
      await jsm.streams.delete(stream).catch(() => {});
      await nc.close();
    },
  };
}

/**
 * RabbitMQ (AMQP 0-9-1) event sink (#9): `amqp://user:pass@host:port/VHOST?exchange=NAME`, or
 * `amqps://` for TLS. Publishes each event to a durable topic exchange (declared if missing) with
 * routing key = event type, as a persistent message whose `messageId` is the event id, on a
 * confirm channel: an event counts as delivered only when the broker confirmed it (basic.ack);
 * a basic.nack, a closed channel or no confirm within the timeout makes it failed.
 *
 * One connection and one confirm channel, opened on the first send. A connection or channel
 * error (broker restart, exchange deleted, …) only drops them; the next send opens new ones.
 * Every 'error' event has a listener, so a broker outage never crashes the process.
 */
import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';
import { GatehouseError } from '../../core/errors.ts';
import type { CloudEvent, EventSink, SinkResult } from '../sink.ts';
import { failAll, reasonOf, type SinkOptions, secretsOf, sinkName, timeoutOf, warnOnce, within } from './options.ts';

interface AmqpSinkConfig {
  readonly connection: Options.Connect;
  readonly exchange: string;
}

/** Reads the sink URL; throws GH_CONFIG_INVALID (without credentials) when it is unusable. */
export function parseAmqpSinkUrl(url: URL): AmqpSinkConfig {
  const bad = (why: string) => new GatehouseError('GH_CONFIG_INVALID', `GATEHOUSE_EVENTS: RabbitMQ sink ${sinkName(url)}: ${why}`);
  if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') throw bad('the scheme must be amqp: or amqps:');
  if (!url.hostname) throw bad('a host is required');
  const exchange = url.searchParams.get('exchange');
  // The default exchange ('') cannot be declared and routes by queue name: not an event exchange.
  if (!exchange || exchange.startsWith('amq.')) throw bad('the exchange query parameter is required (?exchange=NAME, not amq.*)');
  const path = url.pathname.replace(/^\//, '');
  let vhost: string;
  try {
    // An empty path means the broker's default virtual host "/" (write "/%2F" or nothing).
    vhost = path ? decodeURIComponent(path) : '/';
  } catch {
    throw bad('the virtual host is not valid percent-encoding');
  }
  const heartbeat = url.searchParams.get('heartbeat');
  if (heartbeat !== null && !/^\d{1,4}$/.test(heartbeat)) throw bad('heartbeat must be a number of seconds');
  return {
    exchange,
    connection: {
      protocol: url.protocol.slice(0, -1),
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port ? Number(url.port) : url.protocol === 'amqps:' ? 5671 : 5672,
      username: url.username ? decodeURIComponent(url.username) : 'guest',
      password: url.password ? decodeURIComponent(url.password) : 'guest',
      vhost,
      // Heartbeats notice a dead TCP peer (a broker host gone without a FIN) within ~2 intervals.
      heartbeat: heartbeat === null ? 30 : Number(heartbeat),
    },
  };
}

export function create(url: URL, options: SinkOptions = {}): EventSink {
  const cfg = parseAmqpSinkUrl(url);
  const name = sinkName(url);
  const timeout = timeoutOf(options);
  const secrets = secretsOf(url);
  const log = warnOnce(options, name);
  let connection: ChannelModel | null = null;
  let channel: ConfirmChannel | null = null;
  let opening: Promise<ConfirmChannel> | null = null;
  let closed = false;

  async function openChannel(): Promise<ConfirmChannel> {
    if (!connection) {
      const amqp = await import('amqplib');
      const conn = await amqp.connect(cfg.connection, { timeout, clientProperties: { connection_name: `gatehouse events ${name}` } });
      conn.on('error', (e: Error) => log.warn(reasonOf(e, secrets), 'event sink: RabbitMQ connection error'));
      // A broker under a resource alarm stops reading publishes; the batch then times out.
      conn.on('blocked', (why: string) => log.warn(`connection blocked by RabbitMQ: ${why}`, 'event sink: RabbitMQ blocked publishing'));
      conn.on('close', () => {
        if (connection === conn) connection = channel = null;
      });
      if (closed) {
        await conn.close().catch(() => {});
        throw new Error('sink closed');
      }
      connection = conn;
    }
    const conn = connection;
    const ch = await conn.createConfirmChannel();
    ch.on('error', (e: Error) => log.warn(reasonOf(e, secrets), 'event sink: RabbitMQ channel error'));
    ch.on('close', () => {
      if (channel === ch) channel = null;
    });
    await ch.assertExchange(cfg.exchange, 'topic', { durable: true });
    channel = ch;
    log.reset();
    return ch;
  }

  function ready(): Promise<ConfirmChannel> {
    if (channel) return Promise.resolve(channel);
    opening ??= within(openChannel(), timeout, `RabbitMQ not reachable within ${timeout} ms`).finally(() => {
      opening = null;
    });
    return opening;
  }

  async function send(batch: readonly CloudEvent[]): Promise<SinkResult> {
    if (closed) return failAll(batch, 'sink closed');
    if (batch.length === 0) return { delivered: [], failed: [] };
    let ch: ConfirmChannel;
    try {
      ch = await ready();
    } catch (e) {
      const reason = reasonOf(e, secrets);
      log.warn(reason, 'event sink: RabbitMQ unreachable');
      return failAll(batch, reason);
    }
    // One outcome per event, in batch order: null = confirmed, a string = why not.
    const outcome: (string | null | undefined)[] = batch.map(() => undefined);
    let pending = batch.length;
    let allSettled!: () => void;
    const settled = new Promise<void>((resolve) => {
      allSettled = resolve;
    });
    const settle = (i: number, reason: string | null) => {
      if (outcome[i] !== undefined) return;
      outcome[i] = reason;
      if (--pending === 0) allSettled();
    };
    batch.forEach((event, i) => {
      const published = Date.parse(event.time);
      const props: Options.Publish = {
        persistent: true,
        messageId: event.id,
        type: event.type,
        contentType: 'application/cloudevents+json',
        timestamp: Math.floor((Number.isNaN(published) ? Date.now() : published) / 1000),
        appId: 'gatehouse',
      };
      try {
        ch.publish(cfg.exchange, event.type, Buffer.from(JSON.stringify(event)), props, (err) => {
          settle(i, err ? `not confirmed by RabbitMQ: ${reasonOf(err, secrets)}` : null);
        });
      } catch (e) {
        // The channel closed between ready() and here: amqplib throws IllegalOperationError.
        settle(i, reasonOf(e, secrets));
      }
    });
    await within(settled, timeout, 'timeout').catch(() => {});
    const delivered: string[] = [];
    const failed: { id: string; reason: string }[] = [];
    batch.forEach((event, i) => {
      const o = outcome[i];
      if (o === null) delivered.push(event.id);
      else failed.push({ id: event.id, reason: o ?? `no publisher confirm from RabbitMQ within ${timeout} ms` });
    });
    // A batch still unconfirmed after the timeout means a stuck channel (blocked connection,
    // lost broker): drop it, so the next send starts on a fresh one instead of queueing behind it.
    if (outcome.includes(undefined) && channel === ch) {
      channel = null;
      ch.close().catch(() => {});
    }
    return { delivered, failed };
  }

  return {
    name,
    send,
    async ping() {
      await ready();
    },
    async close() {
      closed = true;
      const conn = connection;
      connection = channel = null;
      if (conn) await within(conn.close(), timeout, 'close timed out').catch(() => {});
    },
  };
}

/**
 * Redis Streams event sink (#9): `redis://[user:pass@]host:port/DB?stream=NAME[&maxlen=N]`, or
 * `rediss://` for TLS. One XADD per event, field `event` holding the CloudEvents JSON envelope;
 * a batch is one pipeline, and each entry's own reply decides delivered or failed.
 *
 * Fail fast, recover by itself: no offline queue (a command while disconnected fails at once
 * instead of piling up in memory), a command timeout, no per-command retries (the outbox relay
 * retries), and ioredis reconnects in the background with capped backoff.
 */
import { once } from 'node:events';
import type { Redis, RedisOptions } from 'ioredis';
import { GatehouseError } from '../../core/errors.ts';
import type { CloudEvent, EventSink, SinkResult } from '../sink.ts';
import { failAll, reasonOf, type SinkOptions, secretsOf, sinkName, timeoutOf, warnOnce, within } from './options.ts';

interface RedisSinkConfig {
  readonly connection: RedisOptions;
  readonly stream: string;
  readonly maxlen: number | null;
}

/** Reads the sink URL; throws GH_CONFIG_INVALID (without credentials) when it is unusable. */
export function parseRedisSinkUrl(url: URL): RedisSinkConfig {
  const bad = (why: string) => new GatehouseError('GH_CONFIG_INVALID', `GATEHOUSE_EVENTS: Redis Streams sink ${sinkName(url)}: ${why}`);
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw bad('the scheme must be redis: or rediss:');
  if (!url.hostname) throw bad('a host is required');
  const stream = url.searchParams.get('stream');
  if (!stream) throw bad('the stream query parameter is required (?stream=NAME)');
  const dbText = url.pathname.replace(/^\//, '') || '0';
  if (!/^\d{1,5}$/.test(dbText)) throw bad(`the path must be a database number, not "${dbText}"`);
  const maxlenText = url.searchParams.get('maxlen');
  if (maxlenText !== null && !/^[1-9]\d{0,11}$/.test(maxlenText)) throw bad('maxlen must be a positive integer');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const connection: RedisOptions = {
    host,
    port: url.port ? Number(url.port) : 6379,
    db: Number(dbText),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: /^[\d.:]+$/.test(host) ? {} : { servername: host } } : {}),
  };
  return { connection, stream, maxlen: maxlenText === null ? null : Number(maxlenText) };
}

export function create(url: URL, options: SinkOptions = {}): EventSink {
  const cfg = parseRedisSinkUrl(url);
  const name = sinkName(url);
  const timeout = timeoutOf(options);
  const secrets = secretsOf(url);
  const log = warnOnce(options, name);
  const reconnectCap = Math.min(1000, Math.max(50, Math.floor(timeout / 2)));
  let client: Promise<Redis> | null = null;
  let closed = false;

  function connection(): Promise<Redis> {
    client ??= import('ioredis').then(({ Redis }) => {
      const r = new Redis({
        ...cfg.connection,
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        commandTimeout: timeout,
        connectTimeout: timeout,
        // Reconnect for ever, at least every second (well within one send's timeout), so the
        // first send after Redis is back finds the connection ready or about to be.
        retryStrategy: (times) => Math.min(50 * 2 ** times, reconnectCap),
      });
      // Without a listener ioredis prints every failed reconnect to stderr; log the first of a kind.
      r.on('error', (e) => log.warn(reasonOf(e, secrets), 'event sink: Redis unreachable'));
      r.on('ready', () => log.reset());
      return r;
    });
    return client;
  }

  async function ready(): Promise<Redis> {
    const r = await connection();
    if (r.status === 'ready') return r;
    if (r.status === 'wait') r.connect().catch(() => {});
    // events.once rejects on the next 'error': a refused reconnect fails the batch at once.
    await within(once(r, 'ready'), timeout, `Redis not ready after ${timeout} ms`);
    return r;
  }

  async function send(batch: readonly CloudEvent[]): Promise<SinkResult> {
    if (closed) return failAll(batch, 'sink closed');
    if (batch.length === 0) return { delivered: [], failed: [] };
    try {
      const r = await ready();
      const pipeline = r.pipeline();
      for (const event of batch) {
        const body = JSON.stringify(event);
        if (cfg.maxlen === null) pipeline.xadd(cfg.stream, '*', 'event', body);
        else pipeline.xadd(cfg.stream, 'MAXLEN', '~', String(cfg.maxlen), '*', 'event', body);
      }
      const replies = await within(pipeline.exec(), timeout + 1000, `no reply from Redis within ${timeout} ms`);
      if (!replies) return failAll(batch, 'Redis pipeline returned no replies');
      const delivered: string[] = [];
      const failed: { id: string; reason: string }[] = [];
      batch.forEach((event, i) => {
        const [err, entryId] = replies[i] ?? [new Error('no reply')];
        if (err || typeof entryId !== 'string') failed.push({ id: event.id, reason: reasonOf(err ?? 'XADD returned no entry id', secrets) });
        else delivered.push(event.id);
      });
      if (failed[0]) log.warn(failed[0].reason, 'event sink: Redis refused XADD');
      return { delivered, failed };
    } catch (e) {
      const reason = reasonOf(e, secrets);
      log.warn(reason, 'event sink: Redis unreachable');
      return failAll(batch, reason);
    }
  }

  return {
    name,
    send,
    async ping() {
      const r = await ready();
      await r.ping();
    },
    async close() {
      closed = true;
      if (!client) return;
      const r = await client;
      if (r.status === 'ready') await within(r.quit(), timeout, 'quit timed out').catch(() => r.disconnect());
      else r.disconnect();
    },
  };
}

import type { Redis, RedisOptions } from 'ioredis';

export interface RedisConnectionOptions {
  readonly url: string;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  /** Transition log lines (connected, lost); never the URL's password. */
  readonly log?: (level: 'info' | 'warn', message: string) => void;
}

/** The shared Redis client of one process: rate limits and the replay cache use the same connection. */
export interface RedisConnection {
  readonly client: Redis;
  /** True while the connection is up and accepts commands. */
  ready(): boolean;
  /** Resolves once connected, or after `timeoutMs` (false): boot never waits longer on Redis. */
  waitReady(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Reconnect back-off: 50 ms doubling to 2 s, forever (a limiter in fallback keeps serving meanwhile). */
export function reconnectDelay(attempt: number): number {
  return Math.min(2000, 50 * 2 ** Math.min(6, Math.max(0, attempt - 1)));
}

/** Where the URL points, for logs: host, port and db, never user or password. */
export function redisTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname && u.pathname !== '/' ? u.pathname : ''}`;
  } catch {
    return 'redis';
  }
}

/**
 * Opens the Redis client (ioredis, loaded only when `redis.url` is set). Commands never queue
 * while the connection is down (`enableOfflineQueue: false`, no per-request retries): a call then
 * fails at once and its caller falls back, instead of a request hanging on an outage. Each command
 * has `commandTimeoutMs`; reconnects back off to 2 s and go on until `close`.
 */
export async function openRedis(opts: RedisConnectionOptions): Promise<RedisConnection> {
  const { Redis: RedisClient } = await import('ioredis');
  const options: RedisOptions = {
    connectTimeout: opts.connectTimeoutMs,
    commandTimeout: opts.commandTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResubscribe: false,
    retryStrategy: reconnectDelay,
    // rediss:// turns TLS on (ioredis reads the scheme); the db number is the URL path.
  };
  const client = new RedisClient(opts.url, options);
  const target = redisTarget(opts.url);
  let up = false;
  client.on('ready', () => {
    if (!up) opts.log?.('info', `redis: connected to ${target}`);
    up = true;
  });
  client.on('close', () => {
    if (up) opts.log?.('warn', `redis: connection to ${target} lost; reconnecting`);
    up = false;
  });
  // Errors are reported through the transitions above and by the callers' fallbacks.
  client.on('error', () => {});
  let closed = false;
  return {
    client,
    ready: () => !closed && client.status === 'ready',
    waitReady(timeoutMs) {
      if (client.status === 'ready') return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (v: boolean) => {
          clearTimeout(timer);
          client.off('ready', onReady);
          resolve(v);
        };
        const onReady = () => done(true);
        const timer = setTimeout(() => done(false), timeoutMs);
        client.on('ready', onReady);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        if (client.status === 'ready') await client.quit();
        else client.disconnect();
      } catch {
        client.disconnect();
      }
    },
  };
}

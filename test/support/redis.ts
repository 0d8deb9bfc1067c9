// Redis for tests: the shared service (127.0.0.1:6379, GATEHOUSE_TEST_REDIS_URL overrides) with a
// random key prefix per run, and private throwaway redis-server instances for fault tests.
// Unreachable: the test skips with the reason printed, except in CI or with
// GATEHOUSE_TEST_REQUIRE_BACKENDS=1, where it fails (S14), as test/support/databases.ts does.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { backendRequired } from './databases.ts';
import { freePort } from './free-port.ts';

export function testRedisUrl(): string {
  return process.env.GATEHOUSE_TEST_REDIS_URL || 'redis://127.0.0.1:6379/0';
}

/** A key prefix no other run uses: `gh-test-<random>:`. */
export function testKeyPrefix(): string {
  return `gh-test-${randomBytes(5).toString('hex')}:`;
}

/** Connects to the shared Redis; returns the client, or why the test must skip. */
export async function sharedRedis(): Promise<{ readonly client: Redis } | { readonly skip: string }> {
  const client = new Redis(testRedisUrl(), { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return { client };
  } catch (e) {
    client.disconnect();
    const reason = `Redis not reachable at ${testRedisUrl()}: ${(e as Error).message}`;
    if (backendRequired()) throw new Error(`${reason} (required: CI=true or GATEHOUSE_TEST_REQUIRE_BACKENDS=1)`);
    return { skip: reason };
  }
}

/** Deletes every key under `prefix` (cleanup after a run). */
export async function deletePrefix(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await client.del(...keys);
  } while (cursor !== '0');
}

/** A throwaway redis-server on a free port (no persistence); `stop` and `start` again on the same port. */
export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function privateRedis(): Promise<PrivateRedis | { readonly skip: string }> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const url = `redis://127.0.0.1:${port}/0`;
  const ping = async () => {
    const c = new Redis(url, { lazyConnect: true, connectTimeout: 300, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => {});
    try {
      await c.connect();
      await c.ping();
      return true;
    } catch {
      return false;
    } finally {
      c.disconnect();
    }
  };
  const r: PrivateRedis = {
    url,
    port,
    async start() {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      const spawned = child;
      const failed = new Promise<Error>((resolve) => spawned.once('error', resolve));
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        const err = await Promise.race([failed, new Promise<null>((res) => setTimeout(() => res(null), 50))]);
        if (err) throw err;
        if (await ping()) return;
      }
      throw new Error(`redis-server on port ${port} did not start`);
    },
    async stop() {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGKILL');
      });
    },
  };
  try {
    await r.start();
    return r;
  } catch (e) {
    await r.stop();
    const reason = `cannot start a private redis-server: ${(e as Error).message}`;
    if (backendRequired()) throw new Error(reason);
    return { skip: reason };
  }
}

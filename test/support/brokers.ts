// Message brokers for tests: the shared services on this machine (Redis, RabbitMQ, NATS with
// JetStream) and PRIVATE throwaway instances on free ports for outage tests, so a test that stops
// a broker never touches the shared one. When a shared broker is unreachable the test skips with
// the reason printed, except in CI or with GATEHOUSE_TEST_REQUIRE_BACKENDS=1, where it fails (S14).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendRequired } from './databases.ts';
import { freePort } from './free-port.ts';
export { freePort };

export type BrokerKind = 'redis' | 'rabbitmq' | 'nats';

const DEFAULT_URL: Record<BrokerKind, string> = {
  redis: 'redis://127.0.0.1:6379/0',
  rabbitmq: 'amqp://guest:guest@127.0.0.1:5672/',
  nats: 'nats://127.0.0.1:4222',
};
const ENV: Record<BrokerKind, string> = {
  redis: 'GATEHOUSE_TEST_REDIS_URL',
  rabbitmq: 'GATEHOUSE_TEST_AMQP_URL',
  nats: 'GATEHOUSE_TEST_NATS_URL',
};
const LABEL: Record<BrokerKind, string> = { redis: 'Redis', rabbitmq: 'RabbitMQ', nats: 'NATS' };

/** The shared broker's URL (GATEHOUSE_TEST_REDIS_URL / _AMQP_URL / _NATS_URL override). */
export function brokerUrl(kind: BrokerKind): URL {
  return new URL(process.env[ENV[kind]] || DEFAULT_URL[kind]);
}

/** Null when the shared broker accepts TCP connections; otherwise why the test skips (or throws in CI). */
export async function brokerSkipReason(kind: BrokerKind): Promise<string | null> {
  const url = brokerUrl(kind);
  const port = Number(url.port) || { redis: 6379, rabbitmq: 5672, nats: 4222 }[kind];
  try {
    await tcpProbe(url.hostname, port, 2000);
    return null;
  } catch (e) {
    const reason = `${LABEL[kind]} not reachable at ${url.hostname}:${port}: ${(e as Error).message}`;
    if (backendRequired()) throw new Error(`${reason} (required: CI=true or GATEHOUSE_TEST_REQUIRE_BACKENDS=1)`);
    return reason;
  }
}

function tcpProbe(host: string, port: number, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${ms} ms`)), ms);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      resolve();
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** A TCP port nothing listens on right now (bound and released by the OS). */

/** A broker process of our own: stop() kills it (SIGKILL, like a crash), start() brings it back on the same port. */
export interface PrivateBroker {
  readonly port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops the process and removes its data directory; safe to call twice. */
  dispose(): Promise<void>;
}

const BINARIES = { redis: 'redis-server', nats: 'nats-server' } as const;

/**
 * Starts a private redis-server (no persistence) or nats-server (JetStream, file store in a temp
 * directory that survives a restart) on a free port; null when the binary is missing (the caller skips).
 */
export async function startPrivateBroker(kind: 'redis' | 'nats', extraArgs: readonly string[] = []): Promise<PrivateBroker | { skip: string }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `gh-${kind}-`));
  const args = [
    ...(kind === 'redis'
      ? ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', dir]
      : ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir]),
    ...extraArgs,
  ];
  let child: ChildProcess | null = null;
  const broker: PrivateBroker = {
    port,
    async start() {
      if (child) return;
      const c = spawn(BINARIES[kind], args, { stdio: 'ignore' });
      child = c;
      const spawnError = new Promise<never>((_, reject) => c.once('error', reject));
      const deadline = Date.now() + 10_000;
      for (;;) {
        try {
          await Promise.race([tcpProbe('127.0.0.1', port, 500), spawnError]);
          return;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT' || Date.now() > deadline || c.exitCode !== null) {
            child = null;
            c.kill('SIGKILL');
            throw new Error(`${BINARIES[kind]} did not start on port ${port}: ${(e as Error).message}`);
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    },
    async stop() {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
    },
    async dispose() {
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await broker.start();
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    const reason = `private ${kind} broker unavailable: ${(e as Error).message}`;
    if (backendRequired()) throw new Error(reason);
    return { skip: reason };
  }
  return broker;
}

/**
 * Fault: the event broker stopped and restarted (issue #10, fault tests). Gatehouse streams
 * `token.issued` to a private redis-server as a Redis Streams sink
 * (`redis://127.0.0.1:P/0?stream=…`). Tokens are issued before, during and after a Redis outage
 * (SIGKILL, no persistence: the stream written before the kill is gone with it, so the test
 * counts only what the broker holds at the end, read with XRANGE):
 * - every token issued while Redis was down has its event in the stream once Redis is back
 *   (the events waited in the outbox: at-least-once);
 * - a consumer that de-duplicates by the CloudEvents `id` sees each of those events exactly once:
 *   a redelivered event carries the same id, and no token has two different event ids;
 * - the outbox drains.
 * The shared Redis on 6379 is never touched.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { Redis } from 'ioredis';
import { clientCredentials, discover } from '../support/oauth-client.ts';
import { privateRedis } from '../support/redis.ts';
import { createTestClient, startTestServer, type TestServer } from '../support/server.ts';

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface StreamedEvent {
  readonly id: string;
  readonly type: string;
  readonly data: { readonly jti: string };
}

async function readStream(url: string, stream: string): Promise<StreamedEvent[]> {
  const c = new Redis(url, { lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
  c.on('error', () => {});
  try {
    await c.connect();
    const entries = await c.xrange(stream, '-', '+');
    return entries.map(([, fields]) => JSON.parse(fields[fields.indexOf('event') + 1]!) as StreamedEvent);
  } catch {
    return [];
  } finally {
    c.disconnect();
  }
}

describe('fault: the event broker (Redis Streams, private redis-server) stopped and restarted', async () => {
  const r = await privateRedis();
  if ('skip' in r) {
    test('skipped', { skip: r.skip }, () => {});
    return;
  }
  let server: TestServer | undefined;
  after(async () => {
    await server?.close();
    await r.stop();
  });

  test('every token.issued event of the outage reaches the stream after the restart, each id once after de-duplication', async () => {
    const stream = `gh-test-fault-${randomBytes(5).toString('hex')}`;
    const sink = `${r.url}?stream=${stream}`;
    server = await startTestServer({
      events: {
        urls: [sink],
        types: ['token.issued'],
        retryBaseMs: 50,
        retryMaxMs: 300,
        pollIntervalMs: 50,
        sinks: { [sink]: { retries: 100, timeoutMs: 1000, batchSize: 7 } },
      },
    });
    const s = server;
    const client = await createTestClient(s.gh);
    const as = await discover(s.url);
    const issue = async (n: number) => {
      const jtis: string[] = [];
      for (let i = 0; i < n; i++) jtis.push(decodeJwt((await clientCredentials(as, client)).access_token).jti!);
      return jtis;
    };

    const before = await issue(5);
    await until('the first events in the stream', async () => (await readStream(r.url, stream)).length >= 5);

    await r.stop();
    const during = await issue(30);
    await until('delivery failures while the broker is down', async () => {
      const st = (await s.gh.services.storage.outbox.stats()).find((x) => x.sink === sink);
      return (st?.pending ?? 0) >= 30;
    });

    await r.start();
    const afterwards = await issue(5);
    const wanted = [...during, ...afterwards];
    let events: StreamedEvent[] = [];
    await until('every event of the outage in the stream', async () => {
      events = await readStream(r.url, stream);
      const seen = new Set(events.map((e) => e.data.jti));
      return wanted.every((j) => seen.has(j));
    });
    await until('the outbox drained', async () => (await s.gh.services.storage.outbox.stats()).length === 0);
    events = await readStream(r.url, stream);

    // The consumer de-duplicates by CloudEvents id.
    const byId = new Map<string, StreamedEvent>();
    for (const e of events) {
      const prev = byId.get(e.id);
      if (prev) assert.deepEqual(e, prev, 'a redelivered event is the same event');
      byId.set(e.id, e);
    }
    const idsByJti = new Map<string, string[]>();
    for (const e of byId.values()) {
      assert.equal(e.type, 'gatehouse.token.issued');
      idsByJti.set(e.data.jti, [...(idsByJti.get(e.data.jti) ?? []), e.id]);
    }
    for (const jti of wanted) assert.equal(idsByJti.get(jti)?.length, 1, `token ${jti}: one event after de-duplication`);
    const known = new Set([...before, ...wanted]);
    for (const jti of idsByJti.keys()) assert.ok(known.has(jti), `an event for a token this test did not issue: ${jti}`);
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventBus, type EventMap } from '../core/events.ts';
import { systemClock } from '../core/ports/clock.ts';
import { MemoryOutboxStore } from '../storage/memory/memory-outbox-store.ts';
import { createOutboxWriter } from './outbox-writer.ts';
import { createRelay, type RelaySink } from './relay.ts';
import type { CloudEvent, EventSink, SinkResult } from './sink.ts';

const silent = () => {};

/** A sink whose answer per event the test decides; it records every event it was handed. */
function scriptedSink(answer: (e: CloudEvent, attempt: number) => 'ok' | 'fail' | 'permanent' = () => 'ok'): EventSink & { seen: CloudEvent[] } {
  const seen: CloudEvent[] = [];
  const tries = new Map<string, number>();
  return {
    name: 'test',
    seen,
    async send(batch): Promise<SinkResult> {
      const delivered: string[] = [];
      const failed: { id: string; reason: string; permanent?: boolean }[] = [];
      for (const e of batch) {
        seen.push(e);
        const n = (tries.get(e.id) ?? 0) + 1;
        tries.set(e.id, n);
        const a = answer(e, n);
        if (a === 'ok') delivered.push(e.id);
        else failed.push({ id: e.id, reason: a === 'permanent' ? 'http_400' : 'http_503', permanent: a === 'permanent' });
      }
      return { delivered, failed };
    },
    async close() {},
  };
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const issued = (i: number): EventMap['token.issued'] => ({
  tenantId: 'default',
  clientId: `c${i}`,
  grantType: 'client_credentials',
  tokenType: 'access_token',
  format: 'jwt',
  jti: `j${i}`,
  subject: `c${i}`,
});

function world(sinks: { key: string; sink: EventSink; retries?: number }[], busTypes: (keyof EventMap)[] = ['token.issued']) {
  const bus = new EventBus();
  const outbox = new MemoryOutboxStore();
  const routes = new Map(busTypes.map((t) => [t, sinks.map((s) => s.key)]));
  const writer = createOutboxWriter(
    { events: bus, outbox, clock: systemClock, source: 'https://id.example', routes, log: silent },
    { maxBuffered: 1000, batchSize: 50, flushIntervalMs: 5, rateWindowMs: 100 },
  );
  const relaySinks: RelaySink[] = sinks.map((s) => ({ key: s.key, sink: s.sink, retries: s.retries ?? 3, timeoutMs: 1000, batchSize: 10 }));
  const relay = (owner: string) =>
    createRelay({ outbox, events: bus, clock: systemClock, owner, log: silent, random: () => 0.5 }, relaySinks, {
      pollIntervalMs: 10,
      retryBaseMs: 10,
      retryMaxMs: 40,
    });
  return { bus, outbox, writer, relay };
}

test('at-least-once: every published event reaches every selecting sink once, in outbox order', async () => {
  const a = scriptedSink();
  const b = scriptedSink();
  const w = world([
    { key: 'a', sink: a },
    { key: 'b', sink: b },
  ]);
  const r = w.relay('r1');
  r.start();
  for (let i = 0; i < 35; i++) w.bus.publish('token.issued', issued(i));
  await w.writer.flush();
  await until('both sinks', () => a.seen.length === 35 && b.seen.length === 35);
  assert.deepEqual(
    a.seen.map((e) => e.subject),
    Array.from({ length: 35 }, (_, i) => `c${i}`),
  );
  assert.deepEqual(await w.outbox.stats(), []);
  await r.close();
});

test('types no sink selects are never written to the outbox', async () => {
  const w = world([{ key: 'a', sink: scriptedSink() }]);
  w.bus.publish('user.created', { tenantId: 'default', userId: 'u1', via: 'cli' });
  assert.equal(w.writer.buffered(), 0);
  w.bus.publish('token.issued', issued(1));
  assert.equal(w.writer.buffered(), 1);
  await w.writer.close();
});

test('failures are retried with back-off until delivered; out of retries or permanent: dead-lettered and event.dead_lettered published', async () => {
  const sink = scriptedSink((e, n) => (e.subject === 'c0' ? (n < 3 ? 'fail' : 'ok') : e.subject === 'c1' ? 'permanent' : 'fail'));
  const w = world([{ key: 'hook', sink, retries: 2 }]);
  const dead: EventMap['event.dead_lettered'][] = [];
  w.bus.on('event.dead_lettered', (d) => dead.push(d));
  const r = w.relay('r1');
  r.start();
  for (let i = 0; i < 3; i++) w.bus.publish('token.issued', issued(i));
  await w.writer.flush();
  await until('settled', async () => (await w.outbox.stats()).length === 0);
  const tries = (s: string) => sink.seen.filter((e) => e.subject === s).length;
  assert.equal(tries('c0'), 3, 'delivered on the third attempt');
  assert.equal(tries('c1'), 1, 'a permanent failure is not retried');
  assert.equal(tries('c2'), 3, 'retries: 2 → three attempts, then dead');
  assert.deepEqual(dead.map((d) => [d.sink, d.attempts, d.reason, d.type]).sort(), [
    ['hook', 1, 'http_400', 'gatehouse.token.issued'],
    ['hook', 3, 'http_503', 'gatehouse.token.issued'],
  ]);
  await r.close();
});

test('a restart resends what was not acknowledged: a relay that died mid-send leaves its batch to the next after the lease', async () => {
  const never: EventSink = { name: 'hang', send: () => new Promise(() => {}), close: async () => {} };
  const w = world([{ key: 'k', sink: never }]);
  w.bus.publish('token.issued', issued(7));
  await w.writer.flush();
  // The first relay claims and "crashes" (its send never settles; it is abandoned, not closed).
  const claimed = await w.outbox.claim('k', 'crashed', Date.now(), 200, 10);
  assert.equal(claimed.length, 1);
  const good = scriptedSink();
  const w2 = createRelay(
    { outbox: w.outbox, events: w.bus, clock: systemClock, owner: 'restarted', log: silent },
    [{ key: 'k', sink: good, retries: 3, timeoutMs: 1000, batchSize: 10 }],
    {
      pollIntervalMs: 20,
      retryBaseMs: 10,
      retryMaxMs: 10,
    },
  );
  w2.start();
  await until('resent', () => good.seen.length === 1);
  assert.equal(good.seen[0]!.subject, 'c7');
  await w2.close();
});

test('two relays on one outbox never hand the same event to the sink twice', async () => {
  const sink = scriptedSink();
  const w = world([{ key: 'k', sink }]);
  const [r1, r2] = [w.relay('r1'), w.relay('r2')];
  r1.start();
  r2.start();
  for (let i = 0; i < 200; i++) w.bus.publish('token.issued', issued(i));
  await w.writer.flush();
  await until('all', () => sink.seen.length >= 200);
  await Promise.all([r1.close(), r2.close()]);
  assert.equal(new Set(sink.seen.map((e) => e.id)).size, 200);
  assert.equal(sink.seen.length, 200);
});

test('a send that outlives timeoutMs counts as failed (timeout) and is retried', async () => {
  let first = true;
  const slow: EventSink & { got: string[] } = {
    name: 'slow',
    got: [],
    async send(batch) {
      if (first) {
        first = false;
        await new Promise((r) => setTimeout(r, 300));
        return { delivered: [], failed: [] };
      }
      this.got.push(...batch.map((e) => e.id));
      return { delivered: batch.map((e) => e.id), failed: [] };
    },
    close: async () => {},
  };
  const w = world([]);
  const outbox = w.outbox;
  await outbox.append([
    { id: '0190-a', tenantId: 'default', type: 'gatehouse.token.issued', envelope: JSON.stringify({ id: '0190-a' }), createdAt: Date.now(), sinks: ['s'] },
  ]);
  const r = createRelay(
    { outbox, events: w.bus, clock: systemClock, owner: 'o', log: silent },
    [{ key: 's', sink: slow, retries: 3, timeoutMs: 50, batchSize: 10 }],
    {
      pollIntervalMs: 10,
      retryBaseMs: 10,
      retryMaxMs: 10,
    },
  );
  r.start();
  await until('redelivered', () => slow.got.length === 1);
  await r.close();
});

test('rate_limit.hit is aggregated: one outbox event per (policy, window) with the count', async () => {
  const sink = scriptedSink();
  const w = world([{ key: 'k', sink }], ['rate_limit.hit']);
  const r = w.relay('r1');
  r.start();
  for (let i = 0; i < 500; i++) w.bus.publish('rate_limit.hit', { tenantId: 'default', policy: 'token.ip', route: '/token', clientId: null });
  for (let i = 0; i < 3; i++) w.bus.publish('rate_limit.hit', { tenantId: 'default', policy: 'token.client', route: '/token', clientId: 'c1' });
  assert.equal(w.writer.buffered(), 0, 'nothing buffered per hit');
  await until('windows closed', () => sink.seen.length === 2, 3000);
  const byPolicy = Object.fromEntries(
    sink.seen.map((e) => [(e.data as { policy: string }).policy, e.data as { count: number; windowStart: number; windowEnd: number }]),
  );
  assert.equal(byPolicy['token.ip']!.count, 500);
  assert.equal(byPolicy['token.client']!.count, 3);
  assert.ok(byPolicy['token.ip']!.windowEnd > byPolicy['token.ip']!.windowStart);
  await r.close();
  await w.writer.close();
});

test('the buffer is bounded: past maxBuffered new events are dropped and counted, never awaited by the publisher', async () => {
  const bus = new EventBus();
  let release!: () => void;
  const stuck = new Promise<void>((r) => {
    release = r;
  });
  const appended: number[] = [];
  const writer = createOutboxWriter(
    {
      events: bus,
      outbox: {
        append: async (es) => {
          await stuck;
          appended.push(es.length);
        },
      },
      clock: systemClock,
      source: 'https://id.example',
      routes: new Map([['token.issued', ['k']]]),
      log: silent,
    },
    { maxBuffered: 100, batchSize: 10, flushIntervalMs: 1, rateWindowMs: 1000 },
  );
  for (let i = 0; i < 150; i++) bus.publish('token.issued', issued(i));
  assert.equal(writer.buffered(), 100);
  assert.equal(writer.dropped(), 50);
  release();
  await writer.close();
  assert.equal(
    appended.reduce((a, b) => a + b, 0),
    100,
    'close writes everything that was buffered',
  );
});

test('a store outage: the writer keeps events buffered, retries the append, and writes each once when the store is back', async () => {
  const bus = new EventBus();
  const store = new MemoryOutboxStore();
  let failures = 3;
  const logs: string[] = [];
  const writer = createOutboxWriter(
    {
      events: bus,
      outbox: {
        append: async (es) => {
          if (failures-- > 0) throw new Error('store unreachable');
          await store.append(es);
        },
      },
      clock: systemClock,
      source: 'https://id.example',
      routes: new Map([['token.issued', ['k']]]),
      log: (_l, m) => logs.push(m),
    },
    { maxBuffered: 1000, batchSize: 10, flushIntervalMs: 5, rateWindowMs: 1000 },
  );
  for (let i = 0; i < 25; i++) bus.publish('token.issued', issued(i));
  await until('written', () => writer.buffered() === 0);
  const claimed = await store.claim('k', 'r', Date.now() + 1000, 1000, 100);
  assert.equal(claimed.length, 25);
  assert.equal(logs.filter((l) => l.includes('append failed')).length, 1, 'one log line per outage, not per retry');
  await writer.close();
});

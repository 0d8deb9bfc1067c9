// EventSink contract (src/events/sink.ts), run against every broker sink with the real service (S14):
// what the outbox relay relies on, checked through an independent consumer of the broker.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { CloudEvent as ReferenceCloudEvent } from 'cloudevents';
import type { SinkOptions } from '../../src/events/sinks/options.ts';
import type { CloudEvent, EventSink } from '../../src/events/sink.ts';
import { freePort } from '../support/brokers.ts';

/** One message as an independent consumer of the broker sees it. */
export interface Received {
  readonly body: string;
  /** The broker's own message id (AMQP message-id, Nats-Msg-Id); null where the broker has none (Redis Streams). */
  readonly messageId: string | null;
  /** Routing key / subject / stream the message arrived on. */
  readonly route: string;
}

/** A fresh, randomly named destination on the real broker plus a consumer bound to it before any send. */
export interface SinkFixture {
  readonly url: URL;
  /** Waits (with a deadline) until `n` messages arrived and returns all received so far, in broker order. */
  receive(n: number): Promise<readonly Received[]>;
  /** Makes the broker refuse every event after the next `n` (nack / stream limit); absent where the broker cannot. */
  acceptOnly?(n: number): Promise<void>;
  /** The route an event of this type must arrive on. */
  routeOf(type: string): string;
  cleanup(): Promise<void>;
}

export interface SinkHarness {
  readonly label: string;
  /**
   * Where per-entry refusals are proven instead, when the shared broker cannot be made to refuse
   * one entry of a batch (Redis: only a private instance with maxmemory can). The contract case is
   * then not registered for this harness, so a CI run has nothing skipped.
   */
  readonly perEntryRefusalProvenIn?: string;
  readonly create: (url: URL, options: SinkOptions) => EventSink;
  /** A fresh fixture, or why the test skips (already thrown in CI). */
  fixture(): Promise<SinkFixture | { skip: string }>;
  /** A URL of this scheme with credentials pointing at `port`, where nothing listens. */
  unreachable(port: number): URL;
}

let counter = 0;
export function sampleEvent(type = 'gatehouse.token.issued', data: unknown = { client_id: 'c1', grant_type: 'client_credentials' }): CloudEvent {
  counter++;
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: 'https://issuer.example.test',
    type,
    time: new Date(Date.UTC(2026, 11, 6, 4, 0, counter % 60)).toISOString(),
    datacontenttype: 'application/json',
    subject: `client-${counter}`,
    tenantid: 'default',
    data,
  };
}

export function eventSinkContract(h: SinkHarness): void {
  describe(`EventSink contract: ${h.label}`, () => {
    async function withSink(t: { skip(msg: string): void }, run: (sink: EventSink, f: SinkFixture) => Promise<void>): Promise<void> {
      const f = await h.fixture();
      if ('skip' in f) return t.skip(f.skip);
      const sink = h.create(f.url, { timeoutMs: 3000 });
      try {
        await run(sink, f);
      } finally {
        await sink.close();
        await f.cleanup();
      }
    }

    test('#9 delivers a batch in order; an independent consumer reads each CloudEvents envelope intact, id as message id', async (t) => {
      await withSink(t, async (sink, f) => {
        const types = [
          'gatehouse.token.issued',
          'gatehouse.client.created',
          'gatehouse.refresh_token.reuse_detected',
          'gatehouse.token.issued',
          'gatehouse.key.rotated',
        ];
        const batch = types.map((type, i) => sampleEvent(type, { n: i, text: 'ünïcode ✓', nested: { ok: true } }));
        const result = await sink.send(batch);
        assert.deepEqual(result, { delivered: batch.map((e) => e.id), failed: [] });
        const got = await f.receive(batch.length);
        assert.equal(got.length, batch.length, 'exactly one message per event');
        got.forEach((m, i) => {
          const sent = batch[i] as CloudEvent;
          const parsed = JSON.parse(m.body);
          assert.deepEqual(parsed, sent, 'envelope intact and in order');
          assert.equal(m.route, f.routeOf(sent.type));
          if (m.messageId !== null) assert.equal(m.messageId, sent.id, 'the event id is the broker message id');
          // An independent CloudEvents 1.0 implementation accepts the envelope as it arrived.
          assert.equal(new ReferenceCloudEvent(JSON.parse(m.body), true).validate(), true);
        });
      });
    });

    test('#9 a resend of delivered events (at-least-once after a relay crash) is accepted again, ids unchanged', async (t) => {
      await withSink(t, async (sink, f) => {
        const batch = [sampleEvent(), sampleEvent('gatehouse.user.created')];
        assert.deepEqual(
          (await sink.send(batch)).delivered,
          batch.map((e) => e.id),
        );
        assert.deepEqual(await sink.send(batch), { delivered: batch.map((e) => e.id), failed: [] });
        const got = await f.receive(2);
        assert.deepEqual(
          got.slice(0, 2).map((m) => JSON.parse(m.body).id),
          batch.map((e) => e.id),
        );
        for (const m of got)
          assert.ok(
            batch.some((e) => e.id === JSON.parse(m.body).id),
            'only these ids arrive, possibly twice',
          );
      });
    });

    if (!h.perEntryRefusalProvenIn)
      test('#9 per-event results: only events the broker acknowledged are delivered, the refused ones fail with a reason', async (t) => {
        await withSink(t, async (sink, f) => {
          assert.ok(f.acceptOnly, `${h.label}: the fixture must be able to refuse entries (or name where that is proven)`);
          await f.acceptOnly(2);
          const batch = [sampleEvent(), sampleEvent(), sampleEvent(), sampleEvent()];
          const result = await sink.send(batch);
          assert.deepEqual(
            result.delivered,
            batch.slice(0, 2).map((e) => e.id),
          );
          assert.deepEqual(
            result.failed.map((x) => x.id),
            batch.slice(2).map((e) => e.id),
          );
          for (const x of result.failed) assert.ok(x.reason.length > 0 && x.permanent !== true, `retryable reason: ${x.reason}`);
          const got = await f.receive(2);
          for (const e of batch.slice(0, 2))
            assert.ok(
              got.some((m) => JSON.parse(m.body).id === e.id),
              `${e.id} arrived`,
            );
        });
      });

    test('#9 ping answers while the broker is up; send after close fails every event without throwing', async (t) => {
      await withSink(t, async (sink) => {
        await sink.ping?.();
        await sink.close();
        const batch = [sampleEvent()];
        const result = await sink.send(batch);
        assert.deepEqual(result.delivered, []);
        assert.deepEqual(
          result.failed.map((x) => x.id),
          batch.map((e) => e.id),
        );
      });
    });

    test('#9 an unreachable broker yields failed results quickly, never a throw; name and reasons carry no credentials', async () => {
      const port = await freePort();
      const url = h.unreachable(port);
      assert.ok(url.password, 'the test URL carries a password');
      const warnings: string[] = [];
      const sink = h.create(url, { timeoutMs: 1500, logger: { warn: (obj, msg) => warnings.push(`${msg} ${JSON.stringify(obj)}`) } });
      try {
        assert.ok(!sink.name.includes(url.password) && !sink.name.includes(url.username) && !sink.name.includes('@'), sink.name);
        const batch = [sampleEvent(), sampleEvent()];
        const started = Date.now();
        const result = await sink.send(batch);
        assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
        assert.deepEqual(result.delivered, []);
        assert.deepEqual(
          result.failed.map((x) => x.id),
          batch.map((e) => e.id),
        );
        await assert.rejects(async () => sink.ping?.() ?? Promise.reject(new Error('no ping')));
        const text = JSON.stringify(result) + warnings.join('\n');
        assert.ok(!text.includes(url.password) && !text.includes(url.username), text);
        assert.ok(warnings.length >= 1, 'the outage is logged');
      } finally {
        await sink.close();
      }
    });
  });
}

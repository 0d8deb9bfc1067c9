import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveSinks } from '../config/event-sinks.ts';
import { configSchema } from '../config/schema.ts';
import { EventBus } from '../core/events.ts';
import { systemClock } from '../core/ports/clock.ts';
import { MemoryOutboxStore } from '../storage/memory/memory-outbox-store.ts';
import type { CloudEvent } from './sink.ts';
import { createEventStreaming } from './streaming.ts';

test('retention: the maintenance purge deletes delivered events older than events.retention, and keeps pending ones', async () => {
  const config = configSchema.parse({
    issuer: 'https://id.example',
    events: { urls: ['log:'], types: ['user.*'], retention: 0, pollIntervalMs: 10, flushIntervalMs: 1 },
  });
  const events = new EventBus();
  const outbox = new MemoryOutboxStore();
  const streaming = createEventStreaming({ events, outbox, clock: systemClock, log: () => {} }, resolveSinks(config).specs, config);
  const seen: CloudEvent[] = [];
  await streaming.startRelay(async () => ({
    name: 'log:',
    async send(batch) {
      seen.push(...batch);
      return { delivered: batch.map((e) => e.id), failed: [] };
    },
    async close() {},
  }));
  events.publish('user.created', { tenantId: 'default', userId: 'u1', via: 'cli' });
  events.publish('client.created', { tenantId: 'default', clientId: 'c1', via: 'cli' }); // not selected
  await streaming.writer.flush();
  const deadline = Date.now() + 5000;
  while (seen.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(
    seen.map((e) => e.type),
    ['gatehouse.user.created'],
  );
  await new Promise((r) => setTimeout(r, 5));
  await outbox.append([{ id: 'pending-1', tenantId: 'default', type: 'gatehouse.user.created', envelope: '{}', createdAt: 0, sinks: ['other-sink'] }]);
  assert.equal(await streaming.purge(), 1, 'the delivered event is purged');
  assert.deepEqual(
    (await outbox.stats()).map((s) => s.sink),
    ['other-sink'],
    'a pending delivery is never purged',
  );
  await streaming.close();
});

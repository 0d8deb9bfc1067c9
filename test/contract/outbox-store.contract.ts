// OutboxStore contract (src/core/ports/outbox-store.ts), run against every adapter (S14).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { OutboxEntry } from '../../src/core/ports/outbox-store.ts';
import { uuidv7 } from '../../src/events/uuid7.ts';
import { all, newTenant, type GetHarness } from './harness.ts';

/** A sink name no other test uses (the database is shared by the tests of one file). */
const newSink = () => `test-sink-${randomUUID()}`;

function entries(n: number, sinks: string[], at = Date.now()): OutboxEntry[] {
  return Array.from({ length: n }, (_, i) => {
    const id = uuidv7(at + i);
    return { id, tenantId: 'default', type: 'gatehouse.token.issued', envelope: JSON.stringify({ id, n: i }), createdAt: at + i, sinks };
  });
}

export function outboxStoreContract(h: GetHarness): void {
  describe('OutboxStore', () => {
    test('an appended event is claimed once per sink, in id order, with its envelope and attempt count', async () => {
      const { storage } = h();
      const [a, b] = [newSink(), newSink()];
      const es = entries(5, [a, b]);
      await storage.outbox.append(es);
      const now = Date.now() + 10;
      const got = await storage.outbox.claim(a, 'r1', now, 30_000, 3);
      assert.deepEqual(
        got.map((g) => g.id),
        es.slice(0, 3).map((e) => e.id),
      );
      assert.equal(got[0]!.envelope, es[0]!.envelope);
      assert.equal(got[0]!.type, 'gatehouse.token.issued');
      assert.equal(got[0]!.attempts, 1);
      const rest = await storage.outbox.claim(a, 'r1', now, 30_000, 10);
      assert.deepEqual(
        rest.map((g) => g.id),
        es.slice(3).map((e) => e.id),
      );
      assert.equal((await storage.outbox.claim(a, 'r1', now, 30_000, 10)).length, 0, 'leased deliveries are not claimed again');
      assert.equal((await storage.outbox.claim(b, 'r1', now, 30_000, 10)).length, 5, 'each sink has its own deliveries');
    });

    test('append is idempotent by event id', async () => {
      const { storage } = h();
      const s = newSink();
      const es = entries(3, [s]);
      await storage.outbox.append(es);
      await storage.outbox.append(es);
      assert.equal((await storage.outbox.claim(s, 'r1', Date.now() + 10, 30_000, 10)).length, 3);
    });

    test('S4 claim: relays racing on two instances never claim the same delivery twice', async () => {
      const { storage, peer } = h();
      const s = newSink();
      const es = entries(40, [s]);
      await storage.outbox.append(es);
      const now = Date.now() + 100;
      const batches = await all(Array.from({ length: 8 }, (_, i) => (i % 2 ? peer : storage).outbox.claim(s, `r${i}`, now, 30_000, 7)));
      const ids = batches.flat().map((d) => d.id);
      assert.equal(new Set(ids).size, ids.length, 'no delivery claimed twice');
      const more = await storage.outbox.claim(s, 'late', now, 30_000, 100);
      assert.equal(ids.length + more.length, 40, 'every delivery claimed exactly once in all');
    });

    test('a crashed relay: its lease expires and the delivery is claimed again with the attempt counted', async () => {
      const { storage } = h();
      const s = newSink();
      const [e] = entries(1, [s]);
      await storage.outbox.append([e!]);
      const t0 = Date.now() + 10;
      assert.equal((await storage.outbox.claim(s, 'crashed', t0, 5_000, 10)).length, 1);
      assert.equal((await storage.outbox.claim(s, 'other', t0 + 4_999, 5_000, 10)).length, 0, 'lease still held');
      const again = await storage.outbox.claim(s, 'other', t0 + 5_000, 5_000, 10);
      assert.deepEqual(
        again.map((d) => [d.id, d.attempts]),
        [[e!.id, 2]],
      );
      // The crashed relay comes back and reports a failure: it no longer holds the lease, so nothing changes.
      await storage.outbox.settle(s, 'crashed', t0 + 5_001, { delivered: [], retry: [{ id: e!.id, nextAttemptAt: t0 + 1e9, error: 'x' }], dead: [] });
      await storage.outbox.settle(s, 'other', t0 + 5_002, { delivered: [e!.id], retry: [], dead: [] });
      assert.equal((await storage.outbox.claim(s, 'third', t0 + 60_000, 5_000, 10)).length, 0, 'delivered is final');
    });

    test('settle: retry waits for nextAttemptAt, dead and delivered are never claimed again', async () => {
      const { storage } = h();
      const s = newSink();
      const [a, b, c] = entries(3, [s]);
      await storage.outbox.append([a!, b!, c!]);
      const t0 = Date.now() + 10;
      await storage.outbox.claim(s, 'r1', t0, 30_000, 10);
      await storage.outbox.settle(s, 'r1', t0, {
        delivered: [a!.id],
        retry: [{ id: b!.id, nextAttemptAt: t0 + 1_000, error: 'http_503' }],
        dead: [{ id: c!.id, error: 'http_400' }],
      });
      assert.equal((await storage.outbox.claim(s, 'r1', t0 + 999, 30_000, 10)).length, 0);
      const retried = await storage.outbox.claim(s, 'r1', t0 + 1_000, 30_000, 10);
      assert.deepEqual(
        retried.map((d) => [d.id, d.attempts]),
        [[b!.id, 2]],
      );
    });

    test('stats count pending deliveries per sink and report the oldest', async () => {
      const { storage } = h();
      const s = newSink();
      const at = Date.now() - 5_000;
      const es = entries(4, [s], at);
      await storage.outbox.append(es);
      const t0 = Date.now();
      await storage.outbox.claim(s, 'r1', t0, 30_000, 1);
      await storage.outbox.settle(s, 'r1', t0, { delivered: [es[0]!.id], retry: [], dead: [] });
      const mine = (await storage.outbox.stats()).find((x) => x.sink === s);
      assert.deepEqual(mine, { sink: s, pending: 3, oldestCreatedAt: at + 1 });
    });

    test('purgeSettled deletes settled deliveries before the cutoff and events left without any', async () => {
      const { storage } = h();
      const [s1, s2] = [newSink(), newSink()];
      const at = Date.now() - 60_000;
      const [a, b] = entries(2, [s1, s2], at);
      await storage.outbox.append([a!, b!]);
      const t0 = at + 10;
      for (const s of [s1, s2]) await storage.outbox.claim(s, 'r1', t0, 30_000, 10);
      await storage.outbox.settle(s1, 'r1', t0, { delivered: [a!.id, b!.id], retry: [], dead: [] });
      await storage.outbox.settle(s2, 'r1', t0, { delivered: [a!.id], retry: [], dead: [{ id: b!.id, error: 'x' }] });
      assert.equal(await storage.outbox.purgeSettled(t0), 0, 'settled at the cutoff: kept');
      assert.ok((await storage.outbox.purgeSettled(t0 + 1)) >= 2);
      await storage.outbox.append([a!]);
      assert.equal((await storage.outbox.claim(s1, 'r2', Date.now(), 30_000, 10)).length, 1, 'a purged id can be appended again (nothing left of it)');
    });

    test('an event pending for one sink survives the purge while another sink has delivered it', async () => {
      const { storage } = h();
      const [s1, s2] = [newSink(), newSink()];
      const at = Date.now() - 60_000;
      const [a] = entries(1, [s1, s2], at);
      await storage.outbox.append([a!]);
      await storage.outbox.claim(s1, 'r1', at + 10, 30_000, 10);
      await storage.outbox.settle(s1, 'r1', at + 10, { delivered: [a!.id], retry: [], dead: [] });
      await storage.outbox.purgeSettled(Date.now());
      const left = await storage.outbox.claim(s2, 'r1', Date.now(), 30_000, 10);
      assert.deepEqual(
        left.map((d) => d.envelope),
        [a!.envelope],
      );
    });

    test("recent lists a tenant's events newest first with every delivery state; deadLetters counts per sink", async () => {
      const { storage } = h();
      const tenant = newTenant();
      const [s1, s2] = [newSink(), newSink()].sort();
      const t0 = Date.now();
      const es = entries(3, [s1!, s2!], t0).map((e, i) => ({ ...e, tenantId: tenant, type: i === 1 ? 'gatehouse.client.created' : e.type }));
      await storage.outbox.append(es);
      const [a, b, c] = es;
      await storage.outbox.claim(s1!, 'r1', t0 + 10, 30_000, 10);
      await storage.outbox.settle(s1!, 'r1', t0 + 20, {
        delivered: [a!.id],
        retry: [{ id: b!.id, nextAttemptAt: t0 + 5_000, error: 'http_503' }],
        dead: [{ id: c!.id, error: 'http_400' }],
      });
      const page = await storage.outbox.recent(tenant, { limit: 2 });
      assert.deepEqual(
        page.map((e) => e.id),
        [c!.id, b!.id],
        'newest first, limited',
      );
      const [cs, bs] = page;
      assert.deepEqual(
        cs!.deliveries.map((d) => [d.sink, d.state, d.lastError]),
        [
          [s1, 'dead', 'http_400'],
          [s2, 'pending', null],
        ],
      );
      assert.equal(cs!.deliveries[0]!.settledAt, t0 + 20);
      assert.deepEqual(
        bs!.deliveries.map((d) => [d.state, d.attempts, d.nextAttemptAt]),
        [
          ['pending', 1, t0 + 5_000],
          ['pending', 0, 0],
        ],
      );
      assert.equal(cs!.envelope, c!.envelope);
      assert.deepEqual(
        (await storage.outbox.recent(tenant, { limit: 10, before: b!.id })).map((e) => e.id),
        [a!.id],
        'before continues strictly after',
      );
      assert.deepEqual(
        (await storage.outbox.recent(tenant, { limit: 10, type: 'gatehouse.client.created' })).map((e) => e.id),
        [b!.id],
      );
      assert.deepEqual(await storage.outbox.recent(newTenant(), { limit: 10 }), [], 'other tenants see nothing');
      const dead = await storage.outbox.deadLetters();
      assert.deepEqual(
        dead.filter((d) => d.sink === s1 || d.sink === s2),
        [{ sink: s1, dead: 1 }],
      );
    });
  });
}

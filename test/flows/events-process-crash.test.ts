/**
 * A process crash and event delivery (docs/events.md "Delivery guarantees"): `gatehouse serve` in a
 * child process on a SQLite file, a webhook receiver selecting `token.issued`, SIGKILL while
 * tokens are being issued and the receiver is failing. What the design guarantees, asserted as is:
 * - every event that reached the outbox before the kill arrives after the restart, including the
 *   batch whose lease the killed relay held (it expires and is claimed again);
 * - the only events lost are those still in the in-memory buffer, which is written in publication
 *   order: no token acknowledged before the newest event that reached the outbox lost its event
 *   (its event was published before the response, so before that newest one).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeJwt } from 'jose';
import { loadBetterSqlite3 } from '../../src/storage/sql/sqlite-driver.ts';
import { TEST_WEBHOOK_SECRET, webhookReceiver } from '../support/webhook-receiver.ts';
import { freePort } from '../support/free-port.ts';
import { serveChild } from '../support/serve-child.ts';

const FLUSH_MS = 200;

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('process crash: every event in the outbox at SIGKILL is delivered after the restart; only the unflushed buffer is lost', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gh-events-crash-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const rx = await webhookReceiver();
  t.after(() => rx.down());
  await rx.up();
  // The receiver takes the first 15 events, then fails: at the kill, the outbox holds delivered,
  // retrying and (for the batch in flight) leased deliveries.
  rx.answer = (n) => (n <= 15 ? 204 : 503);
  const port = await freePort();
  const base = `http://localhost:${port}`;
  await writeFile(
    join(dir, 'gatehouse.json'),
    JSON.stringify({
      // Not shed under a loaded test machine (a 503 here would be read as a lost event).
      resilience: { shed: { maxEventLoopDelayMs: 0 } },
      events: {
        urls: [rx.url],
        types: ['token.issued'],
        flushIntervalMs: FLUSH_MS,
        retryBaseMs: 50,
        retryMaxMs: 200,
        pollIntervalMs: 50,
        sinks: { [rx.url]: { secret: TEST_WEBHOOK_SECRET, timeoutMs: 500, retries: 100, batchSize: 5 } },
      },
    }),
  );

  const first = serveChild(dir, port);
  t.after(() => first.child.kill('SIGKILL'));
  await until('first start', () => first.out().includes('gatehouse ready')).catch((e: Error) => {
    throw new Error(`${e.message}: ${first.out()}`);
  });
  const id = /client_id:\s+(\S+)/.exec(first.out())![1]!;
  const secret = /client_secret:\s+(\S+)/.exec(first.out())![1]!;
  const auth = `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

  // Four clients issue tokens until the process dies; each acknowledged token is recorded with its time.
  const acked = new Map<string, number>();
  let killedAt = 0;
  const issue = async () => {
    for (;;) {
      let res: Response;
      try {
        res = await fetch(`${base}/token`, {
          method: 'POST',
          headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=client_credentials',
        });
      } catch {
        return; // the process is gone
      }
      if (res.status !== 200) return;
      const { access_token } = (await res.json()) as { access_token: string };
      acked.set(decodeJwt(access_token).jti!, Date.now());
    }
  };
  const clients = Array.from({ length: 4 }, issue);
  await until('tokens issued while the receiver fails', () => acked.size >= 120 && rx.raw.length >= 15);
  killedAt = Date.now();
  first.child.kill('SIGKILL');
  await first.exited;
  await Promise.all(clients);

  // What reached the outbox before the kill, read from the file the dead process left.
  const Sqlite = await loadBetterSqlite3();
  const db = new Sqlite(join(dir, 'data', 'gatehouse.db'));
  const rows = db.prepare('select id, envelope, created_at from outbox_events').all() as { id: string; envelope: string; created_at: number }[];
  const states = db.prepare('select state, count(*) as n from outbox_deliveries group by state').all() as { state: string; n: number }[];
  db.close();
  const inOutbox = new Map(rows.map((r) => [r.id, (JSON.parse(r.envelope) as { data: { jti: string } }).data.jti]));
  const newestFlushed = Math.max(...rows.map((r) => Number(r.created_at)));
  assert.ok(
    states.some((s) => s.state === 'pending'),
    `pending deliveries at the kill: ${JSON.stringify(states)}`,
  );

  rx.answer = () => 204;
  const second = serveChild(dir, port);
  t.after(() => second.child.kill('SIGKILL'));
  await until('restart', () => second.out().includes('gatehouse ready'));
  // A batch the killed relay had claimed waits for its lease (2 × timeoutMs + 10 s) to run out.
  await until('every outboxed event delivered after the restart', () => [...inOutbox.keys()].every((i) => rx.unique.has(i)));
  second.child.kill('SIGTERM');
  await second.exited;

  assert.equal(rx.badSignatures(), 0);
  const received = new Set([...rx.unique.values()].map((e) => e.data.jti as string));
  for (const jti of received) assert.ok(acked.has(jti) || [...inOutbox.values()].includes(jti), `received an event for an unknown token ${jti}`);
  const lost = [...acked].filter(([jti]) => !received.has(jti));
  const early = lost.filter(([, at]) => at < newestFlushed);
  t.diagnostic(
    `acknowledged ${acked.size}, in the outbox at the kill ${inOutbox.size}, received ${received.size}, lost in the buffer ${lost.length} (newest flush ${killedAt - newestFlushed} ms before the kill)`,
  );
  assert.deepEqual(early, [], 'a token acknowledged before the newest flushed event lost its event: the buffer is not written in order');
});

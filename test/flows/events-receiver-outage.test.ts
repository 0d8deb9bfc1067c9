/**
 * Event streaming over the wire (docs/events.md "Delivery guarantees"): a webhook receiver that
 * is down while tokens are issued gets every `token.issued` event once it comes back, each id once
 * after de-duplication, every signature verified with the Standard Webhooks reference library.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJwt } from 'jose';
import { clientCredentials, discover } from '../support/oauth-client.ts';
import { createTestClient, startTestServer } from '../support/server.ts';
import { TEST_WEBHOOK_SECRET, webhookReceiver } from '../support/webhook-receiver.ts';

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('receiver outage: events stay in the outbox while the webhook is down and each arrives once it is back', async (t) => {
  const rx = await webhookReceiver();
  t.after(() => rx.down());
  const { url, gh, close } = await startTestServer({
    events: {
      urls: [rx.url],
      types: ['token.issued'],
      retryBaseMs: 50,
      retryMaxMs: 300,
      pollIntervalMs: 50,
      sinks: { [rx.url]: { secret: TEST_WEBHOOK_SECRET, retries: 100, timeoutMs: 2000, batchSize: 7 } },
    },
    // The receiver's origin gets its own outbound circuit breaker (docs/operations.md): while the
    // receiver is down it opens and sends fail fast; a short cool-down keeps this test brief.
    resilience: { outbound: { breaker: { halfOpenAfterMs: 200 } } },
  });
  t.after(close);
  const sink = rx.url;
  const client = await createTestClient(gh);
  const as = await discover(url);
  const jtis: string[] = [];
  for (let i = 0; i < 30; i++) jtis.push(decodeJwt((await clientCredentials(as, client)).access_token).jti!);

  // Receiver down: the relay fails, retries with back-off, and nothing leaves the outbox.
  await until('delivery failures while the receiver is down', async () => {
    const s = (await gh.services.storage.outbox.stats()).find((x) => x.sink === sink);
    const m = await (await fetch(`${url}/metrics`)).text();
    return s?.pending === 30 && /gatehouse_events_delivery_failures_total\{sink="[^"]+"\} [1-9]/.test(m);
  });
  assert.equal(rx.raw.length, 0);

  // Back up, answering 503 to every third request for a while: more retries, still nothing lost.
  await rx.up();
  rx.answer = (n) => (n < 40 && n % 3 === 0 ? 503 : 204);
  await until('every event delivered', () => rx.unique.size === 30);
  await until('outbox drained', async () => (await gh.services.storage.outbox.stats()).length === 0);

  assert.equal(rx.badSignatures(), 0);
  const received = [...rx.unique.values()];
  assert.deepEqual(received.map((e) => e.data.jti).sort(), [...jtis].sort(), 'each issued token has its event');
  assert.ok(received.every((e) => e.type === 'gatehouse.token.issued'));
  assert.ok(rx.raw.length >= 30, 'duplicates are possible, losses are not');
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.match(metrics, /gatehouse_events_delivered_total\{sink="http:\/\/127\.0\.0\.1:\d+\/hooks\/gatehouse"\} 30/);
  // The depth gauge is counted in the store and reused for 5 s between scrapes.
  await until('the depth gauge at 0', async () => /gatehouse_outbox_pending\{sink="[^"]+"\} 0\n/.test(await (await fetch(`${url}/metrics`)).text()), 10_000);
});

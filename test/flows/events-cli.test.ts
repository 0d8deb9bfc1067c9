/**
 * Events of an operator command reach the outbox (docs/events.md): `gatehouse clients create` is
 * its own process with no relay; its `client.created` is written to the outbox before the command
 * exits, and a server delivers it later.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/types.ts';
import { createStorage } from '../../src/storage/create-storage.ts';

test('gatehouse clients create: its client.created envelope is in the outbox when the command returns, pending for every selecting sink', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gh-events-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const dbUrl = `sqlite:${join(dir, 'g.db')}`;
  const env = {
    GATEHOUSE_DATABASE_URL: dbUrl,
    GATEHOUSE_DATA_DIR: dir,
    GATEHOUSE_KEK: randomBytes(32).toString('base64'),
    GATEHOUSE_ISSUER: 'https://id.example.com',
    GATEHOUSE_EVENTS: 'log:',
    USER: 'ops',
  };
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (x) => out.push(x), err: (x) => err.push(x), readStdin: async () => '', env };
  const code = await main(['clients', 'create', '--name', 'Billing', '--grant-types', 'client_credentials', '--json'], io);
  assert.equal(code, 0, err.join('\n'));
  const clientId = (JSON.parse(out.join('\n')) as { client_id: string }).client_id;

  const store = await createStorage(dbUrl);
  t.after(() => store.close());
  const claimed = await store.outbox.claim('log:', 'test', Date.now() + 1000, 60_000, 100);
  const created = claimed.map((c) => JSON.parse(c.envelope) as Record<string, unknown>).filter((e) => e.type === 'gatehouse.client.created');
  assert.equal(created.length, 1, JSON.stringify(claimed.map((c) => c.type)));
  const e = created[0]!;
  assert.equal(e.subject, clientId);
  assert.equal(e.source, 'https://id.example.com');
  assert.deepEqual((e.data as { actor: unknown }).actor, { kind: 'cli', id: 'ops' });
});

test('S18 an operator action returns only once its event is in the outbox (no waiting for the flush interval)', async (t) => {
  const { startTestServer } = await import('../support/server.ts');
  const { OPERATOR } = await import('../support/app-world.ts');
  const { TEST_WEBHOOK_SECRET, webhookReceiver } = await import('../support/webhook-receiver.ts');
  // The receiver stays down, so the event stays pending where the test can see it; the flush
  // interval is far longer than the test: only the use case's own wait can have written it.
  const rx = await webhookReceiver();
  const { gh, close } = await startTestServer({
    events: { urls: [rx.url], types: ['client.*'], flushIntervalMs: 10_000, sinks: { [rx.url]: { secret: TEST_WEBHOOK_SECRET } } },
  });
  t.after(close);
  const r = JSON.stringify(await gh.services.application.clients.create(OPERATOR, { client_name: 'Billing', grant_types: ['client_credentials'] }));
  // The console's built-in client, provisioned at start (docs/console.md), has its own
  // client.created in the same flush; this test is about the operator's.
  const claimed = (await gh.services.storage.outbox.claim(rx.url, 'test', Date.now() + 60_000, 60_000, 10)).map(
    (c) => JSON.parse(c.envelope) as { type: string; subject: string },
  );
  const ours = claimed.filter((e) => e.subject !== 'gatehouse-console');
  assert.equal(ours.length, 1);
  assert.equal(ours[0]!.type, 'gatehouse.client.created');
  assert.ok(r.includes(ours[0]!.subject), 'the subject is the created client');
});

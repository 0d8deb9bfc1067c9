/**
 * S18 / #9 unit of work over the wire: an admin API mutation's event is in the outbox, with its
 * change and its audit record, when the 201 is sent. `gatehouse serve` runs in a child process
 * on a SQLite file; the webhook receiver refuses everything until the restart and the flush
 * interval is the longest allowed, so only the unit's own transaction can have written the
 * event. The process is SIGKILLed right after the 201; after the restart the event is delivered.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/types.ts';
import { loadBetterSqlite3 } from '../../src/storage/sql/sqlite-driver.ts';
import { freePort } from '../support/free-port.ts';
import { clientCredentials, discover } from '../support/oauth-client.ts';
import { serveChild } from '../support/serve-child.ts';
import { TEST_WEBHOOK_SECRET, webhookReceiver } from '../support/webhook-receiver.ts';

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('S18 an admin API mutation answered 201 keeps its change, event and audit record through SIGKILL; the event is delivered after the restart', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gh-admin-crash-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const rx = await webhookReceiver();
  t.after(() => rx.down());
  await rx.up();
  rx.answer = () => 503;
  const port = await freePort();
  const base = `http://localhost:${port}`;
  await writeFile(
    join(dir, 'gatehouse.json'),
    JSON.stringify({
      // Not shed under a loaded test machine.
      resilience: { shed: { maxEventLoopDelayMs: 0 } },
      events: {
        urls: [rx.url],
        types: ['client.created'],
        // A buffered event would wait this long: the kill comes well before.
        flushIntervalMs: 10_000,
        retryBaseMs: 50,
        retryMaxMs: 200,
        pollIntervalMs: 50,
        sinks: { [rx.url]: { secret: TEST_WEBHOOK_SECRET, timeoutMs: 500, retries: 100 } },
      },
    }),
  );

  const first = serveChild(dir, port);
  t.after(() => first.child.kill('SIGKILL'));
  await until('first start', () => first.out().includes('gatehouse ready')).catch((e: Error) => {
    throw new Error(`${e.message}: ${first.out()}`);
  });
  // The operator allows the admin scope to an automation client (`gatehouse clients create`).
  const out: string[] = [];
  const err: string[] = [];
  const env = { GATEHOUSE_DATA_DIR: join(dir, 'data'), GATEHOUSE_DATABASE_URL: `sqlite:${join(dir, 'data', 'gatehouse.db')}`, USER: 'ops' };
  const io: CliIo = { out: (x) => out.push(x), err: (x) => err.push(x), readStdin: async () => '', env };
  const code = await main(
    [
      'clients',
      'create',
      '--config',
      join(dir, 'gatehouse.json'),
      '--name',
      'automation',
      '--grant-types',
      'client_credentials',
      '--scope',
      'gatehouse:admin',
      '--json',
    ],
    io,
  );
  assert.equal(code, 0, err.join('\n'));
  const admin = JSON.parse(out.join('\n')) as { client_id: string; client_secret: string };
  const { access_token } = await clientCredentials(await discover(base), admin, { scope: 'gatehouse:admin' });

  const res = await fetch(`${base}/admin/api/v1/clients`, {
    method: 'POST',
    headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'billing', grant_types: ['client_credentials'] }),
  });
  assert.equal(res.status, 201);
  const clientId = ((await res.json()) as { client_id: string }).client_id;
  first.child.kill('SIGKILL');
  await first.exited;

  // What the dead process left in the file: the client, its event pending, its audit record.
  const Sqlite = await loadBetterSqlite3();
  const db = new Sqlite(join(dir, 'data', 'gatehouse.db'));
  const client = db.prepare('select client_id from clients where client_id = ?').get(clientId);
  const events = (db.prepare("select envelope from outbox_events where type = 'gatehouse.client.created'").all() as { envelope: string }[]).map(
    (r) => JSON.parse(r.envelope) as { subject: string; data: { via: string } },
  );
  const record = db.prepare("select outcome from audit_log where action = 'clients.create' and object_id = ?").get(clientId) as { outcome: string } | undefined;
  db.close();
  assert.ok(client, 'the client was kept');
  assert.deepEqual(
    events.filter((e) => e.subject === clientId).map((e) => e.data.via),
    ['admin'],
    'its client.created is in the outbox',
  );
  assert.equal(record?.outcome, 'success', 'its audit record was kept');
  assert.equal(rx.unique.size, 0, 'nothing was delivered before the kill');

  rx.answer = () => 204;
  const second = serveChild(dir, port);
  t.after(() => second.child.kill('SIGKILL'));
  await until('restart', () => second.out().includes('gatehouse ready'));
  await until('the event delivered after the restart', () =>
    [...rx.unique.values()].some((e) => e.type === 'gatehouse.client.created' && e.data['clientId'] === clientId),
  );
  second.child.kill('SIGTERM');
  await second.exited;
  assert.equal(rx.badSignatures(), 0);
});

/**
 * Issue #10: clients are cached per process on PostgreSQL and MariaDB (ClientCache), so client
 * authentication costs no round trip per request. Two instances (each its own composition root,
 * pool and cache) share one database:
 * - a change made on an instance applies there at once (explicit invalidation);
 * - a client disabled, deleted or given a new secret on one instance stops authenticating on the
 *   other within `database.clientCacheTtlMs` (docs/scaling.md), never later.
 * RFC 6749 §2.3.1 / §5.2: a client that cannot authenticate gets invalid_client (401).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabaseKind } from '../support/databases.ts';
import { createTestClient, startTestServer, type TestServer } from '../support/server.ts';

/** The staleness bound under test; short so the test is quick. */
const TTL_MS = 800;
/** Slack for a busy machine (requests, scheduling) on top of the bound; still far below "never". */
const SLACK_MS = 2500;

async function token(server: TestServer, id: string, secret: string): Promise<number> {
  const res = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  await res.arrayBuffer();
  return res.status;
}

/** Milliseconds until `server` refuses the credentials (401); fails past the bound plus slack. */
async function refusedWithin(server: TestServer, id: string, secret: string): Promise<number> {
  const start = performance.now();
  for (;;) {
    const status = await token(server, id, secret);
    const elapsed = performance.now() - start;
    if (status === 401) return elapsed;
    assert.equal(status, 200);
    assert.ok(elapsed <= TTL_MS + SLACK_MS, `still accepted ${Math.round(elapsed)} ms after the change (bound ${TTL_MS} ms)`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

for (const kind of ['postgres', 'mysql'] as const satisfies readonly TestDatabaseKind[]) {
  describe(`client cache across two instances on ${kind === 'postgres' ? 'PostgreSQL' : 'MariaDB'}`, async () => {
    const db = await createTestDatabase(kind);
    if ('skip' in db) {
      test('skipped', { skip: db.skip }, () => {});
      return;
    }
    after(() => db.drop());
    // One key-encryption key: the instances share the signing keys in the database.
    const config = { database: { url: db.url, poolSize: 4, clientCacheTtlMs: TTL_MS }, kek: randomBytes(32).toString('base64') };
    // One after the other: the first migrates the empty database.
    const a = await startTestServer(config);
    after(() => a.close());
    const b = await startTestServer(config);
    after(() => b.close());
    const via = 'admin' as const;

    test('RFC 6749 §5.2: a client disabled on one instance gets invalid_client at once there and within the TTL on the other', async (t) => {
      const { client_id, client_secret } = await createTestClient(a.gh);
      // Both instances now hold the client in their caches.
      assert.equal(await token(a, client_id, client_secret), 200);
      assert.equal(await token(b, client_id, client_secret), 200);
      await a.gh.services.clientService.setDisabled(client_id, true, via);
      // The instance that made the change dropped its entry: no stale window there at all.
      assert.equal(await token(a, client_id, client_secret), 401);
      const ms = await refusedWithin(b, client_id, client_secret);
      t.diagnostic(`the other instance refused ${Math.round(ms)} ms after the disable (TTL ${TTL_MS} ms)`);
      // Enabling again works on both within the same bound.
      await a.gh.services.clientService.setDisabled(client_id, false, via);
      assert.equal(await token(a, client_id, client_secret), 200);
    });

    test('RFC 6749 §5.2: a client disabled through the application layer (a unit of work, as the admin API and console do) is refused at once on the instance that did it', async () => {
      const { client_id, client_secret } = await createTestClient(a.gh);
      assert.equal(await token(a, client_id, client_secret), 200);
      await a.gh.services.application.run('clients.disable', { kind: 'cli', id: 'cache-test', roles: ['admin'] }, { client_id });
      assert.equal(await token(a, client_id, client_secret), 401, 'no stale window after the unit committed');
    });

    test('RFC 6749 §2.3.1: after a secret rotation on one instance the old secret stops working on the other within the TTL', async (t) => {
      const { client_id, client_secret } = await createTestClient(a.gh);
      assert.equal(await token(b, client_id, client_secret), 200);
      const rotated = await a.gh.services.clientService.rotateSecret(client_id, via);
      assert.equal(await token(a, client_id, client_secret), 401);
      const ms = await refusedWithin(b, client_id, client_secret);
      t.diagnostic(`old secret refused on the other instance after ${Math.round(ms)} ms`);
      assert.ok(rotated.clientSecret);
      assert.equal(await token(b, client_id, rotated.clientSecret!), 200);
    });

    test('RFC 6749 §5.2: a client deleted on one instance gets invalid_client on the other within the TTL', async (t) => {
      const { client_id, client_secret } = await createTestClient(a.gh);
      assert.equal(await token(b, client_id, client_secret), 200);
      assert.equal(await a.gh.services.clientService.delete(client_id, via), true);
      assert.equal(await token(a, client_id, client_secret), 401);
      const ms = await refusedWithin(b, client_id, client_secret);
      t.diagnostic(`deleted client refused on the other instance after ${Math.round(ms)} ms`);
    });
  });
}

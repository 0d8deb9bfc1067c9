/**
 * Fault (issue #10): `gatehouse serve` SIGKILLed while 32 concurrent clients take opaque access
 * tokens, on PostgreSQL and on MariaDB, where the token inserts are group-committed (one
 * multi-row INSERT per event-loop turn). A response is sent only after its batch committed, so
 * every token whose 200 response a client received introspects active once `serve` runs again
 * on the same database: no lost tokens on a crash. (test/faults/instance-sigkill.test.ts covers
 * the outbox on a private PostgreSQL with four clients.)
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabaseKind } from '../support/databases.ts';
import { freePort } from '../support/free-port.ts';
import { serveChild, type ServeChild } from '../support/serve-child.ts';

const CONCURRENCY = 32;
const ACKED_BEFORE_KILL = 400;

async function until(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function ready(s: ServeChild): Promise<void> {
  await until('serve ready', () => {
    if (s.child.exitCode !== null) throw new Error(`serve exited: ${s.out()}`);
    return s.out().includes('gatehouse ready');
  });
}

for (const kind of ['postgres', 'mysql'] as const satisfies readonly TestDatabaseKind[]) {
  describe(`fault: serve SIGKILLed under concurrent opaque issuance on ${kind === 'postgres' ? 'PostgreSQL' : 'MariaDB'} (group commit)`, async () => {
    const db = await createTestDatabase(kind);
    if ('skip' in db) {
      test('skipped', { skip: db.skip }, () => {});
      return;
    }
    after(() => db.drop());

    test('every opaque token whose response was received introspects active after the restart', async (t) => {
      const dir = await mkdtemp(join(tmpdir(), 'gh-fault-batch-'));
      t.after(() => rm(dir, { recursive: true, force: true }));
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      await writeFile(
        join(dir, 'gatehouse.json'),
        JSON.stringify({
          issuer: base,
          database: { url: db.url, poolSize: 8 },
          kek: randomBytes(32).toString('base64'),
          tokens: { accessTokenFormat: 'opaque' },
          resilience: { shed: { maxEventLoopDelayMs: 0 } },
          rateLimits: { token: { perAddress: 1_000_000, perClient: 1_000_000 }, introspection: { perAddress: 1_000_000, perClient: 1_000_000 } },
        }),
      );
      const first = serveChild(dir, port);
      t.after(() => first.child.kill('SIGKILL'));
      await ready(first);
      const id = /client_id:\s+(\S+)/.exec(first.out())![1]!;
      const secret = /client_secret:\s+(\S+)/.exec(first.out())![1]!;
      const auth = `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

      const acked: string[] = [];
      const statuses = new Map<number, number>();
      const issue = async () => {
        for (;;) {
          let body: { access_token: string };
          try {
            const res = await fetch(`${base}/token`, {
              method: 'POST',
              headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
              body: 'grant_type=client_credentials',
            });
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            if (res.status !== 200) return;
            body = (await res.json()) as { access_token: string };
          } catch {
            return; // the process is gone (or died mid-body: not acknowledged)
          }
          acked.push(body.access_token);
        }
      };
      const clients = Array.from({ length: CONCURRENCY }, issue);
      await until('tokens issued under load', () => acked.length >= ACKED_BEFORE_KILL);
      // Right after responses: batches are in flight at this moment.
      first.child.kill('SIGKILL');
      await first.exited;
      await Promise.all(clients);
      assert.deepEqual([...statuses.keys()], [200], `only 200s before the kill: ${JSON.stringify(Object.fromEntries(statuses))}`);

      const second = serveChild(dir, port);
      t.after(() => second.child.kill('SIGKILL'));
      await ready(second);
      const inactive: string[] = [];
      for (const token of acked) {
        const res = await fetch(`${base}/introspect`, {
          method: 'POST',
          headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ token }),
        });
        assert.equal(res.status, 200);
        if (!((await res.json()) as { active: boolean }).active) inactive.push(token.slice(0, 12));
      }
      assert.deepEqual(inactive, [], `of ${acked.length} acknowledged tokens these are gone after the crash`);
      t.diagnostic(`${acked.length} tokens acknowledged before the kill, all active after the restart`);
      second.child.kill('SIGTERM');
      await second.exited;
    });
  });
}

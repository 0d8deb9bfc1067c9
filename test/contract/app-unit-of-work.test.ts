// S18 / #9 through the application layer on every backend: a mutation's change, its outbox event
// and its audit record commit together; a failure inside the unit keeps none of them and the
// failure is recorded in a transaction of its own. Memory has no rollback (documented): only the
// commit half runs there.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { verifyAuditChain } from '../../src/core/audit/verify-chain.ts';
import { DEFAULT_TENANT } from '../../src/core/model/tenant.ts';
import type { PasswordHasher } from '../../src/core/ports/password-hasher.ts';
import type { Storage } from '../../src/core/ports/storage.ts';
import type { TransactionStores } from '../../src/core/ports/unit-of-work.ts';
import { createStorage } from '../../src/storage/create-storage.ts';
import { createMemoryStorage } from '../../src/storage/memory/memory-storage.ts';
import { ADMIN, appWorld, rejectsWith } from '../support/app-world.ts';
import { createTestDatabase } from '../support/databases.ts';

const PW = 'correct horse battery staple';
const backends: (readonly [string, () => Promise<{ storage: Storage; drop(): Promise<void> } | { skip: string }>])[] = [
  ['memory', async () => ({ storage: createMemoryStorage(), drop: async () => {} })],
  ['SQLite', async () => ({ storage: await createStorage('sqlite::memory:'), drop: async () => {} })],
  ...(['postgres', 'mysql'] as const).map(
    (kind) =>
      [
        kind === 'postgres' ? 'PostgreSQL' : 'MariaDB',
        async () => {
          const db = await createTestDatabase(kind);
          if ('skip' in db) return db;
          return { storage: await createStorage(db.url, { poolSize: 4 }), drop: db.drop };
        },
      ] as const,
  ),
];

for (const [label, open] of backends) {
  describe(`${label}: use cases as units of work`, async () => {
    const opened = await open();
    if ('skip' in opened) {
      test(`${label} unit-of-work tests`, (t) => t.skip(opened.skip));
      return;
    }
    const { storage } = opened;
    await storage.migrate();
    after(async () => {
      await storage.close();
      await opened.drop();
    });
    const sink = `uow-${randomUUID()}`;
    const routes = new Map([
      ['user.created', [sink]],
      ['client.updated', [sink]],
    ] as const);
    // One world per database (its KeyManager's KEK sealed the keys there); faults are injected per test.
    let inject: ((tx: TransactionStores) => TransactionStores) | null = null;
    const shared = await appWorld({ storage, outboxRoutes: routes, inUnit: (tx) => (inject ? inject(tx) : tx) });
    after(() => shared.writer!.close());
    const world = async (fault?: (tx: TransactionStores) => TransactionStores) => {
      inject = fault ?? null;
      shared.events.seen.length = 0;
      return shared;
    };
    const pending = async () => (await storage.outbox.stats()).find((s) => s.sink === sink)?.pending ?? 0;
    const records = (action: string) => storage.audit.list(DEFAULT_TENANT, { action }, { limit: 100, order: 'asc' });

    test('S18 users.create commits the user, its user.created outbox row and its success record; the bus gets the event once, the writer does not write it again', async () => {
      const w = await world();
      const before = await pending();
      const name = `u${randomUUID().slice(0, 8)}`;
      const u = await w.app.users.create(ADMIN, { username: name, password: PW });
      assert.ok(await storage.users.get(DEFAULT_TENANT, u.id));
      assert.equal(await pending(), before + 1, 'the event is in the outbox when the use case returns');
      assert.deepEqual(
        w.events.of('user.created').map((e) => e.userId),
        [u.id],
      );
      assert.equal(w.writer!.buffered(), 0, 'the bus → outbox writer skipped the committed event');
      await w.writer!.flush();
      assert.equal(await pending(), before + 1);
      const mine = (await records('users.create')).filter((r) => r.object.id === u.id);
      assert.deepEqual(
        mine.map((r) => r.outcome),
        ['success'],
      );
      assert.equal((await verifyAuditChain(storage.audit, DEFAULT_TENANT)).ok, true);
    });

    test('S18 concurrent mutations (units racing for the chain head) each commit their user, event and record; the chain verifies', async () => {
      const w = await world();
      const before = await pending();
      const head = (await storage.audit.head(DEFAULT_TENANT)).seq;
      const names = Array.from({ length: 6 }, () => `u${randomUUID().slice(0, 8)}`);
      await Promise.all(names.map((username) => w.app.users.create(ADMIN, { username, password: PW })));
      assert.equal(await pending(), before + names.length);
      const added = await storage.audit.list(DEFAULT_TENANT, { action: 'users.create' }, { limit: 100, order: 'asc', afterSeq: head });
      assert.equal(added.length, names.length);
      assert.equal((await storage.audit.head(DEFAULT_TENANT)).seq, head + names.length, 'gap-free');
      const v = await verifyAuditChain(storage.audit, DEFAULT_TENANT);
      assert.equal(v.ok, true, JSON.stringify(v));
    });

    if (!storage.unitOfWork.atomic) return;

    test('S18 an audit append that fails inside the unit keeps neither the user nor its event: GH_AUDIT_FAILED (nothing changed), the failure recorded on its own', async () => {
      const w = await world((tx) => ({ ...tx, audit: { ...tx.audit, append: () => Promise.reject(new Error('disk full')) } }));
      const before = await pending();
      const name = `u${randomUUID().slice(0, 8)}`;
      await rejectsWith(w.app.users.create(ADMIN, { username: name, password: PW }), 'GH_AUDIT_FAILED', /nothing was changed/);
      assert.equal(await storage.users.findByUsername(DEFAULT_TENANT, name), undefined, 'the user was rolled back');
      assert.equal(await pending(), before, 'no outbox row');
      assert.deepEqual(w.events.of('user.created'), [], 'no event on the bus');
      const last = (await storage.audit.list(DEFAULT_TENANT, {}, { limit: 1, order: 'desc' }))[0]!;
      assert.deepEqual([last.action, last.outcome, last.errorCode], ['users.create', 'failed', 'GH_AUDIT_FAILED']);
    });

    test('S18 an outbox append that fails inside the unit keeps neither the user nor its record; the failure is recorded', async () => {
      const w = await world((tx) => ({ ...tx, outbox: { append: () => Promise.reject(new Error('outbox refused')) } }));
      const name = `u${randomUUID().slice(0, 8)}`;
      const head = (await storage.audit.head(DEFAULT_TENANT)).seq;
      await assert.rejects(w.app.users.create(ADMIN, { username: name, password: PW }), /outbox refused/);
      assert.equal(await storage.users.findByUsername(DEFAULT_TENANT, name), undefined);
      const added = (await storage.audit.list(DEFAULT_TENANT, {}, { limit: 10, order: 'asc', afterSeq: head })).map((r) => [r.action, r.outcome, r.errorCode]);
      assert.deepEqual(added, [['users.create', 'failed', 'internal']], 'only the failure record, no success record');
    });

    test('S18 a handler failing after its first write (clients.delete) keeps nothing of it: the client stays enabled, no event, a failure record', async () => {
      const w0 = await world();
      const { client } = await w0.app.clients.create(ADMIN, { client_name: 'keep me', grant_types: ['client_credentials'] });
      const w = await world((tx) => ({ ...tx, consents: { ...tx.consents, deleteByClient: () => Promise.reject(new Error('injected after the disable')) } }));
      const before = await pending();
      await assert.rejects(w.app.clients.delete(ADMIN, { client_id: client.client_id }), /injected after the disable/);
      const kept = await storage.clients.get(DEFAULT_TENANT, client.client_id);
      assert.equal(kept?.disabled, false, 'the disable written before the failure was rolled back');
      assert.equal(await pending(), before);
      const last = (await storage.audit.list(DEFAULT_TENANT, {}, { limit: 1, order: 'desc' }))[0]!;
      assert.deepEqual([last.action, last.outcome, last.object.id], ['clients.delete', 'failed', client.client_id]);
      assert.equal((await verifyAuditChain(storage.audit, DEFAULT_TENANT)).ok, true);
    });
  });
}

describe('SQLite: a unit never hashes a password inside its transaction', () => {
  test('S18 users.create and users.set_password hash the new password before the unit opens: no transaction holds its write lock through argon2', async () => {
    let open = false;
    const hashedInside: boolean[] = [];
    let argon: PasswordHasher | undefined;
    const storage = await createStorage('sqlite::memory:');
    await storage.migrate();
    after(() => storage.close());
    const spied = await appWorld({
      storage,
      onUnit: (phase) => {
        open = phase === 'open';
      },
      passwordHasher: (real) => {
        argon = real;
        return {
          hash: (p) => {
            hashedInside.push(open);
            return real.hash(p);
          },
          verify: (phc, p) => real.verify(phc, p),
          needsRehash: (phc) => real.needsRehash(phc),
        };
      },
    });
    const name = `u${randomUUID().slice(0, 8)}`;
    const u = await spied.app.users.create(ADMIN, { username: name, password: PW });
    await spied.app.users.setPassword(ADMIN, { user: u.id, password: `${PW} again` });
    assert.deepEqual(hashedInside, [false, false], 'each password hashed once, outside the transaction');
    const stored = await storage.users.get(DEFAULT_TENANT, u.id);
    assert.match(stored!.passwordHash!, /^\$argon2id\$/);
    assert.ok(await argon!.verify(stored!.passwordHash!, `${PW} again`), 'the hash made outside the unit is the one stored');
  });
});

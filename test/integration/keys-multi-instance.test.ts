// KeyManager instances as separate processes would be (one pool each) on one real database:
// SQLite file, PostgreSQL and MariaDB. The stores' contract suites prove the CAS; this proves the
// manager's bootstrap and scheduled rotation lean on it correctly (S14: skips are named).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabaseKind } from '../support/databases.ts';
import { createStorage } from '../../src/storage/create-storage.ts';
import { EventBus } from '../../src/core/events.ts';
import type { SigningAlg } from '../../src/core/model/key.ts';
import type { Storage } from '../../src/core/ports/storage.ts';
import { KeyManager } from '../../src/core/keys/key-manager.ts';

const ALGS: SigningAlg[] = ['ES256', 'EdDSA', 'RS256'];
const INSTANCES = 4;

async function scenario(url: string): Promise<void> {
  const kek = randomBytes(32);
  let ms = 1_700_000_000_000;
  const clock = { now: () => ms };
  const stores: Storage[] = [];
  for (let i = 0; i < INSTANCES; i++) stores.push(await createStorage(url, { poolSize: 2 }));
  try {
    await stores[0]!.migrate();
    const config = { keys: { algorithms: ALGS, rotationInterval: 3600, gracePeriod: 86_400, refreshInterval: 30 } };
    const managers = stores.map((s) => new KeyManager({ keyStore: s.keyStore, clock, events: new EventBus(), kek, tenantId: 'default' }, config));
    const count = async (alg: string, status: string) => (await stores[0]!.keyStore.list('default')).filter((k) => k.alg === alg && k.status === status).length;

    await Promise.all(managers.map((m) => m.init()));
    for (const alg of ALGS) {
      assert.equal(await count(alg, 'active'), 1, `${alg} active after concurrent init`);
      assert.equal(await count(alg, 'next'), 1, `${alg} next after concurrent init`);
      assert.equal(new Set(managers.map((m) => m.signer(alg).kid)).size, 1, `${alg}: every instance signs with the same key`);
    }

    ms += 3600 * 1000;
    await Promise.all(managers.map((m) => m.refresh()));
    for (const alg of ALGS) {
      assert.equal(await count(alg, 'retired'), 1, `${alg} rotated exactly once by ${INSTANCES} instances`);
      assert.equal(await count(alg, 'active'), 1);
      assert.equal(await count(alg, 'next'), 1);
      assert.equal(new Set(managers.map((m) => m.signer(alg).kid)).size, 1);
    }
    const token = managers[0]!.signer('RS256').sign({ sub: 'x' });
    for (const m of managers) assert.equal(m.verify(token)?.payload.sub, 'x');
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
}

test('KeyManager on SQLite: concurrent first starts yield one active key per alg; scheduled rotation happens once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-keys-sql-'));
  try {
    await scenario(`sqlite:${join(dir, 'g.db')}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

for (const kind of ['postgres', 'mysql'] as const satisfies readonly TestDatabaseKind[]) {
  test(`KeyManager on ${kind}: concurrent first starts yield one active key per alg; scheduled rotation happens once`, async (t) => {
    const db = await createTestDatabase(kind);
    if ('skip' in db) return t.skip(db.skip);
    try {
      await scenario(db.url);
    } finally {
      await db.drop();
    }
  });
}

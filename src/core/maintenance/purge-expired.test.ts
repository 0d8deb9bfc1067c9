import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMemoryStorage } from '../../storage/memory/memory-storage.ts';
import { purgeExpired } from './purge-expired.ts';

const clockAt = (s: number) => ({ now: () => s * 1000 });

test('expired records are purged after the retention period; live ones stay', async () => {
  const storage = createMemoryStorage({ clock: clockAt(1000) });
  const base = {
    tenantId: 'default',
    kind: 'access_token' as const,
    clientId: 'c',
    subject: 's',
    userId: null,
    scope: '',
    audience: [],
    grantId: 'g',
    parentHash: null,
    issuedAt: 0,
    cnf: null,
    claims: {},
    revokedAt: null,
    consumedAt: null,
  };
  await storage.tokens.insert({ ...base, hash: 'old', jti: 'j1', expiresAt: 100 });
  await storage.tokens.insert({ ...base, hash: 'recent', jti: 'j2', expiresAt: 950 });
  await storage.tokens.insert({ ...base, hash: 'live', jti: 'j3', expiresAt: 5000 });
  await storage.denylist.add('default', 'gone', 900);
  await storage.denylist.add('default', 'kept', 2000);
  const report = await purgeExpired(storage, clockAt(1000), 300);
  assert.deepEqual(report.failed, []);
  assert.equal(report.removed.tokens, 1);
  assert.equal(report.removed.denylist, 1);
  assert.ok(await storage.tokens.find('default', 'recent'), 'kept within retention');
  assert.ok(await storage.tokens.find('default', 'live'));
  assert.equal(await storage.tokens.find('default', 'old'), undefined);
  assert.equal(await storage.denylist.has('default', 'kept'), true);
});

test('CWE-770 pushed requests are purged at their expiry, without the retention period', async () => {
  const storage = createMemoryStorage({ clock: clockAt(1000) });
  const par = (hash: string, expiresAt: number) => ({ tenantId: 'default', hash, clientId: 'c', params: { state: 's' }, expiresAt, consumedAt: null });
  await storage.par.insert(par('expired', 999));
  await storage.par.insert(par('live', 1001));
  const report = await purgeExpired(storage, clockAt(1000), 86_400);
  assert.equal(report.removed.par, 1);
  assert.deepEqual(await storage.par.take('default', 'expired', 1000), { result: 'not-found' });
  assert.equal((await storage.par.take('default', 'live', 1000)).result, 'consumed');
});

test('a failing store does not stop the others', async () => {
  const storage = createMemoryStorage({ clock: clockAt(1000) });
  const broken = {
    ...storage,
    codes: {
      ...storage.codes,
      purgeExpired: async () => {
        throw new Error('db down');
      },
    },
  };
  const report = await purgeExpired(broken, clockAt(1000), 0);
  assert.deepEqual(report.failed, ['codes: db down']);
  assert.equal(report.removed.par, 0);
});

// DeviceCodeStore contract (src/core/ports/device-code-store.ts), run against every adapter (S14).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatehouseError } from '../../src/core/errors.ts';
import { authFixture, deviceFixture, T0 } from './end-user-fixtures.ts';
import { all, newTenant, type GetHarness } from './harness.ts';

const conflict = (e: unknown) => e instanceof GatehouseError && e.code === 'GH_CONFLICT';

export function deviceCodeStoreContract(h: GetHarness): void {
  describe('DeviceCodeStore', () => {
    test('pagePending: only pending, unexpired requests of the tenant, keyset-paged by (issuedAt, hash) both ways, q a client id prefix', async () => {
      const { deviceCodes } = h().storage;
      const t = newTenant();
      const pending = [0, 1, 1, 2].map((i) => deviceFixture(t, { issuedAt: T0 + i, clientId: i === 2 ? 'other-tv' : 'tv-client' }));
      for (const d of pending) await deviceCodes.insert(d);
      const approved = deviceFixture(t, { issuedAt: T0 + 3 });
      await deviceCodes.insert(approved);
      await deviceCodes.decide(t, approved.hash, { status: 'approved', auth: authFixture(), grantedScope: 'openid' });
      await deviceCodes.insert(deviceFixture(t, { issuedAt: T0 + 4, expiresAt: T0 + 100 }));
      await deviceCodes.insert(deviceFixture(newTenant(), { issuedAt: T0 + 5 }));
      const order = [...pending].sort((a, b) => a.issuedAt - b.issuedAt || (a.hash < b.hash ? -1 : 1)).map((d) => d.hash);
      const now = T0 + 200;
      const seen: string[] = [];
      let after: { k: string | number; id: string } | undefined;
      for (;;) {
        const p = await deviceCodes.pagePending(t, now, { limit: 3, sort: 'issued_at', order: 'asc', ...(after ? { after } : {}) });
        seen.push(...p.items.map((d) => d.hash));
        if (!p.next) break;
        after = p.next;
      }
      assert.deepEqual(seen, order);
      const desc = await deviceCodes.pagePending(t, now, { limit: 10, sort: 'issued_at', order: 'desc' });
      assert.deepEqual(
        desc.items.map((d) => d.hash),
        [...order].reverse(),
      );
      assert.deepEqual(
        desc.items.find((d) => d.hash === pending[0]!.hash),
        pending[0],
      );
      const other = await deviceCodes.pagePending(t, now, { limit: 10, sort: 'issued_at', order: 'asc', q: 'other' });
      assert.deepEqual(
        other.items.map((d) => d.clientId),
        ['other-tv'],
      );
      assert.deepEqual((await deviceCodes.pagePending(t, T0 + 601, { limit: 10, sort: 'issued_at', order: 'asc' })).items, [], 'all expired');
    });

    test('RFC 8628 §3.3 insert then findByUserCode returns the record; unknown or other tenant is undefined', async () => {
      const { deviceCodes } = h().storage;
      const t = newTenant();
      const d = deviceFixture(t, { resources: ['https://api.example'] });
      await deviceCodes.insert(d);
      assert.deepEqual(await deviceCodes.findByUserCode(t, d.userCodeHash), d);
      assert.equal(await deviceCodes.findByUserCode(t, 'unknown'), undefined);
      assert.equal(await deviceCodes.findByUserCode(newTenant(), d.userCodeHash), undefined);
    });

    test('a duplicate device code or user code fails with GH_CONFLICT and writes nothing', async () => {
      const { deviceCodes } = h().storage;
      const t = newTenant();
      const d = deviceFixture(t);
      await deviceCodes.insert(d);
      const sameUserCode = deviceFixture(t, { userCodeHash: d.userCodeHash });
      await assert.rejects(deviceCodes.insert(sameUserCode), conflict);
      await assert.rejects(deviceCodes.insert(deviceFixture(t, { hash: d.hash })), conflict);
      assert.equal(await deviceCodes.poll(t, sameUserCode.hash, T0), undefined);
      assert.deepEqual(await deviceCodes.findByUserCode(t, d.userCodeHash), d);
    });

    test('RFC 8628 §3.3 decide approves only a pending request and records who and what', async () => {
      const { deviceCodes } = h().storage;
      const t = newTenant();
      const d = deviceFixture(t);
      const auth = authFixture({ acr: 'urn:x' });
      await deviceCodes.insert(d);
      assert.equal(await deviceCodes.decide(t, d.hash, { status: 'approved', auth, grantedScope: 'openid' }), true);
      assert.equal(await deviceCodes.decide(t, d.hash, { status: 'denied' }), false);
      assert.equal(await deviceCodes.decide(t, d.hash, { status: 'approved', auth: authFixture(), grantedScope: 'x' }), false);
      assert.deepEqual(await deviceCodes.findByUserCode(t, d.userCodeHash), { ...d, status: 'approved', auth, grantedScope: 'openid' });
      assert.equal(await deviceCodes.decide(t, 'unknown', { status: 'denied' }), false);
    });

    test('a denied request stays denied', async () => {
      const { deviceCodes } = h().storage;
      const t = newTenant();
      const d = deviceFixture(t);
      await deviceCodes.insert(d);
      assert.equal(await deviceCodes.decide(t, d.hash, { status: 'denied' }), true);
      assert.equal(await deviceCodes.decide(t, d.hash, { status: 'approved', auth: authFixture(), grantedScope: 'openid' }), false);
      assert.equal((await deviceCodes.findByUserCode(t, d.userCodeHash))?.status, 'denied');
      assert.equal(await deviceCodes.consume(t, d.hash), 'already-consumed');
    });

    test('S4 ten concurrent decisions on two instances: exactly one wins', async () => {
      const { storage, peer } = h();
      const t = newTenant();
      const d = deviceFixture(t);
      await storage.deviceCodes.insert(d);
      const results = await all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? peer : storage).deviceCodes.decide(
            t,
            d.hash,
            i % 3 ? { status: 'approved', auth: authFixture(), grantedScope: `s${i}` } : { status: 'denied' },
          ),
        ),
      );
      assert.equal(results.filter(Boolean).length, 1);
    });

    test('RFC 8628 §3.5 poll sets lastPolledAt and returns the record as it was before', async () => {
      const { deviceCodes } = h().storage;
      const t = newTenant();
      const d = deviceFixture(t);
      await deviceCodes.insert(d);
      assert.deepEqual(await deviceCodes.poll(t, d.hash, T0 + 5), d);
      assert.deepEqual(await deviceCodes.poll(t, d.hash, T0 + 10), { ...d, lastPolledAt: T0 + 5 });
      assert.deepEqual(await deviceCodes.poll(t, d.hash, T0 + 10), { ...d, lastPolledAt: T0 + 10 });
      assert.equal((await deviceCodes.findByUserCode(t, d.userCodeHash))?.lastPolledAt, T0 + 10);
      assert.equal(await deviceCodes.poll(t, 'unknown', T0), undefined);
      assert.equal(await deviceCodes.poll(newTenant(), d.hash, T0), undefined);
    });

    test('RFC 8628 §3.5 concurrent polls on two instances each replace a distinct state (slow_down is detectable)', async () => {
      const { storage, peer } = h();
      const t = newTenant();
      const d = deviceFixture(t);
      await storage.deviceCodes.insert(d);
      const seen = await all(Array.from({ length: 10 }, (_, i) => (i % 2 ? peer : storage).deviceCodes.poll(t, d.hash, T0 + 1 + i)));
      const previous = seen.map((r) => r?.lastPolledAt);
      assert.equal(previous.filter((p) => p === null).length, 1, 'exactly one poll saw no earlier poll');
      assert.equal(new Set(previous).size, 10, 'no two polls replaced the same value');
    });

    test('RFC 8628 §3.5 slowDown grows the interval for all later polls; concurrent slow-downs each count', async () => {
      const { storage, peer } = h();
      const t = newTenant();
      const d = deviceFixture(t);
      await storage.deviceCodes.insert(d);
      await storage.deviceCodes.slowDown(t, d.hash, 5);
      assert.equal((await storage.deviceCodes.findByUserCode(t, d.userCodeHash))?.interval, d.interval + 5);
      await all(Array.from({ length: 4 }, (_, i) => (i % 2 ? peer : storage).deviceCodes.slowDown(t, d.hash, 5)));
      assert.equal((await peer.deviceCodes.findByUserCode(t, d.userCodeHash))?.interval, d.interval + 25, 'an increment, not read-then-write');
      await storage.deviceCodes.slowDown(t, 'unknown', 5);
    });

    test('S4 consume moves approved to consumed exactly once, even when ten race', async () => {
      const { storage, peer } = h();
      const t = newTenant();
      const d = deviceFixture(t);
      await storage.deviceCodes.insert(d);
      await storage.deviceCodes.decide(t, d.hash, { status: 'approved', auth: authFixture(), grantedScope: 'openid' });
      const results = await all(Array.from({ length: 10 }, (_, i) => (i % 2 ? peer : storage).deviceCodes.consume(t, d.hash)));
      assert.equal(results.filter((r) => r === 'consumed').length, 1);
      assert.equal(results.filter((r) => r === 'already-consumed').length, 9);
      assert.equal((await storage.deviceCodes.findByUserCode(t, d.userCodeHash))?.status, 'consumed');
      assert.equal(await storage.deviceCodes.consume(t, 'unknown'), 'not-found');
    });

    test('purgeExpired deletes expired requests and frees their user codes', async () => {
      const { deviceCodes } = h().storage;
      const t = newTenant();
      const cutoff = T0 + 600;
      await deviceCodes.purgeExpired(cutoff);
      const gone = deviceFixture(t, { expiresAt: cutoff - 1 });
      const kept = deviceFixture(t, { expiresAt: cutoff });
      await deviceCodes.insert(gone);
      await deviceCodes.insert(kept);
      assert.equal(await deviceCodes.purgeExpired(cutoff), 1);
      assert.equal(await deviceCodes.findByUserCode(t, gone.userCodeHash), undefined);
      assert.deepEqual(await deviceCodes.findByUserCode(t, kept.userCodeHash), kept);
      await deviceCodes.insert(deviceFixture(t, { userCodeHash: gone.userCodeHash }));
    });

    test('get finds one request by its hash, within its tenant only', async () => {
      const { deviceCodes } = h().storage;
      const t = newTenant();
      const c = deviceFixture(t, { issuedAt: T0 + 1 });
      await deviceCodes.insert(c);
      assert.deepEqual(await deviceCodes.get(t, c.hash), c);
      assert.equal(await deviceCodes.get(t, 'unknown'), undefined);
      assert.equal(await deviceCodes.get(newTenant(), c.hash), undefined);
    });
  });
}

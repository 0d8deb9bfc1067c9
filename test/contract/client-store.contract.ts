// ClientStore contract (src/core/ports/client-store.ts), run against every adapter (S14).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatehouseError } from '../../src/core/errors.ts';
import type { ListQuery } from '../../src/core/ports/list.ts';
import { clientFixture, newTenant, type GetHarness } from './harness.ts';

/** Every client of a tenant in client id order (one page: the contracts stay far below the limit). */
const BY_ID: ListQuery<'client_id'> = { limit: 500, sort: 'client_id', order: 'asc' };

export function clientStoreContract(h: GetHarness): void {
  describe('ClientStore', () => {
    test('create then get returns every field as stored (nulls, lists, JSON, booleans)', async () => {
      const { clients } = h().storage;
      const t = newTenant();
      const bare = clientFixture(t, 'bare');
      const full = clientFixture(t, 'full', {
        secretEncrypted: 'v1.aaa.bbb.ccc',
        secretExpiresAt: 1_760_000_000,
        tokenEndpointAuthMethod: 'private_key_jwt',
        tokenEndpointAuthSigningAlg: 'ES256',
        jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k1' }] },
        jwksUri: 'https://app.example/jwks.json',
        accessTokenFormat: 'opaque',
        metadata: { client_uri: 'https://app.example', contacts: ['ops@app.example'], nested: { a: 1, b: null } },
        registrationAccessTokenHash: 'rat-hash',
        disabled: true,
        grantTypes: [],
        scopes: [],
        updatedAt: 1_750_000_123,
      });
      await clients.create(bare);
      await clients.create(full);
      assert.deepEqual(await clients.get(t, 'bare'), bare);
      assert.deepEqual(await clients.get(t, 'full'), full);
    });

    test('get answers undefined for an unknown client and returns disabled clients too', async () => {
      const { clients } = h().storage;
      const t = newTenant();
      assert.equal(await clients.get(t, 'nobody'), undefined);
      await clients.create(clientFixture(t, 'off', { disabled: true }));
      assert.equal((await clients.get(t, 'off'))?.disabled, true);
    });

    test('create on a duplicate id fails with GH_CONFLICT and writes nothing', async () => {
      const { clients } = h().storage;
      const t = newTenant();
      const first = clientFixture(t, 'dup');
      await clients.create(first);
      await assert.rejects(
        clients.create(clientFixture(t, 'dup', { clientName: 'second', disabled: true })),
        (e: unknown) => e instanceof GatehouseError && e.code === 'GH_CONFLICT',
      );
      assert.deepEqual(await clients.get(t, 'dup'), first);
    });

    test('returned clients are copies: mutating one does not change the store', async () => {
      const { clients } = h().storage;
      const t = newTenant();
      await clients.create(clientFixture(t, 'c'));
      const got = (await clients.get(t, 'c')) as unknown as { redirectUris: string[]; clientName: string };
      got.redirectUris.push('https://evil.example');
      got.clientName = 'mutated';
      assert.deepEqual((await clients.get(t, 'c'))?.redirectUris, ['https://app.example/cb', 'http://127.0.0.1/cb']);
      assert.notEqual((await clients.get(t, 'c'))?.clientName, 'mutated');
    });

    test('page pages in client id order with limit and after', async () => {
      const { clients } = h().storage;
      const t = newTenant();
      const ids = ['e', 'a', 'd', 'b', 'c'];
      for (const id of ids) await clients.create(clientFixture(t, `client-${id}`));
      const page = async (q: Partial<ListQuery<'client_id'>>) => {
        const p = await clients.page(t, { ...BY_ID, ...q });
        return { ids: p.items.map((c) => c.clientId), next: p.next };
      };
      assert.deepEqual((await page({})).ids, ['client-a', 'client-b', 'client-c', 'client-d', 'client-e']);
      const page1 = await page({ limit: 2 });
      assert.deepEqual(page1.ids, ['client-a', 'client-b']);
      const page2 = await page({ limit: 2, after: page1.next! });
      assert.deepEqual(page2.ids, ['client-c', 'client-d']);
      const page3 = await page({ limit: 2, after: { k: 'client-d', id: 'client-d' } });
      assert.deepEqual(page3, { ids: ['client-e'], next: null });
      assert.deepEqual(await page({ after: { k: 'client-e', id: 'client-e' } }), { ids: [], next: null });
    });

    test('update changes only the given fields and returns the updated client', async () => {
      const { clients } = h().storage;
      const t = newTenant();
      const c = clientFixture(t, 'u');
      await clients.create(c);
      const updated = await clients.update(t, 'u', {
        clientName: 'renamed',
        redirectUris: ['https://new.example/cb'],
        metadata: { logo_uri: 'https://new.example/logo.png' },
        secretHash: null,
        disabled: true,
      });
      const expected = {
        ...c,
        clientName: 'renamed',
        redirectUris: ['https://new.example/cb'],
        metadata: { logo_uri: 'https://new.example/logo.png' },
        secretHash: null,
        disabled: true,
      };
      assert.deepEqual(updated, expected);
      assert.deepEqual(await clients.get(t, 'u'), expected);
      // Setting a field to its current value is still an update of an existing client.
      assert.deepEqual(await clients.update(t, 'u', { clientName: 'renamed' }), expected);
      assert.deepEqual(await clients.update(t, 'u', {}), expected);
    });

    test('update answers undefined for an unknown client and creates nothing', async () => {
      const { clients } = h().storage;
      const t = newTenant();
      assert.equal(await clients.update(t, 'ghost', { clientName: 'x' }), undefined);
      assert.equal(await clients.get(t, 'ghost'), undefined);
    });

    test('delete removes the client and answers false when it did not exist', async () => {
      const { clients } = h().storage;
      const t = newTenant();
      await clients.create(clientFixture(t, 'd'));
      assert.equal(await clients.delete(t, 'd'), true);
      assert.equal(await clients.get(t, 'd'), undefined);
      assert.equal(await clients.delete(t, 'd'), false);
    });

    test('tenant isolation: a client of tenant A is invisible from tenant B', async () => {
      const { clients } = h().storage;
      const a = newTenant();
      const b = newTenant();
      await clients.create(clientFixture(a, 'shared-id'));
      assert.equal(await clients.get(b, 'shared-id'), undefined);
      assert.deepEqual((await clients.page(b, BY_ID)).items, []);
      assert.equal(await clients.update(b, 'shared-id', { clientName: 'hijack' }), undefined);
      assert.equal(await clients.delete(b, 'shared-id'), false);
      // The same id may exist in B independently.
      await clients.create(clientFixture(b, 'shared-id', { clientName: 'B' }));
      assert.equal((await clients.get(a, 'shared-id'))?.clientName, clientFixture(a, 'shared-id').clientName);
      assert.equal((await clients.get(b, 'shared-id'))?.clientName, 'B');
    });

    test('client ids are case-sensitive', async () => {
      const { clients } = h().storage;
      const t = newTenant();
      await clients.create(clientFixture(t, 'CaseId'));
      assert.equal(await clients.get(t, 'caseid'), undefined);
      await clients.create(clientFixture(t, 'caseid'));
      assert.equal((await clients.page(t, BY_ID)).items.length, 2);
    });

    test('resealSecret is a compare-and-set on the sealed secret: one of two concurrent callers wins, a stale value changes nothing', async () => {
      const { storage, peer } = h();
      const t = newTenant();
      await storage.clients.create(clientFixture(t, 'c-jwt', { secretEncrypted: 'v1.old' }));
      const [x, y] = await Promise.all([storage.clients.resealSecret(t, 'c-jwt', 'v1.old', 'v2.a'), peer.clients.resealSecret(t, 'c-jwt', 'v1.old', 'v2.b')]);
      assert.equal(Number(x) + Number(y), 1);
      assert.equal((await storage.clients.get(t, 'c-jwt'))!.secretEncrypted, x ? 'v2.a' : 'v2.b');
      assert.equal(await storage.clients.resealSecret(t, 'nope', 'v1.old', 'v2.c'), false);
      assert.equal(await storage.clients.resealSecret(newTenant(), 'c-jwt', x ? 'v2.a' : 'v2.b', 'v2.c'), false);
    });
  });
}

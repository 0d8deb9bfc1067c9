// GrantStore contract (src/core/ports/grant-store.ts), run against every adapter (S14).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TokenRecord } from '../../src/core/model/token.ts';
import type { GrantSummary } from '../../src/core/ports/grant-store.ts';
import { all, newTenant, tokenFixture, type GetHarness } from './harness.ts';
import { walkAll } from './paging.ts';

const T = 1_750_000_000;
const NOW = T + 100;
const byIssued = { limit: 50, sort: 'issued_at', order: 'asc' } as const;
const key = (g: GrantSummary) => ({ k: g.createdAt, id: g.grantId });

/** Tokens of user u1 (grants g1, g2, g5 live; g3 revoked; g4 expired), u2 (g6) and a client_credentials token. */
function scenario(t: string): TokenRecord[] {
  const tok = (grantId: string, over: Partial<TokenRecord> = {}) =>
    tokenFixture(t, { grantId, userId: 'u1', clientId: 'rp-1', issuedAt: T, expiresAt: T + 3600, ...over });
  return [
    tok('g1', { kind: 'refresh_token', scope: 'openid profile offline_access', issuedAt: T, expiresAt: T + 86_400 }),
    tok('g1', { kind: 'access_token', scope: 'openid', issuedAt: T + 10, expiresAt: T + 610 }),
    tok('g2', { kind: 'refresh_token', clientId: 'rp-2', scope: 'openid email', issuedAt: T + 5 }),
    tok('g3', { revokedAt: T + 1 }),
    tok('g4', { expiresAt: NOW - 1 }),
    tok('g5', { kind: 'refresh_token', issuedAt: T - 50, consumedAt: T - 1, expiresAt: T + 86_400 }),
    tok('g5', { kind: 'refresh_token', issuedAt: T - 1, expiresAt: T + 86_400, scope: 'openid' }),
    tok('g6', { userId: 'u2', kind: 'refresh_token' }),
    tokenFixture(t, { grantId: 'cc-1', userId: null, clientId: 'rp-1', subject: 'rp-1', issuedAt: T + 20, expiresAt: T + 3600 }),
  ];
}

export function grantStoreContract(h: GetHarness): void {
  describe('GrantStore', () => {
    test('tokens carry userId (null for client_credentials) through insert and find', async () => {
      const { tokens } = h().storage;
      const t = newTenant();
      const [user, cc] = [tokenFixture(t, { userId: 'u-42', subject: 'pairwise-sub' }), tokenFixture(t, { userId: null })];
      await tokens.insert(user);
      await tokens.insert(cc);
      assert.equal((await tokens.find(t, user.hash))?.userId, 'u-42');
      assert.equal((await tokens.find(t, cc.hash))?.userId, null);
    });

    test('listGrants by user aggregates live tokens per grant (not revoked, consumed or expired), ordered by first issuance', async () => {
      const { tokens, grants } = h().storage;
      const t = newTenant();
      for (const r of scenario(t)) await tokens.insert(r);
      const page = await grants.listGrants(t, { userId: 'u1' }, byIssued, NOW);
      assert.equal(page.next, null);
      assert.deepEqual(page.items, [
        { grantId: 'g5', clientId: 'rp-1', userId: 'u1', scope: 'openid', createdAt: T - 1, lastUsedAt: T - 1, expiresAt: T + 86_400, activeTokens: 1 },
        // RFC 6749 §6: the refresh token carries the grant's scope; the access token may be narrower.
        {
          grantId: 'g1',
          clientId: 'rp-1',
          userId: 'u1',
          scope: 'openid profile offline_access',
          createdAt: T,
          lastUsedAt: T + 10,
          expiresAt: T + 86_400,
          activeTokens: 2,
        },
        { grantId: 'g2', clientId: 'rp-2', userId: 'u1', scope: 'openid email', createdAt: T + 5, lastUsedAt: T + 5, expiresAt: T + 3600, activeTokens: 1 },
      ]);
      const byClient = await grants.listGrants(t, { clientId: 'rp-1' }, { ...byIssued, order: 'desc' }, NOW);
      assert.deepEqual(
        byClient.items.map((g) => [g.grantId, g.userId]),
        [
          ['cc-1', null],
          ['g6', 'u2'],
          ['g1', 'u1'],
          ['g5', 'u1'],
        ],
      );
      assert.deepEqual((await grants.listGrants(newTenant(), { userId: 'u1' }, byIssued, NOW)).items, [], 'tenant isolation');
      assert.deepEqual((await grants.listGrants(t, { userId: 'u1' }, byIssued, T + 86_400)).items, [], 'nothing is live later');
    });

    test('listGrants pages through equal first-issuance times by grant id, both orders; q is a grant id prefix', async () => {
      const { tokens, grants } = h().storage;
      const t = newTenant();
      const ids = ['g_1', 'g%2', 'ga', 'gb', 'gc', 'h1', 'h2'];
      for (const [i, id] of ids.entries()) {
        await tokens.insert(tokenFixture(t, { grantId: id, userId: 'u1', issuedAt: T + (i % 2), expiresAt: T + 3600 }));
        await tokens.insert(tokenFixture(t, { grantId: id, userId: 'u1', issuedAt: T + 30, expiresAt: T + 3600 }));
      }
      const want = ids
        .map((id, i) => ({ id, k: T + (i % 2) }))
        .sort((a, b) => a.k - b.k || (a.id < b.id ? -1 : 1))
        .map((g) => g.id);
      for (const order of ['asc', 'desc'] as const) {
        const got = await walkAll((q) => grants.listGrants(t, { userId: 'u1' }, q, NOW), { limit: 2, sort: 'issued_at', order }, key);
        assert.deepEqual(
          got.map((g) => g.grantId),
          order === 'asc' ? want : [...want].reverse(),
        );
      }
      const search = async (q: string) =>
        (await walkAll((x) => grants.listGrants(t, { userId: 'u1' }, x, NOW), { ...byIssued, limit: 1, q }, key)).map((g) => g.grantId).sort();
      assert.deepEqual(await search('g_'), ['g_1']);
      assert.deepEqual(await search('g%'), ['g%2']);
      assert.deepEqual(await search('h'), ['h1', 'h2']);
    });

    test('revokeByUser revokes every live token of the user at once and returns each grant it touched once', async () => {
      const { tokens, grants } = h().storage;
      const t = newTenant();
      const rows = scenario(t);
      for (const r of rows) await tokens.insert(r);
      assert.deepEqual(await grants.revokeByUser(t, 'u1', NOW), ['g1', 'g2', 'g5']);
      assert.deepEqual((await grants.listGrants(t, { userId: 'u1' }, byIssued, NOW)).items, []);
      for (const r of rows) {
        const after = await tokens.find(t, r.hash);
        const hit = r.userId === 'u1' && r.revokedAt === null && r.expiresAt > NOW;
        assert.equal(after?.revokedAt, hit ? NOW : r.revokedAt, `${r.grantId} ${r.kind}`);
      }
      assert.deepEqual(await grants.revokeByUser(t, 'u1', NOW + 1), [], 'idempotent');
      assert.equal((await grants.listGrants(t, { userId: 'u2' }, byIssued, NOW)).items.length, 1, 'other users keep theirs');
    });

    test("revokeByClient revokes the client's tokens of every user, client_credentials included", async () => {
      const { tokens, grants } = h().storage;
      const t = newTenant();
      for (const r of scenario(t)) await tokens.insert(r);
      assert.deepEqual(await grants.revokeByClient(t, 'rp-1', NOW), ['cc-1', 'g1', 'g5', 'g6']);
      assert.deepEqual((await grants.listGrants(t, { clientId: 'rp-1' }, byIssued, NOW)).items, []);
      assert.deepEqual(
        (await grants.listGrants(t, { userId: 'u1' }, byIssued, NOW)).items.map((g) => g.grantId),
        ['g2'],
      );
      assert.deepEqual(await grants.revokeByClient(newTenant(), 'rp-2', NOW), [], 'tenant isolation');
    });

    test('concurrent revokeByUser on two instances: every token is revoked by exactly one, grants are not split', async () => {
      const { storage, peer } = h();
      const t = newTenant();
      const grantIds = Array.from({ length: 30 }, (_, i) => `grant-${String(i).padStart(2, '0')}`);
      for (const g of grantIds) {
        await storage.tokens.insert(tokenFixture(t, { grantId: g, userId: 'u1', kind: 'refresh_token', issuedAt: T, expiresAt: T + 3600 }));
        await storage.tokens.insert(tokenFixture(t, { grantId: g, userId: 'u1', issuedAt: T, expiresAt: T + 3600 }));
      }
      const [a, b] = await all([storage.grants.revokeByUser(t, 'u1', NOW), peer.grants.revokeByUser(t, 'u1', NOW)]);
      assert.deepEqual([...a, ...b].sort(), grantIds, 'each grant is returned by exactly one caller');
    });

    test('revokeByUser racing inserts: an inserted token is revoked with its grant returned, or left live', async () => {
      const { storage, peer } = h();
      const t = newTenant();
      await storage.tokens.insert(tokenFixture(t, { grantId: 'first', userId: 'u1', issuedAt: T, expiresAt: T + 3600 }));
      const inserted = Array.from({ length: 20 }, (_, i) => tokenFixture(t, { grantId: `late-${i}`, userId: 'u1', issuedAt: T, expiresAt: T + 3600 }));
      const [revoked] = await all([peer.grants.revokeByUser(t, 'u1', NOW), ...inserted.map((r) => storage.tokens.insert(r))]);
      assert.ok(revoked.includes('first'));
      for (const r of inserted) {
        const after = await storage.tokens.find(t, r.hash);
        assert.equal(after?.revokedAt !== null, revoked.includes(r.grantId), r.grantId);
      }
    });
  });
}

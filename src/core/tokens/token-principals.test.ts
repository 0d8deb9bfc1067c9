import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { makeClient, settableClock } from '../../../test/support/core-fixtures.ts';
import { makeUser } from '../../../test/support/oidc-fixtures.ts';
import { createMemoryStorage } from '../../storage/memory/memory-storage.ts';
import type { TokenView } from './find-token.ts';
import { checkTokenPrincipals, tokenUserId } from './token-principals.ts';
import { createUserSubjects } from './user-subject.ts';

const rp = makeClient({ clientId: 'rp' });
const pairwise = makeClient({ clientId: 'pw' });
const subjects = createUserSubjects(randomBytes(32), (c, id) => (c.clientId === 'pw' ? `pairwise-of-${id}` : id));
type View = Pick<TokenView, 'clientId' | 'subject' | 'claims' | 'record'>;
const userView = (clientId = 'rp', userId = 'u-1'): View => {
  const ref = subjects.forToken(clientId === 'pw' ? pairwise : rp, userId);
  return { clientId, subject: ref.subject, claims: { ...ref.claims, auth_time: 1 }, record: undefined };
};
const clientView: View = { clientId: 'rp', subject: 'rp', claims: {}, record: undefined };

async function world() {
  const storage = createMemoryStorage({ clock: settableClock() });
  await storage.clients.create(rp);
  await storage.clients.create(pairwise);
  await storage.users.create(makeUser({ id: 'u-1' }));
  let userReads = 0;
  const users = {
    get: (t: string, id: string) => {
      userReads++;
      return storage.users.get(t, id);
    },
  };
  return { storage, deps: { clients: storage.clients, users, subjects, tenantId: 'default' }, reads: () => userReads };
}

test('tokenUserId: the stored userId, else the (unsealed) sub of a user token, null for a client token', () => {
  assert.equal(tokenUserId(userView(), subjects), 'u-1');
  assert.equal(tokenUserId(userView('pw'), subjects), 'u-1', 'the sealed id behind a pairwise sub');
  assert.equal(tokenUserId(clientView, subjects), null);
  assert.equal(tokenUserId({ ...userView('pw'), clientId: 'rp' }, subjects), undefined, 'sealed to another client: unrecoverable');
  const record = { userId: 'u-9' } as TokenView['record'];
  assert.equal(tokenUserId({ ...clientView, record }, subjects), 'u-9');
});

test('RFC 7662 §2.2 principals: enabled client and user are available; a disabled or deleted one is not', async () => {
  const { storage, deps } = await world();
  const ok = await checkTokenPrincipals(deps, userView('pw'));
  assert.equal(ok.available && ok.user?.id, 'u-1');
  await storage.users.update('default', 'u-1', { disabled: true });
  assert.deepEqual(await checkTokenPrincipals(deps, userView('pw')), { available: false, reason: 'user_unavailable' });
  await storage.users.delete('default', 'u-1');
  assert.deepEqual(await checkTokenPrincipals(deps, userView()), { available: false, reason: 'user_unavailable' });
  await storage.clients.update('default', 'rp', { disabled: true });
  assert.deepEqual(await checkTokenPrincipals(deps, clientView), { available: false, reason: 'client_unavailable' });
  await storage.clients.delete('default', 'rp');
  assert.deepEqual(await checkTokenPrincipals(deps, clientView), { available: false, reason: 'client_unavailable' });
});

test('principals: a client_credentials token reads no user; a known (authenticated) client is not read again', async () => {
  const { storage, deps, reads } = await world();
  const r = await checkTokenPrincipals(deps, clientView);
  assert.equal(r.available && r.user, null);
  assert.equal(reads(), 0);
  await storage.clients.delete('default', 'rp');
  assert.equal((await checkTokenPrincipals(deps, clientView, { client: rp })).available, true, 'the caller itself is taken as read');
});

/**
 * RFC 9110 §13.1.1 on the admin API's actions that revoke or end (docs/admin-api.md "Concurrency"):
 * a person signs in to a relying party through the code flow (openid-client, PKCE,
 * offline_access), so there is a real grant and a real Gatehouse session; a stale `If-Match`
 * on the client's or the user's action is 412 and leaves both alone, the current ETag acts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminApi, auditOf, type AdminApi } from '../support/admin-api.ts';
import { codeFlow, createRp, createTestUser, rpConfig, startOidcServer, type OidcServer, type TestRp, type TestUser } from '../support/oidc.ts';
import { UserAgent } from '../support/user-agent.ts';

let op: OidcServer;
let api: AdminApi;

before(async () => {
  op = await startOidcServer();
  api = await adminApi(op);
});
after(() => op?.close());

/** A new relying party and a new person signed in to it, holding a refresh token (one grant, one session). */
async function signedIn(): Promise<{ rp: TestRp; user: TestUser }> {
  const rp = await createRp(op.gh, 'confidential');
  const user = await createTestUser(op.gh, { roles: ['user'] });
  await codeFlow(op, await rpConfig(op, rp), rp, new UserAgent(op.url), user, { scope: 'openid offline_access', prompt: 'consent' });
  return { rp, user };
}

const count = async (path: string) => ((await api.call('GET', path)).body['items'] as unknown[]).length;
const etagOf = async (path: string) => (await api.call('GET', path)).headers.get('etag')!;
const patch = (path: string, body: unknown) => api.call('PATCH', path, { body, type: 'application/merge-patch+json' });

describe('admin API: If-Match on the actions that revoke or end', () => {
  /** Each action on a client or user: the resource whose ETag guards it, a change that makes a taken ETag stale, what it acts on. */
  const actions = [
    { action: 'revoke-tokens', on: 'client', list: 'grants', audit: 'grants.revoke_for_client', ends: 'revokes nothing' },
    { action: 'revoke-tokens', on: 'user', list: 'grants', audit: 'grants.revoke_for_user', ends: 'revokes nothing' },
    { action: 'end-sessions', on: 'user', list: 'sessions', audit: 'sessions.end_all', ends: 'ends nothing' },
  ] as const;
  for (const a of actions) {
    test(`RFC 9110 §13.1.1: POST /${a.on}s/{id}/${a.action} with a stale If-Match is 412 and ${a.ends}`, async () => {
      const { rp, user } = await signedIn();
      const id = a.on === 'client' ? rp.client_id : user.id;
      const target = `/${a.on}s/${id}`;
      const listed = `/${a.list}?${a.on === 'client' ? 'client_id' : 'user'}=${id}`;
      assert.equal(await count(listed), 1, `a live ${a.list.slice(0, -1)} to act on`);
      const stale = await etagOf(target);
      const change = a.on === 'client' ? { client_name: 'renamed' } : { claims: { nickname: 'changed' } };
      assert.equal((await patch(target, change)).status, 200);
      const r = await api.call('POST', `${target}/${a.action}`, { headers: { 'if-match': stale } });
      assert.equal(r.status, 412, JSON.stringify(r.body));
      assert.equal(r.body['code'], 'GH_PRECONDITION_FAILED');
      assert.equal(await count(listed), 1, 'nothing happened');
      if (a.action === 'end-sessions')
        assert.equal((await api.call('GET', target)).body['session_epoch'], 0, 'no new session generation (console sessions live on)');
      assert.equal((await auditOf(op, a.audit)).filter((x) => x.object.id === id).length, 0, 'the use case did not run');
      const ok = await api.call('POST', `${target}/${a.action}`, { headers: { 'if-match': await etagOf(target) } });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(await count(listed), 0, 'the current ETag acts');
    });
  }
});

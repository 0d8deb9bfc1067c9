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
  test('RFC 9110 §13.1.1: POST /clients/{id}/revoke-tokens with a stale If-Match is 412 and revokes nothing', async () => {
    const { rp } = await signedIn();
    const grants = `/grants?client_id=${rp.client_id}`;
    assert.equal(await count(grants), 1, 'the client has a live grant');
    const stale = await etagOf(`/clients/${rp.client_id}`);
    assert.equal((await patch(`/clients/${rp.client_id}`, { client_name: 'renamed' })).status, 200);
    const r = await api.call('POST', `/clients/${rp.client_id}/revoke-tokens`, { headers: { 'if-match': stale } });
    assert.equal(r.status, 412, JSON.stringify(r.body));
    assert.equal(r.body['code'], 'GH_PRECONDITION_FAILED');
    assert.equal(await count(grants), 1, 'nothing was revoked');
    assert.equal((await auditOf(op, 'grants.revoke_for_client')).filter((a) => a.object.id === rp.client_id).length, 0, 'the use case did not run');
    const ok = await api.call('POST', `/clients/${rp.client_id}/revoke-tokens`, { headers: { 'if-match': await etagOf(`/clients/${rp.client_id}`) } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(await count(grants), 0, 'the current ETag acts');
  });

  test('RFC 9110 §13.1.1: POST /users/{id}/revoke-tokens with a stale If-Match is 412 and revokes nothing', async () => {
    const { user } = await signedIn();
    const grants = `/grants?user=${user.id}`;
    assert.equal(await count(grants), 1, 'the user has a live grant');
    const stale = await etagOf(`/users/${user.id}`);
    assert.equal((await patch(`/users/${user.id}`, { claims: { nickname: 'changed' } })).status, 200);
    const r = await api.call('POST', `/users/${user.id}/revoke-tokens`, { headers: { 'if-match': stale } });
    assert.equal(r.status, 412, JSON.stringify(r.body));
    assert.equal(r.body['code'], 'GH_PRECONDITION_FAILED');
    assert.equal(await count(grants), 1, 'nothing was revoked');
    assert.equal((await auditOf(op, 'grants.revoke_for_user')).filter((a) => a.object.id === user.id).length, 0, 'the use case did not run');
    const ok = await api.call('POST', `/users/${user.id}/revoke-tokens`, { headers: { 'if-match': await etagOf(`/users/${user.id}`) } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(await count(grants), 0, 'the current ETag acts');
  });

  test('RFC 9110 §13.1.1: POST /users/{id}/end-sessions with a stale If-Match is 412 and ends nothing', async () => {
    const { user } = await signedIn();
    const sessions = `/sessions?user=${user.id}`;
    assert.equal(await count(sessions), 1, 'the user is signed in');
    const stale = await etagOf(`/users/${user.id}`);
    assert.equal((await patch(`/users/${user.id}`, { claims: { nickname: 'changed' } })).status, 200);
    const r = await api.call('POST', `/users/${user.id}/end-sessions`, { headers: { 'if-match': stale } });
    assert.equal(r.status, 412, JSON.stringify(r.body));
    assert.equal(r.body['code'], 'GH_PRECONDITION_FAILED');
    assert.equal(await count(sessions), 1, 'nothing was ended');
    assert.equal((await api.call('GET', `/users/${user.id}`)).body['session_epoch'], 0, 'no new session generation (console sessions live on)');
    assert.equal((await auditOf(op, 'sessions.end_all')).filter((a) => a.object.id === user.id).length, 0, 'the use case did not run');
    const ok = await api.call('POST', `/users/${user.id}/end-sessions`, { headers: { 'if-match': await etagOf(`/users/${user.id}`) } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(await count(sessions), 0, 'the current ETag acts');
  });
});

/**
 * The console's pages over HTTP with a real console session (signed in through the OIDC flow as
 * the built-in client; the Chromium side is test/browser/console.test.ts): bad query input gets
 * the console's 400 page, never a 500; notices are the console's own words, never the URL's; a
 * page's route acts only on what its path names.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Actor } from '../../src/app/actor.ts';
import { createTestUser, type TestUser } from '../support/oidc.ts';
import { signInToConsole } from '../support/admin-api.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { UserAgent } from '../support/user-agent.ts';

const CLI: Actor = { kind: 'cli', id: 'console-pages-test', roles: ['admin'] };
let s: TestServer;
let admin: { cookie: string; csrf: string; userId: string };

/** Signs `user` in through the console's sign-in (a Gatehouse session with one sid), whatever their role. */
async function consoleBrowserSignIn(user: TestUser): Promise<void> {
  const out = await new UserAgent(s.url, { maxSteps: 30 }).authorize(`${s.url}/admin/sign-in?return_to=%2Fadmin`, {
    username: user.username,
    password: user.password,
  });
  assert.equal(out.kind, 'page');
}

const get = (path: string) => fetch(`${s.url}${path}`, { headers: { cookie: admin.cookie }, redirect: 'manual' });
const post = (path: string, form: Record<string, string>) =>
  fetch(`${s.url}${path}`, {
    method: 'POST',
    headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...form, csrf_token: admin.csrf }).toString(),
    redirect: 'manual',
  });

before(async () => {
  s = await startTestServer();
  admin = await signInToConsole(s, await createTestUser(s.gh, { roles: ['admin'] }));
});
after(() => s?.close());

describe('console pages', () => {
  test('a query parameter given twice gets the 400 page naming it, never a 500 (Fastify parses a repeated key as an array)', async () => {
    for (const [path, name] of [
      ['/admin/clients?sort=a&sort=b', 'sort'],
      ['/admin/users?sort=username&sort=-created_at', 'sort'],
      ['/admin/device-codes?sort=x&sort=y', 'sort'],
      ['/admin/clients?q=a&q=b', 'q'],
      ['/admin/users?cursor=a&cursor=b', 'cursor'],
      ['/admin/audit?since=a&since=b', 'since'],
      ['/admin/audit?actor=a&actor=b', 'actor'],
      ['/admin/grants?user=a&user=b', 'user'],
      ['/admin/consents?user=a&user=b', 'user'],
      ['/admin/keys?done=rotated&done=rotated', 'done'],
    ] as const) {
      const r = await get(path);
      assert.equal(r.status, 400, path);
      assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
      const text = await r.text();
      assert.match(text, /<title>Not accepted/, path);
      assert.match(text, new RegExp(`${name}: give this query parameter once`), path);
    }
  });
  test("OWASP content spoofing: ?done= on the grants page picks one of the console's own notices; any other text shows nothing", async () => {
    const user = await createTestUser(s.gh, { roles: ['user'] });
    const bait = 'Your session expired. Call +1-555-0100 to restore access';
    for (const path of [`/admin/grants?done=${encodeURIComponent(bait)}`, `/admin/grants?user=${user.id}&done=${encodeURIComponent(bait)}`]) {
      const r = await get(path);
      assert.equal(r.status, 200, path);
      const page = await r.text();
      assert.ok(!page.includes('Your session expired'), `${path}: the URL's text is not shown`);
      assert.doesNotMatch(page, /role="status"/, `${path}: no notice at all`);
    }
    // The console's own redirect after "Revoke all" still says what happened.
    const done = await post('/admin/grants/revoke-all', { user: user.id });
    assert.equal(done.status, 303);
    const location = done.headers.get('location')!;
    assert.doesNotMatch(location, /revoked\./, 'the redirect carries a key, not a sentence');
    const after = await (await get(new URL(location).pathname + new URL(location).search)).text();
    assert.match(after, /Every grant was revoked\./);
  });
  test("OWASP IDOR: a user page's End button ends that user's session only; another user's sid through it is the 404 page and stays signed in", async () => {
    // Two people signed in to Gatehouse (each through the console's sign-in: one sid each).
    const alice = await createTestUser(s.gh, { roles: ['user'] });
    const bob = await createTestUser(s.gh, { roles: ['user'] });
    for (const u of [alice, bob]) await consoleBrowserSignIn(u);
    const sidOf = async (u: TestUser) => {
      const page = (await s.gh.services.application.run('sessions.list', CLI, { user: u.id })) as { items: { sid: string }[] };
      return page.items.map((i) => i.sid);
    };
    const [bobSid] = await sidOf(bob);
    assert.ok(bobSid, 'bob is signed in');
    const wrong = await post(`/admin/users/${encodeURIComponent(alice.id)}/sessions/${encodeURIComponent(bobSid)}/end`, {});
    assert.equal(wrong.status, 404);
    assert.match(await wrong.text(), /<title>Not found/);
    assert.deepEqual(await sidOf(bob), [bobSid], "bob's session was not ended through alice's page");
    const [aliceSid] = await sidOf(alice);
    const right = await post(`/admin/users/${encodeURIComponent(alice.id)}/sessions/${encodeURIComponent(aliceSid!)}/end`, {});
    assert.equal(right.status, 200);
    assert.match(await right.text(), /The session was ended\./);
    assert.deepEqual(await sidOf(alice), []);
  });
});

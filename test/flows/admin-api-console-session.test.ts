/**
 * The admin API with the console session (issue #11: "Authentication by Bearer … or by the
 * console session (cookie-authenticated calls carry a CSRF token)"): an operator signed in to
 * /admin through the real OIDC flow calls /admin/api/v1 from the same browser with the console's
 * cookie; reads need nothing more, a mutation needs the page's CSRF token in `x-csrf-token`; the
 * auditor role reads only; the audit record names the person.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Actor } from '../../src/app/actor.ts';
import { createTestUser } from '../support/oidc.ts';
import { type ConsoleSession, signInToConsole } from '../support/admin-api.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const CLI: Actor = { kind: 'cli', id: 'console-session-test', roles: ['admin'] };
let s: TestServer;

before(async () => {
  s = await startTestServer();
});
after(() => s?.close());

/** Signs in to the console as a new user with `roles`; returns its cookie header and the CSRF token of a console page. */
async function consoleBrowser(roles: string[]): Promise<ConsoleSession> {
  return signInToConsole(s, await createTestUser(s.gh, { roles }));
}

const api = (path: string, headers: Record<string, string>, init: RequestInit = {}) =>
  fetch(`${s.url}/admin/api/v1${path}`, { ...init, headers: { 'content-type': 'application/json', ...headers } });
const newClient = JSON.stringify({ client_name: 'from the console session', grant_types: ['client_credentials'] });

describe('admin API over the console session', () => {
  test('an admin reads with the cookie alone and mutates with the cookie plus x-csrf-token; the record names the person', async () => {
    const b = await consoleBrowser(['admin']);
    assert.equal((await api('/clients', { cookie: b.cookie })).status, 200);
    const forged = await api('/clients', { cookie: b.cookie }, { method: 'POST', body: newClient });
    assert.equal(forged.status, 403, 'no CSRF token: refused (a cross-site form or fetch cannot read it)');
    assert.match(((await forged.json()) as { detail: string }).detail, /x-csrf-token/);
    const wrong = await api('/clients', { cookie: b.cookie, 'x-csrf-token': `${b.csrf}x` }, { method: 'POST', body: newClient });
    assert.equal(wrong.status, 403, 'a wrong CSRF token: refused');
    const made = await api('/clients', { cookie: b.cookie, 'x-csrf-token': b.csrf }, { method: 'POST', body: newClient });
    assert.equal(made.status, 201, await made.clone().text());
    const { client_id } = (await made.json()) as { client_id: string };
    const page = (await s.gh.services.application.run('audit.list', CLI, { action: 'clients.create', object: client_id })) as {
      items: { actor: { kind: string; id: string } }[];
    };
    assert.deepEqual(
      page.items.map((i) => [i.actor.kind, i.actor.id]),
      [['admin_user', b.userId]],
    );
  });

  test('an auditor reads but cannot mutate, even with the CSRF token', async () => {
    const b = await consoleBrowser(['auditor']);
    assert.equal((await api('/clients', { cookie: b.cookie })).status, 200);
    assert.equal((await api('/clients', { cookie: b.cookie, 'x-csrf-token': b.csrf }, { method: 'POST', body: newClient })).status, 403);
  });

  test('a signed-in user with neither role gets 403; no session at all gets the 401 token challenge', async () => {
    const b = await consoleBrowser(['user']).catch(() => null);
    if (b) assert.equal((await api('/clients', { cookie: b.cookie })).status, 403);
    const none = await api('/clients', {});
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /resource_metadata=/);
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { buildConfig } from '../../config/load.ts';
import { consoleReturnPath, createConsoleSessions } from './console-session.ts';

function fakeReply(): FastifyReply & { cookies: string[] } {
  const cookies: string[] = [];
  const reply = {
    cookies,
    header(name: string, value: string) {
      if (name === 'set-cookie') cookies.push(value);
      return reply;
    },
  };
  return reply as unknown as FastifyReply & { cookies: string[] };
}
const request = (cookie: string) => ({ headers: { cookie } }) as unknown as FastifyRequest;
const clock = { now: () => 1_800_000_000_000 };

test('RFC 6265bis §4.1.3.2: with an https issuer the console cookies carry the __Host- prefix, Secure, HttpOnly, SameSite=Lax, Path=/', () => {
  const config = buildConfig({ issuer: 'https://id.example.com', kek: Buffer.alloc(32, 3).toString('base64') } as never);
  const sessions = createConsoleSessions(config, Buffer.alloc(32, 3), clock);
  const reply = fakeReply();
  const url = new URL(sessions.begin(reply, '/admin/clients'));
  sessions.start(reply, 'user-1', 3);
  assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
  assert.equal(url.searchParams.get('redirect_uri'), 'https://id.example.com/admin/callback');
  assert.match(reply.cookies[0]!, /^__Host-gh_console_flow=.+; Max-Age=600; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
  assert.match(reply.cookies[1]!, /^__Host-gh_console=.+; Max-Age=28800; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
  // The session cookie opens on any instance with the same KEK, and names the user.
  const value = reply.cookies[1]!.split(';')[0]!;
  assert.deepEqual(sessions.current(request(value)), { userId: 'user-1', epoch: 3 }, 'the user and the session generation');
  // An altered cookie, one sealed under another KEK, and an expired one are refused.
  assert.equal(sessions.current(request(`${value.slice(0, -2)}xx`)), null);
  const other = createConsoleSessions(config, Buffer.alloc(32, 4), clock);
  assert.equal(other.current(request(value)), null);
  const later = createConsoleSessions(config, Buffer.alloc(32, 3), { now: () => clock.now() + 28_801_000 });
  assert.equal(later.current(request(value)), null);
});

test('OAuth 2.0 §10.12 (CSRF on the redirect URI): the callback state must match the flow cookie of this browser', () => {
  const config = buildConfig({ issuer: 'http://127.0.0.1:9', kek: Buffer.alloc(32, 3).toString('base64') } as never);
  const sessions = createConsoleSessions(config, Buffer.alloc(32, 3), clock);
  const reply = fakeReply();
  const state = new URL(sessions.begin(reply, '/admin/keys')).searchParams.get('state')!;
  const flowCookie = reply.cookies[0]!.split(';')[0]!;
  assert.equal(sessions.takeFlow(request(flowCookie), fakeReply(), 'another-state'), null);
  assert.equal(sessions.takeFlow(request(''), fakeReply(), state), null, 'no flow cookie: refused');
  const cleared = fakeReply();
  const flow = sessions.takeFlow(request(flowCookie), cleared, state);
  assert.equal(flow?.returnTo, '/admin/keys');
  assert.match(cleared.cookies[0]!, /^gh_console_flow=; Max-Age=0/, 'the flow cookie is deleted (used once)');
});

test('RFC 9700 §4.11 (open redirection): only paths under /admin are returned to after sign-in', () => {
  for (const bad of ['//evil.example', 'https://evil.example/admin', '/admin//evil.example', '/other', '/admin\\evil', '/administrator', 42, undefined]) {
    assert.equal(consoleReturnPath(bad), '/admin', String(bad));
  }
  assert.equal(consoleReturnPath('/admin/clients?sort=-client_name&q=a'), '/admin/clients?sort=-client_name&q=a');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import type { SessionRecord } from '../core/model/session.ts';
import { readCookie, sessionCookieName, setSessionCookies } from './session-cookie.ts';

const session: SessionRecord = {
  tenantId: 'default',
  hash: 'h',
  currentUserId: 'u1',
  createdAt: 1000,
  lastSeenAt: 1000,
  expiresAt: 1000 + 3600,
  accounts: [{ userId: 'u1', sid: 'sid-1', authTime: 1000, amr: ['pwd'], acr: null, clientIds: [] }],
};

async function cookiesFor(issuer: string): Promise<string[]> {
  const config = { issuer, session: { cookieName: 'gh_session' } } as const;
  const app = Fastify();
  app.get('/', async (_req, reply) => {
    setSessionCookies(reply, config as never, 'value-1', session, 1000);
    return 'ok';
  });
  const res = await app.inject({ url: '/' });
  await app.close();
  const set = res.headers['set-cookie'];
  return Array.isArray(set) ? set : [String(set)];
}

test('RFC 6265bis §4.1.3.2: on an https issuer the session cookie is __Host- prefixed, Secure, Path=/, no Domain', async () => {
  const [session] = await cookiesFor('https://id.example');
  assert.match(session!, /^__Host-gh_session=value-1;/);
  assert.match(session!, /; Secure/);
  assert.match(session!, /; Path=\//);
  assert.match(session!, /; HttpOnly/);
  assert.match(session!, /; SameSite=Lax/);
  assert.doesNotMatch(session!, /Domain=/i);
  assert.equal(sessionCookieName({ issuer: 'https://id.example', session: { cookieName: '__Host-x' } } as never), '__Host-x');
});

test('plain http (development): the configured name, not Secure (browsers refuse __Host- without it)', async () => {
  const [session] = await cookiesFor('http://localhost:8080');
  assert.match(session!, /^gh_session=value-1;/);
  assert.doesNotMatch(session!, /Secure/);
});

test('the session cookie is read back under the same name', async () => {
  const app = Fastify();
  app.get('/', async (req) => readCookie(req, sessionCookieName({ issuer: 'https://id.example', session: { cookieName: 'gh_session' } } as never)) ?? 'none');
  const res = await app.inject({ url: '/', headers: { cookie: 'gh_session=planted; __Host-gh_session=real' } });
  await app.close();
  assert.equal(res.body, 'real', 'a cookie without the prefix (settable by a sibling domain) is ignored');
});

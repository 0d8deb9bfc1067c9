/**
 * Pages opened on another host name of the server are sent to the issuer's origin (RFC 9110
 * §15.4.4 303 See Other), so the sign-in form can post where its CSP allows; JSON endpoints stay.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/server.ts';

describe('canonical host for browser pages', () => {
  let server: TestServer;
  let port: string;
  before(async () => {
    server = await startTestServer({}, { issuerHost: 'localhost' });
    port = new URL(server.url).port;
  });
  after(() => server.close());

  test('RFC 9110 §15.4.4: GET /authorize on 127.0.0.1 is 303 to the same path and query on the issuer (localhost)', async () => {
    const query = '?response_type=code&client_id=abc&redirect_uri=http%3A%2F%2F127.0.0.1%3A8400%2Fcb&state=s%20t';
    const res = await fetch(`http://127.0.0.1:${port}/authorize${query}`, { redirect: 'manual' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), `http://localhost:${port}/authorize${query}`);
    for (const page of ['/login?interaction=x', '/device', '/end_session']) {
      const r = await fetch(`http://127.0.0.1:${port}${page}`, { redirect: 'manual' });
      assert.equal(r.status, 303, page);
      assert.equal(r.headers.get('location'), `http://localhost:${port}${page}`, page);
    }
  });

  test('the issuer host itself is served, not redirected', async () => {
    const res = await fetch(`http://localhost:${port}/device`, { redirect: 'manual' });
    assert.equal(res.status, 200);
  });

  test('JSON endpoints, discovery, JWKS, /token and health answer on any host', async () => {
    for (const path of ['/.well-known/openid-configuration', '/jwks.json', '/health']) {
      const r = await fetch(`http://127.0.0.1:${port}${path}`, { redirect: 'manual' });
      assert.equal(r.status, 200, path);
    }
    const token = await fetch(`http://127.0.0.1:${port}/token`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    assert.equal(token.status, 401);
  });

  test('a POST to a page is not redirected (a 303 would drop the form)', async () => {
    const r = await fetch(`http://127.0.0.1:${port}/device`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'user_code=x',
    });
    assert.notEqual(r.status, 303);
  });
});

describe('canonical host behind a proxy (http.trustProxy)', () => {
  test('the forwarded host is compared, not the socket host', async () => {
    const server = await startTestServer({ http: { trustProxy: true } }, { issuerHost: 'localhost' });
    try {
      const port = new URL(server.url).port;
      const ok = await fetch(`http://127.0.0.1:${port}/device`, { redirect: 'manual', headers: { 'x-forwarded-host': `localhost:${port}` } });
      assert.equal(ok.status, 200);
      const moved = await fetch(`http://127.0.0.1:${port}/device`, { redirect: 'manual', headers: { 'x-forwarded-host': 'other.example' } });
      assert.equal(moved.status, 303);
      assert.equal(moved.headers.get('location'), `http://localhost:${port}/device`);
    } finally {
      await server.close();
    }
  });
});

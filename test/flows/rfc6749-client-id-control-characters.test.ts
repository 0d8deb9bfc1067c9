/**
 * RFC 6749 §2.3 / §5.2 and Appendix A.1: a client_id is printable characters. One with a NUL or
 * another control character names no client: every endpoint that authenticates clients answers
 * invalid_client (401), on every store. PostgreSQL cannot hold a NUL in a text value at all, so
 * such a value must never reach it as a lookup (it was a 500 there); a NUL that reaches the store
 * another way is refused as malformed input (400), never a 500.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { createTestDatabase } from '../support/databases.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

for (const kind of ['memory', 'sqlite', 'postgres', 'mysql'] as const) {
  describe(`client_id with a control character (${kind})`, async () => {
    let database: { url: string } | undefined;
    if (kind === 'postgres' || kind === 'mysql') {
      const db = await createTestDatabase(kind);
      if ('skip' in db) {
        test('skipped', { skip: db.skip }, () => {});
        return;
      }
      after(() => db.drop());
      database = { url: db.url };
    } else if (kind === 'sqlite') database = { url: 'sqlite::memory:' };
    const server: TestServer = await startTestServer(database ? { database } : {});
    after(() => server.close());
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${server.url}${path}`, { method: 'POST', headers: { ...FORM, ...headers }, body });
    const assertInvalidClient = async (res: Response, basicUsed: boolean) => {
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as { error: string }).error, 'invalid_client');
      if (basicUsed) assert.match(res.headers.get('www-authenticate') ?? '', /^Basic/);
    };

    for (const id of ['a\u0000b', 'a\u0001b', 'a\u007fb', 'a\nb']) {
      const label = JSON.stringify(id);
      test(`RFC 6749 §5.2 ${label} in Basic is invalid_client at /token, /introspect, /revoke, /par and /device_authorization`, async () => {
        for (const [path, body] of [
          ['/token', 'grant_type=client_credentials'],
          ['/introspect', 'token=x'],
          ['/revoke', 'token=x'],
          ['/par', 'response_type=code&redirect_uri=https%3A%2F%2Frp.example%2Fcb'],
          ['/device_authorization', 'scope=openid'],
        ] as const) {
          await assertInvalidClient(await post(path, body, { authorization: basic(id, 'secret') }), true);
        }
      });

      test(`RFC 6749 §2.3.1 ${label} as client_id in the body (client_secret_post, none) is invalid_client`, async () => {
        const enc = encodeURIComponent(id);
        await assertInvalidClient(await post('/token', `grant_type=client_credentials&client_id=${enc}&client_secret=x`), false);
        await assertInvalidClient(await post('/revoke', `token=x&client_id=${enc}`), false);
        await assertInvalidClient(await post('/device_authorization', `client_id=${enc}`), false);
      });
    }

    test('RFC 7523 §3 an assertion whose sub and iss carry a NUL is invalid_client', async () => {
      const assertion = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('a\u0000b')
        .setSubject('a\u0000b')
        .setAudience(server.url)
        .setJti('j-1')
        .setExpirationTime('1m')
        .sign(new Uint8Array(32).fill(7));
      const body = new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      });
      await assertInvalidClient(await post('/token', body.toString()), false);
    });

    test('RFC 6749 §4.1.2.1 /authorize with a NUL in client_id gets an error page, not a 500', async () => {
      const res = await fetch(`${server.url}/authorize?response_type=code&client_id=a%00b&redirect_uri=https%3A%2F%2Frp.example%2Fcb`);
      assert.ok(res.status >= 400 && res.status < 500, `status ${res.status}`);
      assert.doesNotMatch(await res.text(), /server_error|stack/i);
    });
  });
}

import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { OAuthError } from '../core/errors.ts';
import { extractClientCredentials, JWT_BEARER_ASSERTION_TYPE } from './client-credentials.ts';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const req = (authorization?: string | string[]) => ({ headers: authorization === undefined ? {} : { authorization } });

function rejects(fn: () => unknown, code: string, status: number): OAuthError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof OAuthError, `expected OAuthError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.status, status);
    return e;
  }
  assert.fail('expected an OAuthError');
}

test('RFC 6749 §2.3.1 reads client_secret_basic credentials', () => {
  assert.deepEqual(extractClientCredentials(req(basic('app', 's3cr3t')), {}), { kind: 'basic', clientId: 'app', clientSecret: 's3cr3t' });
});

test('RFC 6749 §2.3.1 form-urlencoding of id and secret is decoded before use', () => {
  const creds = extractClientCredentials(req(basic('my%3Aapp', 'a%2Bb+c%25')), {});
  assert.deepEqual(creds, { kind: 'basic', clientId: 'my:app', clientSecret: 'a+b c%' });
});

test('RFC 6749 §2.3.1 the Basic scheme name is case-insensitive and the secret may hold colons', () => {
  const h = `bAsIc ${Buffer.from('app:a:b').toString('base64')}`;
  assert.deepEqual(extractClientCredentials(req(h), {}), { kind: 'basic', clientId: 'app', clientSecret: 'a:b' });
});

test('RFC 6749 §5.2 a malformed Basic header is invalid_client 401 with WWW-Authenticate Basic', () => {
  for (const h of [
    'Basic',
    'Basic !!!not-base64',
    `Basic ${Buffer.from('nocolon').toString('base64')}`,
    `Basic ${Buffer.from(':secret').toString('base64')}`,
    `Basic ${Buffer.from('a%zz:b').toString('base64')}`,
  ]) {
    const e = rejects(() => extractClientCredentials(req(h), {}), 'invalid_client', 401);
    assert.match(e.headers['www-authenticate'] ?? '', /^Basic /);
  }
});

test('RFC 6749 §2.3 a repeated Authorization header is invalid_request', () => {
  rejects(() => extractClientCredentials(req([basic('a', 'b'), basic('c', 'd')]), {}), 'invalid_request', 400);
});

test('RFC 6749 §2.3.1 reads client_secret_post credentials', () => {
  assert.deepEqual(extractClientCredentials(req(), { client_id: 'app', client_secret: 'x' }), { kind: 'post', clientId: 'app', clientSecret: 'x' });
});

test('RFC 6749 §2.3.1 client_secret without client_id is invalid_request', () => {
  rejects(() => extractClientCredentials(req(), { client_secret: 'x' }), 'invalid_request', 400);
});

test('RFC 6749 §2.3 Basic plus a client_secret in the body is invalid_request', () => {
  rejects(() => extractClientCredentials(req(basic('app', 'x')), { client_id: 'app', client_secret: 'x' }), 'invalid_request', 400);
});

test('RFC 6749 §2.3 Basic plus a client assertion is invalid_request', () => {
  rejects(
    () => extractClientCredentials(req(basic('app', 'x')), { client_assertion: 'a.b.c', client_assertion_type: JWT_BEARER_ASSERTION_TYPE }),
    'invalid_request',
    400,
  );
});

test('RFC 6749 §2.3 Basic with a different client_id in the body is invalid_request', () => {
  rejects(() => extractClientCredentials(req(basic('app', 'x')), { client_id: 'other' }), 'invalid_request', 400);
  assert.equal(extractClientCredentials(req(basic('app', 'x')), { client_id: 'app' }).kind, 'basic');
});

test('RFC 6749 §2.3 an assertion plus a client_secret is invalid_request', () => {
  rejects(
    () =>
      extractClientCredentials(req(), {
        client_id: 'app',
        client_secret: 'x',
        client_assertion: 'a.b.c',
        client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
      }),
    'invalid_request',
    400,
  );
});

test('RFC 7523 §2.2 reads a JWT client assertion with the optional client_id', () => {
  assert.deepEqual(extractClientCredentials(req(), { client_assertion: 'a.b.c', client_assertion_type: JWT_BEARER_ASSERTION_TYPE }), {
    kind: 'assertion',
    assertionType: JWT_BEARER_ASSERTION_TYPE,
    assertion: 'a.b.c',
    clientId: undefined,
  });
  const withId = extractClientCredentials(req(), { client_id: 'app', client_assertion: 'a.b.c', client_assertion_type: JWT_BEARER_ASSERTION_TYPE });
  assert.equal(withId.kind === 'assertion' && withId.clientId, 'app');
});

test('RFC 7521 §4.2 client_assertion without client_assertion_type (or the reverse) is invalid_request', () => {
  rejects(() => extractClientCredentials(req(), { client_assertion: 'a.b.c' }), 'invalid_request', 400);
  rejects(() => extractClientCredentials(req(), { client_assertion_type: JWT_BEARER_ASSERTION_TYPE }), 'invalid_request', 400);
});

test('RFC 7523 §2.2 another client_assertion_type is an unsupported method: invalid_client', () => {
  const e = rejects(
    () => extractClientCredentials(req(), { client_assertion: 'a.b.c', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer' }),
    'invalid_client',
    401,
  );
  assert.ok(e.headers['www-authenticate']);
});

test('RFC 6749 §2.3.1 only client_id is a public client (none); nothing at all is absent', () => {
  assert.deepEqual(extractClientCredentials(req(), { client_id: 'spa' }), { kind: 'none', clientId: 'spa' });
  assert.deepEqual(extractClientCredentials(req(), {}), { kind: 'absent' });
  assert.deepEqual(extractClientCredentials(req(), { client_id: '' }), { kind: 'absent' });
});

test('RFC 6749 §2.3 an Authorization header with another scheme is not client authentication', () => {
  assert.deepEqual(extractClientCredentials(req('Bearer abc'), { client_id: 'spa' }), { kind: 'none', clientId: 'spa' });
});

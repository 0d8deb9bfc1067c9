import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OAuthError } from './errors.ts';

test('RFC 6749 §5.2 invalid_client is 401 with WWW-Authenticate', () => {
  const e = OAuthError.invalidClient();
  assert.equal(e.status, 401);
  assert.match(e.headers['www-authenticate'] ?? '', /^Basic /);
  assert.deepEqual(Object.keys(e.toJSON()).sort(), ['error', 'error_description']);
});

test('S7 detail never reaches the wire', () => {
  const e = OAuthError.invalidGrant('bad grant', 'secret internal detail');
  assert.ok(!JSON.stringify(e.toJSON()).includes('secret internal detail'));
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCorsPublicPath } from './cors.ts';

test('CORS: only the public protocol endpoints are CORS-enabled', () => {
  for (const p of [
    '/token',
    '/introspect',
    '/revoke',
    '/jwks.json',
    '/userinfo',
    '/.well-known/openid-configuration',
    '/.well-known/oauth-authorization-server',
  ]) {
    assert.equal(isCorsPublicPath(p), true, p);
  }
  for (const p of ['/admin/api/v1/keys', '/admin', '/docs', '/metrics', '/ready', '/token/x', '/tokens', '/register', '/']) {
    assert.equal(isCorsPublicPath(p), false, p);
  }
});

test('CORS: public endpoints under an issuer path match, admin under it does not', () => {
  assert.equal(isCorsPublicPath('/auth/token', '/auth'), true);
  assert.equal(isCorsPublicPath('/auth/.well-known/openid-configuration', '/auth'), true);
  assert.equal(isCorsPublicPath('/auth/admin/api/v1/keys', '/auth'), false);
  assert.equal(isCorsPublicPath('/authx/token', '/auth'), false);
});

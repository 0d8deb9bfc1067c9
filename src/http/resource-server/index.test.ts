import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OAuthError } from '../../core/errors.ts';
import type { AccessTokenVerifier } from '../../core/tokens/access-token-verifier.ts';
import { createProtectedResource } from './index.ts';

const verifier: AccessTokenVerifier = {
  verify: async (token, audience) => {
    if (token !== 'good') throw OAuthError.invalidToken('the access token is invalid');
    return { clientId: 'c', subject: 'c', scope: ['s'], audience: [audience], expiresAt: 0, user: false, endUser: null };
  },
};

const req = (authorization: string | undefined) => ({ authorization, dpop: undefined, method: 'GET', url: '/r' });

test('RFC 9728 §3.1: the metadata URL inserts the well-known suffix between host and the resource path', () => {
  const pr = createProtectedResource({ issuer: 'https://id.example', path: '/admin/api/v1', scopes: ['s'], verifier });
  assert.equal(pr.resource, 'https://id.example/admin/api/v1');
  assert.equal(pr.metadataUrl, 'https://id.example/.well-known/oauth-protected-resource/admin/api/v1');
  assert.deepEqual(pr.metadataPaths, ['/.well-known/oauth-protected-resource/admin/api/v1']);
  assert.deepEqual(pr.metadata, {
    resource: 'https://id.example/admin/api/v1',
    authorization_servers: ['https://id.example'],
    scopes_supported: ['s'],
    bearer_methods_supported: ['header'],
  });
});

test('RFC 9728 §3.1: an issuer with a path keeps it in the identifier; the proxy-stripped path is served too', () => {
  const pr = createProtectedResource({ issuer: 'https://h.example/tenant', path: '/admin/api/v1', scopes: [], verifier });
  assert.equal(pr.resource, 'https://h.example/tenant/admin/api/v1');
  assert.equal(pr.metadataUrl, 'https://h.example/.well-known/oauth-protected-resource/tenant/admin/api/v1');
  assert.deepEqual(pr.metadataPaths, ['/.well-known/oauth-protected-resource/tenant/admin/api/v1', '/.well-known/oauth-protected-resource/admin/api/v1']);
});

test('RFC 9728 §5.1 / RFC 6750 §3.1: challenges name the metadata; no error code without credentials', async () => {
  const pr = createProtectedResource({ issuer: 'https://id.example', path: '/r', scopes: [], verifier });
  const meta = 'resource_metadata="https://id.example/.well-known/oauth-protected-resource/r"';
  for (const header of [undefined, 'Basic abc', 'Bearer']) {
    await assert.rejects(pr.authenticate(req(header)), (e: OAuthError) => e.status === 401 && e.headers['www-authenticate'] === `Bearer ${meta}`);
  }
  await assert.rejects(
    pr.authenticate(req('Bearer bad')),
    (e: OAuthError) =>
      e.status === 401 && e.headers['www-authenticate'] === `Bearer ${meta}, error="invalid_token", error_description="the access token is invalid"`,
  );
  assert.equal((await pr.authenticate(req('bearer good'))).clientId, 'c', 'the scheme is case-insensitive');
  const forbidden = pr.insufficientScope(['a', 'b']);
  assert.equal(forbidden.status, 403);
  assert.match(
    forbidden.headers['www-authenticate'] ?? '',
    /^Bearer resource_metadata="[^"]+", error="insufficient_scope", error_description="[^"]+", scope="a b"$/,
  );
});

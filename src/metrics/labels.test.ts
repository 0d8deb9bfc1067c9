import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AUTH_FAILURE_REASONS, authFailureReason, authMethodLabel, grantTypeLabel, httpMethodLabel } from './labels.ts';

test('metrics labels: a reason that is already a known code is kept', () => {
  for (const r of AUTH_FAILURE_REASONS) assert.equal(authFailureReason(r), r);
});

test('metrics labels: free-text failure reasons are classified into the fixed set', () => {
  // The reasons the client authenticator (src/core/client-auth) publishes today, and a few more.
  const cases: readonly (readonly [string, string])[] = [
    ['unknown client', 'unknown_client'],
    ['client disabled', 'client_disabled'],
    ['client registered for client_secret_basic, used client_secret_post', 'method_not_allowed'],
    ['public client not allowed here', 'method_not_allowed'],
    ['client secret expired', 'expired'],
    ['secret mismatch', 'invalid_secret'],
    ['assertion has no sub/iss', 'invalid_assertion'],
    ['client_id does not match the assertion', 'invalid_assertion'],
    ['assertion jti replayed', 'assertion_replayed'],
    ['no client authentication', 'missing_credentials'],
    ['client_secret_jwt client has no sealed secret', 'invalid_assertion'],
    ['private_key_jwt client has no registered keys', 'invalid_assertion'],
    ['assertion rejected: JWTExpired: "exp" claim timestamp check failed', 'expired'],
    ['assertion rejected: JWSSignatureVerificationFailed: signature verification failed', 'invalid_assertion'],
    ['assertion exp/jti malformed', 'malformed'],
    ['assertion exp too far in the future', 'invalid_assertion'],
    ['assertion lifetime too long', 'invalid_assertion'],
    ['basic credentials are not base64', 'malformed'],
    ['🙃 something else', 'other'],
  ];
  for (const [text, label] of cases) assert.equal(authFailureReason(text), label, text);
});

test('metrics labels: every classified reason is in the documented set', () => {
  const set = new Set<string>(AUTH_FAILURE_REASONS);
  for (const text of ['x', 'secret', 'jwt', 'unknown', 'expired', '', 'a'.repeat(10_000)]) assert.ok(set.has(authFailureReason(text)));
});

test('metrics labels: methods outside the known sets collapse to one value', () => {
  assert.equal(authMethodLabel('private_key_jwt'), 'private_key_jwt');
  assert.equal(authMethodLabel('jwt_assertion'), 'jwt_assertion');
  assert.equal(authMethodLabel(null), 'unknown');
  assert.equal(authMethodLabel('made_up'), 'other');
  assert.equal(httpMethodLabel('POST'), 'POST');
  assert.equal(httpMethodLabel('MKCOL'), 'OTHER');
  assert.equal(grantTypeLabel('urn:ietf:params:oauth:grant-type:device_code'), 'urn:ietf:params:oauth:grant-type:device_code');
  assert.equal(grantTypeLabel('bad value with spaces'), 'other');
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OAuthError } from '../errors.ts';
import { asAuthorizationError, AuthorizationError, authorizationErrorResponse } from './authorization-error.ts';

describe('RFC 6749 §4.1.2.1 error responses', () => {
  test('RFC 9207 §2 an error response carries error, error_description, state and iss', () => {
    const e = AuthorizationError.toClient(
      { redirectUri: 'https://rp.example/cb', responseMode: 'fragment', state: 's' },
      OAuthError.of('login_required', 'sign in', 'private detail'),
    );
    assert.deepEqual(authorizationErrorResponse(e, 'https://as.example'), {
      redirectUri: 'https://rp.example/cb',
      responseMode: 'fragment',
      params: { error: 'login_required', error_description: 'sign in', state: 's', iss: 'https://as.example' },
    });
    assert.equal(JSON.stringify(authorizationErrorResponse(e, 'x')).includes('private detail'), false, 'S7: detail never reaches the wire');
  });
  test('RFC 6749 §4.1.2.1 an error page has no response to send', () => {
    assert.equal(authorizationErrorResponse(AuthorizationError.page(OAuthError.invalidRequest('bad')), 'x'), null);
  });
  test('asAuthorizationError wraps OAuth errors and leaves others alone', () => {
    const wrapped = asAuthorizationError(OAuthError.invalidScope('no'), null);
    assert.ok(wrapped instanceof AuthorizationError && wrapped.redirect === null && wrapped.error.code === 'invalid_scope');
    const other = new Error('boom');
    assert.equal(asAuthorizationError(other, null), other);
  });
});

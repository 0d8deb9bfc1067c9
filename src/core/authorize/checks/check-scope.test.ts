import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { webClient } from '../../../../test/support/authorize-fixtures.ts';
import { OAuthError } from '../../errors.ts';
import { checkScope } from './check-scope.ts';
import { checkNonce, checkState, MAX_STATE_LENGTH } from './check-state.ts';

const client = webClient();
const firstParty = webClient({ metadata: { first_party: true } });
const ctx = (responseType = 'code', prompt: string[] = []) => ({ responseType, prompt });
const is = (c: string) => (e: unknown) => e instanceof OAuthError && e.code === c;

describe('RFC 6749 §3.3 scope', () => {
  test('RFC 6749 §3.3 registered scopes pass; openid marks an OpenID request', () => {
    assert.deepEqual(checkScope(client, { scope: 'openid email' }, ctx()), { scope: ['openid', 'email'], openid: true });
    assert.deepEqual(checkScope(client, { scope: 'read' }, ctx()), { scope: ['read'], openid: false });
  });
  test('RFC 6749 §4.1.2.1 a scope the client is not registered for is invalid_scope', () => {
    assert.throws(() => checkScope(client, { scope: 'openid admin' }, ctx()), is('invalid_scope'));
  });
  test('RFC 6749 §3.3 malformed scope is invalid_scope', () => {
    assert.throws(() => checkScope(client, { scope: 'openid  email' }, ctx()), is('invalid_scope'));
    assert.throws(() => checkScope(client, { scope: 'open"id' }, ctx()), is('invalid_scope'));
  });
  test('RFC 6749 §3.3 without scope the default is the empty scope (nothing widened)', () => {
    assert.deepEqual(checkScope(client, {}, ctx()), { scope: [], openid: false });
  });
  test('OIDC Core §3.2.2.1 an id_token response type without openid is invalid_request', () => {
    assert.throws(() => checkScope(client, { scope: 'email' }, ctx('code id_token')), is('invalid_request'));
  });
});

describe('OIDC Core §11 offline_access', () => {
  test('OIDC Core §11 offline_access is ignored without prompt=consent', () => {
    assert.deepEqual(checkScope(client, { scope: 'openid offline_access' }, ctx()).scope, ['openid']);
  });
  test('OIDC Core §11 offline_access is kept with prompt=consent', () => {
    assert.deepEqual(checkScope(client, { scope: 'openid offline_access' }, ctx('code', ['consent'])).scope, ['openid', 'offline_access']);
  });
  test('OIDC Core §11 a first-party client needs no prompt=consent for offline_access', () => {
    assert.deepEqual(checkScope(firstParty, { scope: 'openid offline_access' }, ctx()).scope, ['openid', 'offline_access']);
  });
  test('OIDC Core §11 offline_access is ignored when no code is returned', () => {
    assert.deepEqual(checkScope(client, { scope: 'openid offline_access' }, ctx('id_token token', ['consent'])).scope, ['openid']);
  });
  test('a plain OAuth request keeps offline_access as an ordinary scope', () => {
    assert.deepEqual(checkScope(client, { scope: 'read offline_access' }, ctx()).scope, ['read', 'offline_access']);
  });
});

describe('RFC 6749 §4.1.1 state and OIDC Core nonce', () => {
  test('RFC 6749 §4.1.2 state is kept exactly as received', () => {
    assert.equal(checkState({ state: ' a+b/c%20 ' }), ' a+b/c%20 ');
    assert.equal(checkState({}), null);
    assert.equal(checkState({ state: 'x'.repeat(MAX_STATE_LENGTH) })?.length, MAX_STATE_LENGTH);
  });
  test('an oversized state is invalid_request', () => {
    assert.throws(() => checkState({ state: 'x'.repeat(MAX_STATE_LENGTH + 1) }), is('invalid_request'));
  });
  test('OIDC Core §3.2.2.1 / §3.3.2.11 nonce is required for every OpenID response type but code', () => {
    assert.equal(checkNonce({}, 'code', true), null);
    for (const rt of ['code id_token', 'code token', 'code id_token token', 'id_token', 'id_token token']) {
      assert.throws(() => checkNonce({}, rt, true), is('invalid_request'), rt);
    }
    assert.equal(checkNonce({ nonce: 'n-0S6' }, 'id_token', true), 'n-0S6');
    assert.equal(checkNonce({}, 'code token', false), null, 'not an OpenID request');
  });
});

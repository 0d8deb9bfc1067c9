import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { nativeClient, webClient } from '../../../../test/support/authorize-fixtures.ts';
import { OAuthError } from '../../errors.ts';
import { checkPkce } from './check-pkce.ts';

const S256 = createHash('sha256').update('dBjftJeZ4CVP-mJ0e4dR6zrVqAq1oP8rFMCRyT9AOFg').digest('base64url');
const PLAIN = 'dBjftJeZ4CVP-mJ0e4dR6zrVqAq1oP8rFMCRyT9AOFg-plain.value~';
const cfg = (pkceRequired: 'public' | 'all' = 'public', allowPlainPkce = false) => ({ authorization: { pkceRequired, allowPlainPkce } });
const invalid = (e: unknown) => e instanceof OAuthError && e.code === 'invalid_request';
const pub = nativeClient();
const conf = webClient();

describe('RFC 7636 PKCE at the authorization endpoint', () => {
  test('RFC 7636 §4.3 accepts an S256 challenge', () => {
    assert.deepEqual(checkPkce(pub, { code_challenge: S256, code_challenge_method: 'S256' }, 'code', cfg()), {
      codeChallenge: S256,
      codeChallengeMethod: 'S256',
    });
  });
  test('RFC 7636 §4.4.1 a public client without code_challenge gets invalid_request', () => {
    assert.throws(() => checkPkce(pub, {}, 'code', cfg()), invalid);
  });
  test('RFC 7636 §4.4.1 a confidential client may omit PKCE unless pkceRequired=all', () => {
    assert.deepEqual(checkPkce(conf, {}, 'code', cfg()), { codeChallenge: null, codeChallengeMethod: null });
    assert.throws(() => checkPkce(conf, {}, 'code', cfg('all')), invalid);
  });
  test('RFC 7636 §4.3 the method defaults to plain, so a bare challenge is refused while plain is off', () => {
    assert.throws(
      () => checkPkce(pub, { code_challenge: S256 }, 'code', cfg()),
      (e: unknown) => invalid(e) && /code_challenge_method is required/.test((e as OAuthError).description ?? ''),
    );
  });
  test('RFC 7636 §4.4.1 plain is refused (transform algorithm not supported) unless allowPlainPkce', () => {
    assert.throws(
      () => checkPkce(pub, { code_challenge: PLAIN, code_challenge_method: 'plain' }, 'code', cfg()),
      (e: unknown) => invalid(e) && /transform algorithm not supported/.test((e as OAuthError).description ?? ''),
    );
    assert.deepEqual(checkPkce(pub, { code_challenge: PLAIN, code_challenge_method: 'plain' }, 'code', cfg('public', true)), {
      codeChallenge: PLAIN,
      codeChallengeMethod: 'plain',
    });
    assert.deepEqual(checkPkce(pub, { code_challenge: PLAIN }, 'code', cfg('public', true)), { codeChallenge: PLAIN, codeChallengeMethod: 'plain' });
  });
  test('RFC 7636 §4.4.1 an unknown method is invalid_request', () => {
    assert.throws(() => checkPkce(pub, { code_challenge: S256, code_challenge_method: 'S512' }, 'code', cfg()), invalid);
  });
  test('RFC 7636 §4.2 challenge syntax: 43 to 128 unreserved characters; S256 is exactly 43', () => {
    for (const bad of ['short', 'a'.repeat(42), 'a'.repeat(129), `${'a'.repeat(42)}=`, `${'a'.repeat(42)}+`, `${'a'.repeat(42)} `]) {
      assert.throws(() => checkPkce(pub, { code_challenge: bad, code_challenge_method: 'S256' }, 'code', cfg()), invalid, bad);
    }
    assert.throws(() => checkPkce(pub, { code_challenge: 'a'.repeat(44), code_challenge_method: 'S256' }, 'code', cfg()), invalid);
  });
  test('RFC 9700 §2.1.1 code_challenge_method without a code_challenge is refused', () => {
    assert.throws(() => checkPkce(conf, { code_challenge_method: 'S256' }, 'code', cfg()), invalid);
  });
  test('a response type without a code binds no challenge', () => {
    assert.deepEqual(checkPkce(pub, {}, 'id_token', cfg('all')), { codeChallenge: null, codeChallengeMethod: null });
  });
});

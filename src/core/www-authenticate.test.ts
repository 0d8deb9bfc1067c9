import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OAuthError } from './errors.ts';
import { parseChallenge, RFC6750_VALUE } from '../../test/support/www-authenticate.ts';
import { authParamValue, challenge } from './www-authenticate.ts';

const HOSTILE = 'name"with\\quote\r\nSet-Cookie: a=b\u0000\t\u007f é€ 😀 "';

describe('RFC 6750 §3 WWW-Authenticate auth-param values', () => {
  test('RFC 6750 §3 a value outside %x20-21 / %x23-5B / %x5D-7E is cleaned to that set', () => {
    const v = authParamValue(HOSTILE);
    assert.match(v, RFC6750_VALUE);
    assert.ok(!v.includes('"') && !v.includes('\\') && !/[\r\n]/.test(v));
    assert.equal(v, "name'with?quote  Set-Cookie: a=b? ? ?? ? '");
  });

  test('RFC 6750 §3 a value already inside the set is sent unchanged', () => {
    const printable = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i))
      .filter((c) => c !== '"' && c !== '\\')
      .join('');
    assert.equal(authParamValue(printable), printable);
    assert.equal(authParamValue('the access token is invalid'), 'the access token is invalid');
  });

  test('RFC 6750 §3 challenge() quotes every value and leaves undefined ones out', () => {
    const h = challenge('Bearer', { realm: 'r', error: 'invalid_request', error_description: HOSTILE, scope: undefined });
    assert.deepEqual(parseChallenge(h), { scheme: 'Bearer', params: { realm: 'r', error: 'invalid_request', error_description: authParamValue(HOSTILE) } });
    assert.equal(challenge('Bearer', { realm: 'gatehouse' }), 'Bearer realm="gatehouse"');
    assert.equal(challenge('Bearer'), 'Bearer');
  });

  test('RFC 6750 §3.1 the invalid_token and insufficient_scope factories never put raw text in the header', () => {
    const token = OAuthError.invalidToken(HOSTILE).headers['www-authenticate']!;
    assert.deepEqual(parseChallenge(token).params, { error: 'invalid_token', error_description: authParamValue(HOSTILE) });
    const scope = OAuthError.insufficientScope(HOSTILE, 'openid "x"').headers['www-authenticate']!;
    assert.deepEqual(parseChallenge(scope).params, { error: 'insufficient_scope', error_description: authParamValue(HOSTILE), scope: "openid 'x'" });
    assert.equal(OAuthError.invalidToken().headers['www-authenticate'], 'Bearer error="invalid_token"');
    assert.deepEqual(parseChallenge(OAuthError.invalidClient().headers['www-authenticate']!), {
      scheme: 'Basic',
      params: { realm: 'gatehouse', error: 'invalid_client' },
    });
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clientAssertionTypeAccepted, declaredType, requestObjectTypeAccepted } from './explicit-typing.ts';

const FOREIGN = ['at+jwt', 'logout+jwt', 'secevent+jwt', 'token-introspection+jwt', 'application/at+jwt', 'dpop+jwt', 'something+jwt'];

describe('RFC 8725 §3.11 explicit typing of client-signed JWTs', () => {
  test('RFC 7515 §4.1.9 typ is compared case-insensitively, with or without application/', () => {
    assert.equal(declaredType('Application/OAuth-Authz-Req+JWT'), 'oauth-authz-req+jwt');
    assert.equal(declaredType('JWT'), 'jwt');
    assert.equal(declaredType(undefined), undefined);
    assert.equal(declaredType(42), null);
    assert.equal(declaredType('text/at+jwt'), 'text/at+jwt', 'only the application/ prefix is implied');
  });

  test('RFC 9101 §10.8 a request object that declares a typ must declare oauth-authz-req+jwt; none stays accepted', () => {
    for (const typ of [undefined, 'oauth-authz-req+jwt', 'OAUTH-AUTHZ-REQ+JWT', 'application/oauth-authz-req+jwt'])
      assert.ok(requestObjectTypeAccepted(typ), String(typ));
    for (const typ of [...FOREIGN, 'JWT', 'client-authentication+jwt', 'oauth-authz-req', 'text/oauth-authz-req+jwt', '', 7, null]) {
      assert.ok(!requestObjectTypeAccepted(typ), String(typ));
    }
  });

  test('RFC 9101 §10.8 a client assertion typed as a request object or another foreign kind is refused; none, JWT and client-authentication+jwt are accepted', () => {
    for (const typ of [undefined, 'JWT', 'jwt', 'application/jwt', 'client-authentication+jwt', 'Application/Client-Authentication+JWT']) {
      assert.ok(clientAssertionTypeAccepted(typ), String(typ));
    }
    for (const typ of ['oauth-authz-req+jwt', 'application/oauth-authz-req+jwt', ...FOREIGN, '', 7, null])
      assert.ok(!clientAssertionTypeAccepted(typ), String(typ));
  });
});

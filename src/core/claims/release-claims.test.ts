import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StandardClaims } from '../model/user.ts';
import { parseClaimsRequest } from './claims-request.ts';
import { releaseClaims } from './release-claims.ts';
import { claimsForScope } from './scope-claims.ts';

const claims: StandardClaims = {
  name: 'Jane Doe',
  given_name: 'Jane',
  family_name: 'Doe',
  preferred_username: 'j.doe',
  email: 'janedoe@example.com',
  email_verified: true,
  phone_number: '+1 (425) 555-1212',
  address: { country: 'US', locality: 'Anytown' },
  locale: 'en-US',
};
const user = { claims, username: 'jane' };

describe('OIDC Core §5.4 claims by scope', () => {
  test('OIDC Core §5.4 each scope maps to its standard claims', () => {
    assert.deepEqual(claimsForScope(['email']), ['email', 'email_verified']);
    assert.deepEqual(claimsForScope(['phone']), ['phone_number', 'phone_number_verified']);
    assert.deepEqual(claimsForScope(['address']), ['address']);
    assert.equal(claimsForScope(['profile']).length, 14);
    assert.deepEqual(claimsForScope(['openid', 'offline_access', 'constructor', 'read']), []);
  });

  test('OIDC Core §5.4 scope claims are released only where scope claims belong', () => {
    assert.deepEqual(releaseClaims(user, ['openid', 'email'], undefined, { byScope: true }), { email: 'janedoe@example.com', email_verified: true });
    assert.deepEqual(releaseClaims(user, ['openid', 'email'], undefined, { byScope: false }), {});
  });

  test('OIDC Core §5.4 only claims the user has are released', () => {
    assert.deepEqual(releaseClaims(user, ['phone', 'address'], undefined, { byScope: true }), {
      phone_number: '+1 (425) 555-1212',
      address: { country: 'US', locality: 'Anytown' },
    });
    assert.deepEqual(releaseClaims({ claims: {}, username: 'jane' }, ['email'], undefined, { byScope: true }), {});
    assert.deepEqual(releaseClaims({ claims: {}, username: 'jane' }, ['profile'], undefined, { byScope: true }), { preferred_username: 'jane' });
  });
});

describe('OIDC Core §5.5 claims by the claims parameter', () => {
  test('OIDC Core §5.5 a requested claim is released even without its scope', () => {
    const req = parseClaimsRequest('{"id_token":{"email":{"essential":true},"locale":null}}');
    assert.deepEqual(releaseClaims(user, ['openid'], req.id_token, { byScope: false }), { email: 'janedoe@example.com', locale: 'en-US' });
  });

  test('OIDC Core §5.5 scope claims and requested claims combine', () => {
    const req = parseClaimsRequest('{"userinfo":{"name":null}}');
    assert.deepEqual(releaseClaims(user, ['openid', 'email'], req.userinfo, { byScope: true }), {
      name: 'Jane Doe',
      email: 'janedoe@example.com',
      email_verified: true,
    });
  });

  test('OIDC Core §5.5 unknown and non-standard claim names release nothing', () => {
    const req = parseClaimsRequest('{"userinfo":{"http://example.info/claims/groups":null,"passwordHash":null,"__proto__":null,"toString":null}}');
    assert.deepEqual(releaseClaims(user, ['openid'], req.userinfo, { byScope: true }), {});
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OAuthError } from '../errors.ts';
import { isEmptyClaimsRequest, parseClaimsRequest, requestedClaimNames } from './claims-request.ts';

function refused(json: string, fragment: string): void {
  assert.throws(
    () => parseClaimsRequest(json),
    (e: unknown) => {
      assert.ok(e instanceof OAuthError);
      assert.equal(e.code, 'invalid_request');
      assert.match(e.description ?? '', new RegExp(fragment));
      return true;
    },
  );
}

describe('OIDC Core §5.5 claims request parameter', () => {
  test('OIDC Core §5.5 parses the specification example', () => {
    const req = parseClaimsRequest(
      JSON.stringify({
        userinfo: {
          given_name: { essential: true },
          nickname: null,
          email: { essential: true },
          email_verified: { essential: true },
          picture: null,
          'http://example.info/claims/groups': null,
        },
        id_token: { auth_time: { essential: true }, acr: { values: ['urn:mace:incommon:iap:silver'] } },
      }),
    );
    assert.deepEqual(requestedClaimNames(req.userinfo), ['given_name', 'nickname', 'email', 'email_verified', 'picture', 'http://example.info/claims/groups']);
    assert.deepEqual(req.userinfo?.nickname, null);
    assert.deepEqual(req.id_token?.auth_time, { essential: true });
    assert.deepEqual(req.id_token?.acr, { values: ['urn:mace:incommon:iap:silver'] });
  });

  test('OIDC Core §5.5.1 sub with a value is kept', () => {
    const req = parseClaimsRequest('{"id_token":{"sub":{"value":"248289761001"}}}');
    assert.deepEqual(req.id_token?.sub, { value: '248289761001' });
  });

  test('OIDC Core §5.5 members that are not understood are ignored', () => {
    const req = parseClaimsRequest('{"userinfo":{"name":{"essential":false,"purpose":"x"}},"verified_claims":{}}');
    assert.deepEqual(req, { userinfo: { name: { essential: false } } });
    assert.equal(isEmptyClaimsRequest(parseClaimsRequest('{}')), true);
    assert.equal(isEmptyClaimsRequest(parseClaimsRequest('{"id_token":{}}')), true);
    assert.equal(isEmptyClaimsRequest(req), false);
  });

  test('a __proto__ claim name stays plain data', () => {
    const req = parseClaimsRequest('{"userinfo":{"__proto__":{"essential":true}}}');
    assert.deepEqual(Object.keys(req.userinfo ?? {}), ['__proto__']);
    assert.equal(Object.getPrototypeOf(req.userinfo), Object.prototype);
  });

  test('OIDC Core §5.5 refuses what is not a JSON object with invalid_request', () => {
    refused('not json', 'not valid JSON');
    refused('', 'not valid JSON');
    refused('[]', 'must be a JSON object');
    refused('null', 'must be a JSON object');
    refused('"x"', 'must be a JSON object');
    refused('{"userinfo":[]}', 'userinfo must be a JSON object');
    refused('{"id_token":"email"}', 'id_token must be a JSON object');
    refused('{"userinfo":{"email":true}}', 'userinfo.email must be null or a JSON object');
    refused('{"userinfo":{"email":{"essential":"yes"}}}', 'essential must be a boolean');
    refused('{"id_token":{"acr":{"values":"urn:x"}}}', 'values must be an array');
    refused('{"id_token":{"":null}}', 'invalid claim name');
    refused(`{"userinfo":{"name":"${'x'.repeat(9000)}"}}`, 'too long');
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`c${i}`, null]));
    refused(JSON.stringify({ userinfo: many }), 'too many claims');
  });
});

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { authorizeWorld, webClient, type AuthorizeWorld } from '../../../../test/support/authorize-fixtures.ts';
import { ISSUER } from '../../../../test/support/core-fixtures.ts';
import { OAuthError } from '../../errors.ts';
import { essentialAcr, checkAcrValues, checkClaims } from './check-claims.ts';
import { checkIdTokenHint } from './check-id-token-hint.ts';
import { checkResources } from './check-resource.ts';
import { createResourceRegistry } from '../../tokens/resource-indicators.ts';

const is = (c: string) => (e: unknown) => e instanceof OAuthError && e.code === c;

describe('OIDC Core §5.5 claims and §3.1.2.1 acr_values', () => {
  test('OIDC Core §5.5 a claims parameter is parsed', () => {
    const c = checkClaims({ claims: JSON.stringify({ id_token: { email: { essential: true } }, userinfo: { name: null } }) });
    assert.deepEqual(c, { id_token: { email: { essential: true } }, userinfo: { name: null } });
    assert.equal(checkClaims({ claims: '{}' }), null);
    assert.equal(checkClaims({}), null);
  });
  test('OIDC Core §5.5 a claims parameter that is not the JSON object is invalid_request', () => {
    assert.throws(() => checkClaims({ claims: '[1]' }), is('invalid_request'));
    assert.throws(() => checkClaims({ claims: '{' }), is('invalid_request'));
  });
  test('OIDC Core §5.5.1.1 an essential acr with values is extracted; voluntary ones are not', () => {
    assert.deepEqual(essentialAcr({ id_token: { acr: { essential: true, values: ['a', 'b'] } } }), ['a', 'b']);
    assert.deepEqual(essentialAcr({ id_token: { acr: { essential: true, value: 'a' } } }), ['a']);
    assert.equal(essentialAcr({ id_token: { acr: { values: ['a'] } } }), null);
    assert.equal(essentialAcr({ id_token: { acr: null } }), null);
  });
  test('OIDC Core §3.1.2.1 acr_values is a space-separated list in order of preference', () => {
    assert.deepEqual(checkAcrValues({ acr_values: 'urn:a urn:b' }), ['urn:a', 'urn:b']);
  });
});

describe('OIDC Core §3.1.2.1 id_token_hint', () => {
  let w: AuthorizeWorld;
  before(async () => {
    w = await authorizeWorld();
  });
  const rp = webClient();
  const hint = (payload: Record<string, unknown>, typ = 'JWT') =>
    w.keys.signer('ES256').sign({ iss: ISSUER, sub: 'u-1', aud: 'web', iat: 1, exp: 2, ...payload }, typ);

  test('OIDC Core §3.1.2.1 a hint we issued to this client gives its sub, even expired', () => {
    assert.equal(checkIdTokenHint(rp, { id_token_hint: hint({}) }, w.deps.idTokenHints), 'u-1');
    assert.equal(checkIdTokenHint(rp, {}, w.deps.idTokenHints), null);
  });
  test('OIDC Core §3.1.2.1 a forged, foreign or mistyped hint is invalid_request', () => {
    assert.throws(() => checkIdTokenHint(rp, { id_token_hint: 'a.b.c' }, w.deps.idTokenHints), is('invalid_request'));
    assert.throws(() => checkIdTokenHint(rp, { id_token_hint: hint({ iss: 'https://other.example' }) }, w.deps.idTokenHints), is('invalid_request'));
    assert.throws(() => checkIdTokenHint(rp, { id_token_hint: hint({}, 'at+jwt') }, w.deps.idTokenHints), is('invalid_request'));
  });
  test('a hint issued to another client is invalid_request', () => {
    assert.throws(() => checkIdTokenHint(rp, { id_token_hint: hint({ aud: 'other' }) }, w.deps.idTokenHints), is('invalid_request'));
  });
});

describe('RFC 8707 resource at the authorization endpoint', () => {
  const registry = createResourceRegistry({ resources: [], requireResourceRegistration: false });
  test('RFC 8707 §2 absolute URIs are kept (several separated by spaces)', () => {
    assert.deepEqual(checkResources({ resource: 'https://api.example/ https://b.example/' }, registry), ['https://api.example/', 'https://b.example/']);
    assert.deepEqual(checkResources({}, registry), []);
  });
  test('RFC 8707 §2 a relative URI or one with a fragment is invalid_target', () => {
    assert.throws(() => checkResources({ resource: '/api' }, registry), is('invalid_target'));
    assert.throws(() => checkResources({ resource: 'https://api.example/#x' }, registry), is('invalid_target'));
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { webClient } from '../../../../test/support/authorize-fixtures.ts';
import { OAuthError } from '../../errors.ts';
import { checkResponseMode, errorResponseMode } from './check-response-mode.ts';
import { checkResponseType, normalizeResponseType } from './check-response-type.ts';

const off = { authorization: { implicit: false } };
const on = { authorization: { implicit: true } };
const client = webClient();
const code = (e: unknown, c: string) => e instanceof OAuthError && e.code === c;

describe('OIDC Core §3 response_type', () => {
  test('OIDC Core §3 accepts code and the hybrid types, normalized to canonical order', () => {
    assert.equal(checkResponseType(client, { response_type: 'code' }, off), 'code');
    assert.equal(checkResponseType(client, { response_type: 'id_token code' }, off), 'code id_token');
    assert.equal(checkResponseType(client, { response_type: 'token code' }, off), 'code token');
    assert.equal(checkResponseType(client, { response_type: 'token id_token code' }, off), 'code id_token token');
  });
  test('OIDC Core §3.2 id_token and id_token token only when implicit is enabled', () => {
    assert.throws(
      () => checkResponseType(client, { response_type: 'id_token' }, off),
      (e) => code(e, 'unsupported_response_type'),
    );
    assert.throws(
      () => checkResponseType(client, { response_type: 'token id_token' }, off),
      (e) => code(e, 'unsupported_response_type'),
    );
    assert.equal(checkResponseType(client, { response_type: 'id_token' }, on), 'id_token');
    assert.equal(checkResponseType(client, { response_type: 'token id_token' }, on), 'id_token token');
  });
  test('OAuth 2.1 §10.1 response_type token alone is never supported', () => {
    assert.throws(
      () => checkResponseType(client, { response_type: 'token' }, on),
      (e) => code(e, 'unsupported_response_type'),
    );
  });
  test('RFC 6749 §4.1.2.1 unknown, repeated or padded values are unsupported_response_type', () => {
    for (const rt of ['none', 'code code', 'code  id_token', ' code', 'CODE', 'code foo']) {
      assert.throws(
        () => checkResponseType(client, { response_type: rt }, on),
        (e) => code(e, 'unsupported_response_type'),
        rt,
      );
    }
  });
  test('RFC 6749 §4.1.1 a missing response_type is invalid_request', () => {
    assert.throws(
      () => checkResponseType(client, {}, off),
      (e) => code(e, 'invalid_request'),
    );
  });
  test('OIDC Registration §2 a response type the client did not register is unauthorized_client', () => {
    const codeOnly = webClient({ responseTypes: ['code'] });
    assert.throws(
      () => checkResponseType(codeOnly, { response_type: 'code id_token' }, off),
      (e) => code(e, 'unauthorized_client'),
    );
    const reordered = webClient({ responseTypes: ['id_token code'] });
    assert.equal(checkResponseType(reordered, { response_type: 'code id_token' }, off), 'code id_token');
  });
  test('OIDC Registration §2 code needs authorization_code; implicit types need the implicit grant', () => {
    assert.throws(
      () => checkResponseType(webClient({ grantTypes: ['implicit'] }), { response_type: 'code' }, off),
      (e) => code(e, 'unauthorized_client'),
    );
    assert.throws(
      () => checkResponseType(webClient({ grantTypes: ['authorization_code'] }), { response_type: 'id_token' }, on),
      (e) => code(e, 'unauthorized_client'),
    );
  });
  test('normalizeResponseType refuses more than three values', () => {
    assert.equal(normalizeResponseType('code id_token token code'), null);
  });
});

describe('OAuth 2.0 Multiple Response Types §2.1 / Form Post response_mode', () => {
  test('Multiple Response Types §2.1 defaults: query for code, fragment when tokens are returned', () => {
    assert.equal(checkResponseMode({}, 'code'), 'query');
    assert.equal(checkResponseMode({}, 'code id_token'), 'fragment');
    assert.equal(checkResponseMode({}, 'code token'), 'fragment');
    assert.equal(checkResponseMode({}, 'id_token'), 'fragment');
  });
  test('Form Post Response Mode: form_post is accepted for every response type', () => {
    assert.equal(checkResponseMode({ response_mode: 'form_post' }, 'code'), 'form_post');
    assert.equal(checkResponseMode({ response_mode: 'form_post' }, 'code id_token token'), 'form_post');
    assert.equal(checkResponseMode({ response_mode: 'fragment' }, 'code'), 'fragment');
  });
  test('Multiple Response Types §2.1 response_mode=query with a token-returning type is refused', () => {
    assert.throws(
      () => checkResponseMode({ response_mode: 'query' }, 'code id_token'),
      (e) => code(e, 'invalid_request'),
    );
    assert.throws(
      () => checkResponseMode({ response_mode: 'query' }, 'code token'),
      (e) => code(e, 'invalid_request'),
    );
  });
  test('an unknown response_mode (e.g. JARM jwt) is invalid_request', () => {
    assert.throws(
      () => checkResponseMode({ response_mode: 'jwt' }, 'code'),
      (e) => code(e, 'invalid_request'),
    );
  });
  test('OIDC Core §3.3.2.6 errors of a hybrid request go in the fragment, even when query was asked', () => {
    assert.equal(errorResponseMode({ response_type: 'code id_token', response_mode: 'query' }), 'fragment');
    assert.equal(errorResponseMode({ response_type: 'code' }), 'query');
    assert.equal(errorResponseMode({ response_type: 'token', response_mode: 'form_post' }), 'form_post');
    assert.equal(errorResponseMode({ response_type: 'nonsense' }), 'query');
  });
});

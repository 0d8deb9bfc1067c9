import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { webClient } from '../../../../test/support/authorize-fixtures.ts';
import { OAuthError } from '../../errors.ts';
import type { PushedRequestTaker, RequestObjectResolver } from '../request-sources.ts';
import { checkParRequired, resolveRequestSource } from './check-request-source.ts';

const client = webClient();
const is = (c: string) => (e: unknown) => e instanceof OAuthError && e.code === c;
const jar: RequestObjectResolver = { resolveRequestObject: async () => ({ response_type: 'code', scope: 'openid', state: 'inner' }) };
const taken: string[] = [];
const par: PushedRequestTaker = {
  async takePushedRequest(_c, uri) {
    if (taken.includes(uri)) throw OAuthError.of('invalid_request_uri', 'used');
    taken.push(uri);
    return { client_id: 'web', response_type: 'code', state: 'pushed' };
  },
};

describe('RFC 9101 request / RFC 9126 request_uri', () => {
  test('OIDC Core §3.1.2.6 without a JAR plug-in, request is request_not_supported', async () => {
    await assert.rejects(resolveRequestSource(client, { request: 'a.b.c' }, 'authorize', {}), is('request_not_supported'));
  });
  test('OIDC Core §3.1.2.6 without a PAR plug-in, request_uri is request_uri_not_supported', async () => {
    await assert.rejects(resolveRequestSource(client, { request_uri: 'urn:x' }, 'authorize', {}), is('request_uri_not_supported'));
  });
  test('OIDC Core §6 request and request_uri together are invalid_request', async () => {
    await assert.rejects(
      resolveRequestSource(client, { request: 'a', request_uri: 'b' }, 'authorize', { requestObjects: jar, pushedRequests: par }),
      is('invalid_request'),
    );
  });
  test('RFC 9101 §6.3 only the request object parameters are used (client_id kept)', async () => {
    const r = await resolveRequestSource(client, { client_id: 'web', request: 'a.b.c', state: 'outer', scope: 'email' }, 'authorize', { requestObjects: jar });
    assert.deepEqual(r, { params: { response_type: 'code', scope: 'openid', state: 'inner', client_id: 'web' }, pushed: false });
  });
  test('RFC 9126 §4 a pushed request is taken once and counts as pushed', async () => {
    const r = await resolveRequestSource(client, { client_id: 'web', request_uri: 'urn:ietf:params:oauth:request_uri:1' }, 'authorize', {
      pushedRequests: par,
    });
    assert.equal(r.pushed, true);
    assert.equal(r.params['state'], 'pushed');
    await assert.rejects(
      resolveRequestSource(client, { client_id: 'web', request_uri: 'urn:ietf:params:oauth:request_uri:1' }, 'authorize', { pushedRequests: par }),
      is('invalid_request_uri'),
    );
  });
  test('RFC 9126 §2.1 request_uri cannot be pushed', async () => {
    await assert.rejects(resolveRequestSource(client, { request_uri: 'urn:x' }, 'par', { pushedRequests: par }), is('invalid_request'));
  });
  test('a request object naming another client is invalid_request_object', async () => {
    const other: RequestObjectResolver = { resolveRequestObject: async () => ({ client_id: 'evil', response_type: 'code' }) };
    await assert.rejects(resolveRequestSource(client, { request: 'x' }, 'authorize', { requestObjects: other }), is('invalid_request_object'));
  });
  test('OIDC Core §6.1 a request object holding request_uri is invalid_request_object', async () => {
    const nested: RequestObjectResolver = { resolveRequestObject: async () => ({ request_uri: 'urn:x' }) };
    await assert.rejects(resolveRequestSource(client, { request: 'x' }, 'authorize', { requestObjects: nested }), is('invalid_request_object'));
  });
  test('parameters re-resolved after a page are trusted as pushed but may not carry request or request_uri', async () => {
    assert.equal((await resolveRequestSource(client, { response_type: 'code' }, 'interaction', {})).pushed, true);
    await assert.rejects(resolveRequestSource(client, { request: 'x' }, 'interaction', { requestObjects: jar }), is('invalid_request'));
  });
  test('RFC 9126 §4 require PAR globally or per client', () => {
    const on = { authorization: { requirePar: true } };
    const off = { authorization: { requirePar: false } };
    assert.throws(() => checkParRequired(client, false, on), is('invalid_request'));
    assert.doesNotThrow(() => checkParRequired(client, true, on));
    assert.doesNotThrow(() => checkParRequired(client, false, off));
    assert.throws(() => checkParRequired(webClient({ metadata: { require_pushed_authorization_requests: true } }), false, off), is('invalid_request'));
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OAuthError } from '../../errors.ts';
import { parseContextParam } from './transaction-token.ts';

const refused = (f: () => unknown) => assert.throws(f, (e: unknown) => e instanceof OAuthError && e.code === 'invalid_request');

describe('draft-ietf-oauth-transaction-tokens §11.1 request_context / request_details', () => {
  test('absent stays absent; a JSON object is returned as is', () => {
    assert.equal(parseContextParam('request_context', undefined, 100), undefined);
    assert.deepEqual(parseContextParam('request_context', '{"a":{"b":[1,"x"]}}', 100), { a: { b: [1, 'x'] } });
    assert.deepEqual(parseContextParam('request_context', '{}', 2), {});
  });

  test('not JSON, or JSON that is not an object, is invalid_request', () => {
    for (const raw of ['', '{', '{"a":1', 'null', '[]', '[{"a":1}]', '"x"', '1', 'true', "{'a':1}"])
      refused(() => parseContextParam('request_details', raw, 100));
  });

  test('the limit counts UTF-8 bytes, not characters', () => {
    const raw = JSON.stringify({ k: 'é'.repeat(10) }); // 18 characters, 28 bytes
    assert.ok(parseContextParam('request_details', raw, 28));
    refused(() => parseContextParam('request_details', raw, 27));
  });

  test('a __proto__ member stays data: it does not change the prototype of the result', () => {
    const parsed = parseContextParam('request_context', '{"__proto__":{"polluted":true}}', 100)!;
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
    assert.equal((parsed as Record<string, unknown>)['polluted'], undefined);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });
});

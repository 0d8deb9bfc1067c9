import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonTooDeep, MAX_JSON_DEPTH } from './json-depth.ts';

const nested = (levels: number) => JSON.parse(`${'['.repeat(levels)}${']'.repeat(levels)}`) as unknown;

test('nesting deeper than MAX_JSON_DEPTH is found without recursing (10 000 levels, which JSON.stringify cannot walk)', () => {
  assert.equal(jsonTooDeep({ a: 1, b: 'x', c: null }), false);
  assert.equal(jsonTooDeep('scalar'), false);
  assert.equal(jsonTooDeep(nested(MAX_JSON_DEPTH)), false);
  assert.equal(jsonTooDeep(nested(MAX_JSON_DEPTH + 1)), true);
  assert.equal(jsonTooDeep({ keys: [{ x: nested(MAX_JSON_DEPTH - 2) }] }), true, 'the object and its array count as levels');
  assert.equal(jsonTooDeep({ keys: [{ x: nested(MAX_JSON_DEPTH - 3) }] }), false);
  const deep = nested(10_000);
  assert.throws(() => JSON.stringify(deep), RangeError);
  assert.equal(jsonTooDeep(deep), true);
  assert.equal(jsonTooDeep({ a: [1, 2, { b: [] }] }, 4), false);
  assert.equal(jsonTooDeep({ a: [1, 2, { b: [] }] }, 3), true);
});

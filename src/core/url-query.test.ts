import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appendQuery } from './url-query.ts';

test('RFC 6749 §3.1.2 the registered query is retained; parameters are appended after it', () => {
  assert.equal(appendQuery('https://rp.example/cb', 'a=1'), 'https://rp.example/cb?a=1');
  assert.equal(appendQuery('https://rp.example/cb?x=y', 'a=1'), 'https://rp.example/cb?x=y&a=1');
  assert.equal(appendQuery('https://rp.example/cb?', 'a=1'), 'https://rp.example/cb?a=1');
  assert.equal(appendQuery('https://rp.example/cb?x=y&', 'a=1'), 'https://rp.example/cb?x=y&a=1');
});

test('a fragment is dropped, or kept last when asked', () => {
  assert.equal(appendQuery('https://rp.example/cb?x=y#f', 'a=1'), 'https://rp.example/cb?x=y&a=1');
  assert.equal(appendQuery('https://rp.example/cb#f', 'a=1', { keepFragment: true }), 'https://rp.example/cb?a=1#f');
});

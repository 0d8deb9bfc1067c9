import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeHtu } from './htu.ts';

test('RFC 9449 §4.3 htu ignores the query and fragment', () => {
  assert.equal(normalizeHtu('https://as.example/token?x=1#f'), 'https://as.example/token');
});

test('RFC 3986 §6.2.2 / §6.2.3 scheme and host case, default port, dot segments, percent-encoding are normalised', () => {
  assert.equal(normalizeHtu('HTTPS://AS.Example:443/a/../token'), 'https://as.example/token');
  assert.equal(normalizeHtu('http://as.example:80'), 'http://as.example/');
  assert.equal(normalizeHtu('https://as.example/%7euser/%2f'), 'https://as.example/~user/%2F');
  assert.notEqual(normalizeHtu('https://as.example:8443/token'), normalizeHtu('https://as.example/token'));
  assert.notEqual(normalizeHtu('https://as.example/Token'), normalizeHtu('https://as.example/token'), 'the path is case-sensitive');
});

test('RFC 9449 §4.2 htu is an absolute http(s) URI; anything else normalises to null', () => {
  for (const v of ['/token', 'urn:x:y', 'ftp://as.example/token', '', 'https://']) assert.equal(normalizeHtu(v), null, v);
});

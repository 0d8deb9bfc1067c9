import assert from 'node:assert/strict';
import { test } from 'node:test';
import { acceptQuality } from './introspection.ts';

const JWT = 'application/token-introspection+jwt';

test('RFC 9110 §12.5.1 acceptQuality reads q-values and prefers the most specific range', () => {
  assert.equal(acceptQuality(undefined, JWT), 0);
  assert.equal(acceptQuality(JWT, JWT), 1);
  assert.equal(acceptQuality(`${JWT};q=0.5, application/json`, JWT), 0.5);
  assert.equal(acceptQuality(`${JWT};q=0.5, application/json`, 'application/json'), 1);
  assert.equal(acceptQuality('*/*;q=0.1', 'application/json'), 0.1);
  assert.equal(acceptQuality(`application/*;q=0.3, ${JWT};q=0`, JWT), 0);
  assert.equal(acceptQuality('text/html', 'application/json'), 0);
  assert.equal(acceptQuality(`${JWT};q=abc`, JWT), 0);
});

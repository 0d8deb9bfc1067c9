import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDpopNonces } from './dpop-nonce.ts';

const key = Buffer.alloc(32, 7);

test('RFC 9449 §8 a nonce is accepted in its window and the next, then refused; every instance with the key agrees', () => {
  let now = 1_000_000_000_000;
  const clock = { now: () => now };
  const a = createDpopNonces(key, 300, clock);
  const b = createDpopNonces(key, 300, clock);
  const n = a.current();
  assert.equal(b.check(n), 'current', 'another instance computes the same nonce');
  now += 300_000;
  assert.equal(a.check(n), 'previous');
  assert.notEqual(a.current(), n, 'the nonce rotates');
  now += 300_000;
  assert.equal(a.check(n), 'invalid');
  assert.equal(createDpopNonces(Buffer.alloc(32, 8), 300, clock).check(a.current()), 'invalid', 'another key: refused');
  assert.equal(a.check('made-up'), 'invalid');
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { createRandomIds } from './random-ids.ts';

test('RFC 6749 §10.10 identifiers come from the Random port in batches, every byte used once', () => {
  const calls: number[] = [];
  const ids = createRandomIds({ bytes: (n) => { calls.push(n); return randomBytes(n); } });
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const id = ids(i % 2 ? 16 : 32);
    assert.match(id, i % 2 ? /^[A-Za-z0-9_-]{22}$/ : /^[A-Za-z0-9_-]{43}$/);
    seen.add(id);
  }
  assert.equal(seen.size, 1000);
  assert.ok(calls.length <= 6 && calls.length >= 5, `batched: ${calls.length} calls for 24000 bytes`);
});

test('RFC 6749 §10.10 a deterministic Random port gives deterministic, non-overlapping ids', () => {
  let counter = 0;
  const ids = createRandomIds({ bytes: (n) => Uint8Array.from({ length: n }, () => counter++ & 0xff) });
  assert.equal(ids(3), Buffer.from([0, 1, 2]).toString('base64url'));
  assert.equal(ids(3), Buffer.from([3, 4, 5]).toString('base64url'));
  assert.equal(ids(5000).length, Math.ceil((5000 * 4) / 3));
});

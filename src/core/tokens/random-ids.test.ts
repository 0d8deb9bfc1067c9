import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { opaqueTokenKey, sha256, timePrefix } from '../crypto.ts';
import { createRandomIds, createTimeOrderedIds } from './random-ids.ts';

test('RFC 6749 §10.10 identifiers come from the Random port in batches, every byte used once', () => {
  const calls: number[] = [];
  const ids = createRandomIds({
    bytes: (n) => {
      calls.push(n);
      return randomBytes(n);
    },
  });
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

test('time-ordered ids sort by their clock in string order, whatever the random part', () => {
  let now = 1_795_756_081_430;
  const ids = createTimeOrderedIds({ bytes: (n) => randomBytes(n) }, { now: () => now });
  const made: string[] = [];
  for (let i = 0; i < 200; i++) {
    made.push(ids(16));
    now += i % 3 === 0 ? 0 : 1 + (i % 7);
  }
  for (let i = 1; i < made.length; i++) {
    assert.ok(made[i - 1]!.slice(0, 12) <= made[i]!.slice(0, 12), `${made[i - 1]} before ${made[i]}`);
  }
  assert.match(made[0]!, /^[0-9a-f]{12}[A-Za-z0-9_-]{22}$/);
  assert.equal(parseInt(made[0]!.slice(0, 12), 16), 1_795_756_081_430);
});

test('timePrefix is 12 hex digits, zero-padded, ordered like the number', () => {
  assert.equal(timePrefix(0), '000000000000');
  assert.equal(timePrefix(255), '0000000000ff');
  assert.ok(timePrefix(0x0fffffffffff) < timePrefix(0x100000000000));
  assert.equal(timePrefix(-5), '000000000000');
});

test('RFC 6749 §10.3 opaqueTokenKey: time prefix plus SHA-256 for new tokens, SHA-256 alone for older ones', () => {
  const fresh = `${timePrefix(1_795_756_081_430)}${randomBytes(32).toString('base64url')}`;
  assert.equal(opaqueTokenKey(fresh), fresh.slice(0, 12) + sha256(fresh));
  assert.ok(opaqueTokenKey(fresh).length <= 64, 'fits the varchar(64) hash column');
  const older = randomBytes(32).toString('base64url');
  assert.equal(opaqueTokenKey(older), sha256(older));
  // Not the new shape (upper-case hex, wrong length): hashed whole, never trusted for a prefix.
  assert.equal(opaqueTokenKey(`ABCDEF012345${randomBytes(32).toString('base64url')}`).length, 43);
  assert.equal(opaqueTokenKey(`${fresh}x`), sha256(`${fresh}x`));
});

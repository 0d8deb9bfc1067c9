import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHeadArg, parseTimeArg } from './time-arg.ts';

const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);

test('--since takes durations before now: s, m, h, d, w', () => {
  assert.equal(parseTimeArg('since', '90s', NOW), NOW - 90_000);
  assert.equal(parseTimeArg('since', '15m', NOW), NOW - 15 * 60_000);
  assert.equal(parseTimeArg('since', '1h', NOW), NOW - 3_600_000);
  assert.equal(parseTimeArg('since', '7d', NOW), NOW - 7 * 86_400_000);
  assert.equal(parseTimeArg('since', '2w', NOW), NOW - 14 * 86_400_000);
});

test('--since takes ISO 8601: a date is midnight UTC, a time without zone is UTC, offsets apply', () => {
  assert.equal(parseTimeArg('since', '2026-12-01', NOW), Date.UTC(2026, 11, 1));
  assert.equal(parseTimeArg('since', '2026-12-01T10:30', NOW), Date.UTC(2026, 11, 1, 10, 30));
  assert.equal(parseTimeArg('since', '2026-12-01T10:30:00Z', NOW), Date.UTC(2026, 11, 1, 10, 30));
  assert.equal(parseTimeArg('since', '2026-12-01T10:30:00+01:00', NOW), Date.UTC(2026, 11, 1, 9, 30));
});

test('anything else is a usage error (exit 2) naming the flag', () => {
  for (const bad of ['yesterday', '1y', '-1h', '1.5h', '2026-13-45', '2026-12-01 10:00', '', '12']) {
    assert.throws(
      () => parseTimeArg('before', bad, NOW),
      (e: Error & { code?: string }) => e.code === 'GH_CLI_USAGE' && /--before takes an ISO 8601 time/.test(e.message),
      bad,
    );
  }
});

test('--head takes SEQ:HASH', () => {
  assert.deepEqual(parseHeadArg(`12:${'ab'.repeat(32)}`), { seq: 12, hash: 'ab'.repeat(32) });
  for (const bad of ['12', `x:${'ab'.repeat(32)}`, `12:${'AB'.repeat(32)}`, '12:abc']) assert.throws(() => parseHeadArg(bad), /--head takes SEQ:HASH/);
});

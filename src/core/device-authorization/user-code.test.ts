import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { sha256 } from '../crypto.ts';
import { formatUserCode, generateUserCode, hashUserCode, normalizeUserCode, USER_CODE_ALPHABET, USER_CODE_LENGTH } from './user-code.ts';

const random = { bytes: (n: number) => randomBytes(n) };

describe('RFC 8628 §6.1 user code', () => {
  test('RFC 8628 §6.1 codes are 8 characters of the base-20 alphabet without vowels or look-alikes', () => {
    assert.equal(USER_CODE_ALPHABET, 'BCDFGHJKLMNPQRSTVWXZ');
    for (let i = 0; i < 200; i++) {
      const code = generateUserCode(random);
      assert.match(code, /^[BCDFGHJKLMNPQRSTVWXZ]{8}$/);
    }
    assert.ok(USER_CODE_LENGTH * Math.log2(USER_CODE_ALPHABET.length) > 34, 'about 34 bits of entropy');
  });

  test('RFC 8628 §6.1 every letter of the alphabet is drawn (no bias toward the first letters)', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 1000; i++) for (const ch of generateUserCode(random)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    assert.equal(counts.size, 20);
    // 8000 draws over 20 letters: 400 expected each; a biased generator (b % 20 over 0..255)
    // would give the first 16 letters ~7 % more. Bounds are loose enough never to flake.
    for (const n of counts.values()) assert.ok(n > 280 && n < 520, `count ${n}`);
  });

  test('RFC 8628 §6.1 rejection sampling skips bytes that would bias the alphabet', () => {
    // 250..255 are above the largest multiple of 20 and must be skipped; 0 → B, 19 → Z, 20 → B.
    const bytes = [255, 250, 0, 19, 20, 39, 240, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const fixed = { bytes: (n: number) => Uint8Array.from(bytes.slice(0, n)) };
    assert.equal(generateUserCode(fixed), 'BZBZCDFG');
  });

  test('RFC 8628 §6.1 comparison ignores case, dashes and spaces', () => {
    assert.equal(normalizeUserCode('wdjb-mjht'), 'WDJBMJHT');
    assert.equal(normalizeUserCode(' WDJB MJHT '), 'WDJBMJHT');
    assert.equal(normalizeUserCode('WdJb--MjHt'), 'WDJBMJHT');
  });

  test('RFC 8628 §6.1 input that cannot be a code is refused before any lookup', () => {
    for (const bad of ['', 'WDJB-MJH', 'WDJB-MJHTX', 'WDJB-MJHA', 'WDJB-0JHT', 'WDJB_MJHT', 'x'.repeat(100), 'ＷDJB-MJHT']) {
      assert.equal(normalizeUserCode(bad), null, bad);
    }
  });

  test('RFC 8628 §6.1 codes are shown as two dash-separated groups of four', () => {
    assert.equal(formatUserCode('WDJBMJHT'), 'WDJB-MJHT');
    assert.equal(normalizeUserCode(formatUserCode('WDJBMJHT')), 'WDJBMJHT');
  });

  test('S5 the store keeps the SHA-256 of the normalized code only', () => {
    assert.equal(hashUserCode('WDJBMJHT'), sha256('WDJBMJHT'));
    assert.notEqual(hashUserCode('WDJBMJHT'), 'WDJBMJHT');
  });
});

import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { freshnessProblem, type FreshnessLimits, type TimeClaims } from './assertion-freshness.ts';

const NOW = 1_700_000_000;
const LIMITS: FreshnessLimits = { maxAge: 300, maxLifetime: 3600, clockSkew: 30 };
const check = (claims: TimeClaims, limits = LIMITS) => freshnessProblem(claims, NOW, limits);

describe('RFC 7523 §3 time claims of a client-signed JWT', () => {
  test('RFC 7523 §3 item 4 exp is required and must not have passed (beyond clockSkew)', () => {
    assert.equal(check({}), 'exp-missing');
    assert.equal(check({ exp: String(NOW + 60) }), 'exp-missing');
    assert.equal(check({ exp: NOW - 30 }), 'expired');
    assert.equal(check({ exp: NOW - 29 }), null);
  });

  test('RFC 7523 §3 item 4 exp at most maxLifetime (+ skew) ahead: iat + 3600 from a common client library is accepted', () => {
    assert.equal(check({ iat: NOW, exp: NOW + 3600 }), null);
    assert.equal(check({ exp: NOW + 3630 }), null);
    assert.equal(check({ exp: NOW + 3631 }), 'exp-too-far');
    assert.equal(check({ iat: NOW, exp: NOW + 7200 }), 'exp-too-far');
  });

  test('RFC 7523 §3 item 4 exp - iat is at most maxLifetime', () => {
    assert.equal(check({ iat: NOW - 100, exp: NOW + 3500 }), null);
    assert.equal(check({ iat: NOW - 101, exp: NOW + 3500 }), 'lifetime-too-long');
  });

  test('RFC 7523 §3 item 6 iat is optional, not older than maxAge (+ skew), not ahead by more than the skew', () => {
    assert.equal(check({ exp: NOW + 60 }), null);
    assert.equal(check({ iat: NOW - 330, exp: NOW + 60 }), null);
    assert.equal(check({ iat: NOW - 331, exp: NOW + 60 }), 'iat-too-old');
    assert.equal(check({ iat: NOW + 30, exp: NOW + 60 }), null);
    assert.equal(check({ iat: NOW + 31, exp: NOW + 60 }), 'iat-in-future');
    assert.equal(check({ iat: 'yesterday', exp: NOW + 60 }), 'iat-malformed');
  });

  test('RFC 7523 §3 item 5 nbf, when present, must have been reached (with skew)', () => {
    assert.equal(check({ nbf: NOW + 30, exp: NOW + 60 }), null);
    assert.equal(check({ nbf: NOW + 31, exp: NOW + 60 }), 'not-yet-valid');
    assert.equal(check({ nbf: null, exp: NOW + 60 }), 'nbf-malformed');
  });

  test("the limits are the caller's: a shorter window refuses what the defaults accept", () => {
    const tight: FreshnessLimits = { maxAge: 60, maxLifetime: 300, clockSkew: 0 };
    assert.equal(check({ iat: NOW - 61, exp: NOW + 60 }, tight), 'iat-too-old');
    assert.equal(check({ exp: NOW + 301 }, tight), 'exp-too-far');
    assert.equal(check({ exp: NOW }, tight), 'expired');
  });
});

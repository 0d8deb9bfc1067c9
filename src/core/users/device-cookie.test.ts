import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { settableClock } from '../../../test/support/core-fixtures.ts';
import { createDeviceCookies } from './device-cookie.ts';

const random = { bytes: (n: number) => randomBytes(n) };

test('NIST SP 800-63B §5.2.2 device cookie: recognised for its user only; forged, other-user and expired entries are refused', () => {
  const clock = settableClock();
  const key = randomBytes(32);
  const dc = createDeviceCookies(key, { clock, random }, 3600);
  const value = dc.issue(undefined, 'user-a');
  assert.ok(!value.includes('user-a'), 'the cookie names no user');
  const id = dc.recognise(value, 'user-a');
  assert.ok(id);
  assert.equal(dc.recognise(value, 'user-b'), null, 'another user');
  const [exp, nonce, mac] = value.split('.');
  assert.equal(dc.recognise(`${Number(exp) + 1000}.${nonce}.${mac}`, 'user-a'), null, 'a later expiry written by hand');
  assert.equal(dc.recognise(`${exp}.${nonce}.${Buffer.alloc(32).toString('base64url')}`, 'user-a'), null, 'a forged MAC');
  assert.equal(createDeviceCookies(randomBytes(32), { clock, random }, 3600).recognise(value, 'user-a'), null, 'another key');
  for (const junk of ['', 'x', '1.2', '..', '~~~', 'a.b.c.d']) assert.equal(dc.recognise(junk, 'user-a'), null);
  clock.advance(3601);
  assert.equal(dc.recognise(value, 'user-a'), null, 'expired');
});

test('one browser keeps a recognition per user (newest first, bounded); renewing keeps the device id', () => {
  const clock = settableClock();
  const dc = createDeviceCookies(randomBytes(32), { clock, random }, 3600);
  let v = dc.issue(undefined, 'a');
  const idA = dc.recognise(v, 'a');
  v = dc.issue(v, 'b');
  assert.equal(dc.recognise(v, 'a'), idA);
  assert.ok(dc.recognise(v, 'b'));
  v = dc.issue(v, 'a');
  assert.equal(dc.recognise(v, 'a'), idA, 'same device id after a renewal');
  assert.equal(v.split('~').length, 2);
  for (const u of ['c', 'd', 'e', 'f', 'g']) v = dc.issue(v, u);
  assert.equal(v.split('~').length, 5);
  assert.equal(dc.recognise(v, 'b'), null, 'the oldest recognition drops out');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressKey } from './address-key.ts';

test('RFC 4291 §2.5.4: two IPv6 addresses in one /64 share a throttling key; another /64 does not', () => {
  const a = addressKey('2001:db8:85a3:1:aaaa:bbbb:cccc:1');
  assert.equal(a, addressKey('2001:0db8:85a3:0001::99'));
  assert.equal(a, addressKey('[2001:DB8:85A3:1:ffff::1%eth0]'));
  assert.equal(a, '6:2001:0db8:85a3:0001::/64');
  assert.notEqual(a, addressKey('2001:db8:85a3:2::1'));
  assert.equal(addressKey('::1'), '6:0000:0000:0000:0000::/64');
});

test('RFC 4291 §2.5.5.2: an IPv4-mapped IPv6 address is its IPv4 address; IPv4 is kept whole', () => {
  assert.equal(addressKey('::ffff:192.0.2.7'), '4:192.0.2.7');
  assert.equal(addressKey('::FFFF:c000:0207'), '4:192.0.2.7');
  assert.equal(addressKey('192.0.2.7'), '4:192.0.2.7');
  assert.notEqual(addressKey('192.0.2.7'), addressKey('192.0.2.8'));
});

test('anything else is kept whole and bounded, never throws', () => {
  for (const bad of ['', 'not-an-ip', '1:2:3', '1::2::3', '::ffff:300.1.1.1', 'x'.repeat(500)]) {
    const k = addressKey(bad);
    assert.ok(k.startsWith('?:') && k.length <= 66, bad);
  }
});

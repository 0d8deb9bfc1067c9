import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AddressPolicy, specialRange } from './address-policy.ts';

function expectRanges(cases: readonly (readonly [string, string | null])[]): void {
  for (const [address, range] of cases) assert.equal(specialRange(address), range, address);
}

describe('S19 address classifier (IANA special-purpose registries, RFC 6890)', () => {
  test('RFC 6890 §2.2.2 IPv4 special-purpose ranges are refused, edges included', () => {
    expectRanges([
      ['0.0.0.0', 'unspecified'],
      ['0.255.255.255', 'unspecified'],
      ['127.0.0.1', 'loopback'],
      ['127.255.255.254', 'loopback'],
      ['10.0.0.1', 'private'],
      ['10.255.255.255', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.0.1', 'private'],
      ['192.168.255.255', 'private'],
      ['169.254.169.254', 'link_local'],
      ['169.254.0.1', 'link_local'],
      ['100.64.0.1', 'shared_cgnat'],
      ['100.127.255.255', 'shared_cgnat'],
      ['192.0.0.8', 'protocol_assignments'],
      ['192.0.2.1', 'documentation'],
      ['198.51.100.7', 'documentation'],
      ['203.0.113.9', 'documentation'],
      ['198.18.0.1', 'benchmarking'],
      ['198.19.255.255', 'benchmarking'],
      ['224.0.0.1', 'multicast'],
      ['239.255.255.250', 'multicast'],
      ['240.0.0.1', 'reserved'],
      ['255.255.255.254', 'reserved'],
      ['255.255.255.255', 'broadcast'],
      ['192.88.99.1', 'reserved'],
    ]);
  });

  test('RFC 6890 public IPv4 neighbours of the special ranges are allowed', () => {
    expectRanges([
      ['8.8.8.8', null],
      ['1.1.1.1', null],
      ['9.255.255.255', null],
      ['11.0.0.0', null],
      ['172.15.255.255', null],
      ['172.32.0.0', null],
      ['100.63.255.255', null],
      ['100.128.0.0', null],
      ['169.253.255.255', null],
      ['192.167.255.255', null],
      ['223.255.255.255', null],
      ['128.0.0.1', null],
    ]);
  });

  test('RFC 6890 §2.2.3 IPv6 special-purpose ranges are refused', () => {
    expectRanges([
      ['::', 'unspecified'],
      ['::1', 'loopback'],
      ['fc00::1', 'unique_local'],
      ['fd12:3456::1', 'unique_local'],
      ['fe80::1', 'link_local'],
      ['fe80::1%eth0', 'link_local'],
      ['febf::1', 'link_local'],
      ['fec0::1', 'site_local'],
      ['ff02::1', 'multicast'],
      ['ff05::1:3', 'multicast'],
      ['2001:db8::1', 'documentation'],
      ['3fff::1', 'documentation'],
      ['100::1', 'discard'],
      ['2001::1', 'protocol_assignments'],
      ['64:ff9b:1::1', 'nat64_local'],
    ]);
    expectRanges([
      ['2606:4700:4700::1111', null],
      ['2a00:1450:4001::1', null],
      ['2001:4860::8888', null],
    ]);
  });

  test('RFC 4291 §2.5.5 IPv4-mapped, -translated and -compatible forms of special addresses are refused', () => {
    expectRanges([
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:7f00:1', 'loopback'],
      ['::ffff:10.1.2.3', 'private'],
      ['::ffff:169.254.169.254', 'link_local'],
      ['::ffff:0.0.0.0', 'unspecified'],
      ['::ffff:0:127.0.0.1', 'loopback'],
      ['::127.0.0.1', 'loopback'],
      ['::7f00:1', 'loopback'],
      ['::192.168.1.1', 'private'],
      ['::ffff:8.8.8.8', null],
      // The deprecated compatible form is never a public destination.
      ['::8.8.8.8', 'reserved'],
    ]);
  });

  test('RFC 6052 §2.1 NAT64 (64:ff9b::/96) and RFC 3056 §2 6to4 (2002::/16) embedding a special IPv4 are refused', () => {
    expectRanges([
      ['64:ff9b::127.0.0.1', 'loopback'],
      ['64:ff9b::7f00:1', 'loopback'],
      ['64:ff9b::a9fe:a9fe', 'link_local'],
      ['64:ff9b::808:808', null],
      ['2002:7f00:1::', 'loopback'],
      ['2002:a00:1::1', 'private'],
      ['2002:c0a8:101::1', 'private'],
      ['2002:a9fe:a9fe::', 'link_local'],
      ['2002:808:808::1', null],
    ]);
  });
});

describe('S19 outbound.allowHosts', () => {
  test('a CIDR or address entry lets exactly those addresses through', () => {
    const p = new AddressPolicy(['127.0.0.1', '10.1.0.0/16', 'fd00::/8'], false);
    assert.equal(p.refusal('a', '127.0.0.1'), null);
    assert.equal(p.refusal('a', '127.0.0.2'), 'loopback');
    assert.equal(p.refusal('a', '10.1.200.3'), null);
    assert.equal(p.refusal('a', '10.2.0.1'), 'private');
    assert.equal(p.refusal('a', 'fd12::1'), null);
    assert.equal(p.refusal('a', '8.8.8.8'), null);
  });

  test('a hostname entry lets every address of that name through, and no other name', () => {
    const p = new AddressPolicy(['Keys.Internal.Example.'], false);
    assert.equal(p.refusal('keys.internal.example', '10.0.0.5'), null);
    assert.equal(p.refusal('keys.internal.example.', '127.0.0.1'), null);
    assert.equal(p.refusal('other.internal.example', '10.0.0.5'), 'private');
  });

  test('production: a loopback entry is refused, and nothing reaches loopback through a hostname entry', () => {
    assert.throws(() => new AddressPolicy(['127.0.0.1'], true), /production refuses/);
    assert.throws(() => new AddressPolicy(['0.0.0.0/0'], true), /production refuses/);
    assert.throws(() => new AddressPolicy(['localhost'], true), /production refuses/);
    const p = new AddressPolicy(['keys.internal.example', '10.0.0.0/8'], true);
    assert.equal(p.refusal('keys.internal.example', '10.0.0.5'), null);
    assert.equal(p.refusal('keys.internal.example', '127.0.0.1'), 'loopback');
    assert.equal(p.refusal('keys.internal.example', '::ffff:127.0.0.1'), 'loopback');
  });
});

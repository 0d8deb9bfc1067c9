import { BlockList, isIP } from 'node:net';
import { isLocalEntry, parseAllowEntry } from '../config/outbound-allow.ts';

/** The IANA special-purpose range an address falls in (RFC 6890 registries), or null: public unicast. */
export type SpecialRange =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'unique_local'
  | 'link_local'
  | 'site_local'
  | 'shared_cgnat'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'documentation'
  | 'benchmarking'
  | 'protocol_assignments'
  | 'discard'
  | 'nat64_local';

type Family = 'ipv4' | 'ipv6';

function ranges(family: Family, list: readonly (readonly [SpecialRange, string])[]): readonly (readonly [SpecialRange, BlockList])[] {
  return list.map(([name, cidr]) => {
    const [addr, bits] = cidr.split('/') as [string, string];
    const b = new BlockList();
    b.addSubnet(addr, Number(bits), family);
    return [name, b] as const;
  });
}

// RFC 6890 / the IANA IPv4 Special-Purpose Address Registry; broadcast before the 240/4 it sits in.
const V4 = ranges('ipv4', [
  ['unspecified', '0.0.0.0/8'],
  ['private', '10.0.0.0/8'],
  ['shared_cgnat', '100.64.0.0/10'],
  ['loopback', '127.0.0.0/8'],
  ['link_local', '169.254.0.0/16'],
  ['private', '172.16.0.0/12'],
  ['protocol_assignments', '192.0.0.0/24'],
  ['documentation', '192.0.2.0/24'],
  ['reserved', '192.88.99.0/24'],
  ['private', '192.168.0.0/16'],
  ['benchmarking', '198.18.0.0/15'],
  ['documentation', '198.51.100.0/24'],
  ['documentation', '203.0.113.0/24'],
  ['multicast', '224.0.0.0/4'],
  ['broadcast', '255.255.255.255/32'],
  ['reserved', '240.0.0.0/4'],
]);

// The IANA IPv6 Special-Purpose Address Registry (forms that embed an IPv4 address come below).
const V6 = ranges('ipv6', [
  ['unspecified', '::/128'],
  ['loopback', '::1/128'],
  ['discard', '100::/64'],
  ['nat64_local', '64:ff9b:1::/48'],
  ['protocol_assignments', '2001::/23'],
  ['documentation', '2001:db8::/32'],
  ['documentation', '3fff::/20'],
  ['unique_local', 'fc00::/7'],
  ['site_local', 'fec0::/10'],
  ['link_local', 'fe80::/10'],
  ['multicast', 'ff00::/8'],
]);

/** The 16 bytes of an IPv6 address (`isIP` already said it is one; a zone id is dropped). */
export function ipv6Bytes(address: string): Uint8Array {
  let s = address.split('%')[0]!;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    s = `${s.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = s.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

const dotted = (b: Uint8Array, at: number) => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
const zero = (b: Uint8Array, from: number, to: number) => b.subarray(from, to).every((x) => x === 0);

/**
 * The IPv4 address an IPv6 address carries, when it is one of the forms that reach it: mapped
 * `::ffff:a.b.c.d`, translated `::ffff:0:a.b.c.d` (RFC 2765), compatible `::a.b.c.d` (deprecated,
 * RFC 4291 §2.5.5.1), NAT64 `64:ff9b::a.b.c.d` (RFC 6052) and 6to4 `2002:AABB:CCDD::` (RFC 3056).
 */
export function embeddedIpv4(b: Uint8Array): string | null {
  if (zero(b, 0, 10) && b[10] === 0xff && b[11] === 0xff) return dotted(b, 12);
  if (zero(b, 0, 8) && b[8] === 0xff && b[9] === 0xff && zero(b, 10, 12)) return dotted(b, 12);
  if (zero(b, 0, 12)) return dotted(b, 12);
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(b, 4, 12)) return dotted(b, 12);
  if (b[0] === 0x20 && b[1] === 0x02) return dotted(b, 2);
  return null;
}

/** Which special range `address` (an IP address literal) is in, or null for a public unicast address. */
export function specialRange(address: string): SpecialRange | null {
  const family = isIP(address);
  if (family === 4) return V4.find(([, b]) => b.check(address, 'ipv4'))?.[0] ?? null;
  if (family !== 6) return 'reserved';
  const plain = address.split('%')[0]!;
  const direct = V6.find(([, b]) => b.check(plain, 'ipv6'))?.[0];
  if (direct) return direct;
  const bytes = ipv6Bytes(plain);
  const v4 = embeddedIpv4(bytes);
  if (v4 === null) return null;
  // The deprecated compatible form (::a.b.c.d) is never a public destination, whatever it embeds.
  return specialRange(v4) ?? (zero(bytes, 0, 12) ? 'reserved' : null);
}

/**
 * The operator's `outbound.allowHosts`: a hostname entry lets every address it resolves to
 * through; an address / CIDR entry lets those addresses through. In production nothing reaches
 * this machine (loopback, unspecified), allow-listed or not (config refuses such entries too).
 */
export class AddressPolicy {
  readonly #hosts: ReadonlySet<string>;
  readonly #nets = new BlockList();
  readonly #production: boolean;

  constructor(allowHosts: readonly string[], production: boolean) {
    const hosts = new Set<string>();
    for (const raw of allowHosts) {
      const e = parseAllowEntry(raw);
      if (!e) throw new Error(`outbound.allowHosts: not a hostname, IP address or CIDR range: ${raw}`);
      if (production && isLocalEntry(e)) throw new Error(`outbound.allowHosts: production refuses the loopback destination ${raw}`);
      if (e.kind === 'host') hosts.add(e.host);
      else this.#nets.addSubnet(e.address, e.prefix, e.family);
    }
    this.#hosts = hosts;
    this.#production = production;
  }

  /** Why connecting to `address` (resolved from `host`) is refused, or null when it is allowed. */
  refusal(host: string, address: string): SpecialRange | null {
    const range = specialRange(address);
    if (range === null) return null;
    if (this.#production && isLocalEntry({ kind: 'net', address, prefix: isIP(address) === 4 ? 32 : 128, family: isIP(address) === 4 ? 'ipv4' : 'ipv6' }))
      return range;
    if (this.#hosts.has(normalHost(host))) return null;
    const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    return this.#nets.check(address.split('%')[0]!, family) ? null : range;
  }
}

/** A URL hostname as compared with allow-list entries: lower case, no brackets, no trailing dot. */
export function normalHost(host: string): string {
  return host
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
}

import { BlockList, isIP } from 'node:net';

/**
 * One `outbound.allowHosts` entry: a hostname (matched exactly, case-insensitively, without a
 * trailing dot) or an IP address / CIDR range. Parsed here so the config check (production refuses
 * loopback entries) and the guarded fetcher (src/outbound) read the same grammar.
 */
export type AllowEntry =
  | { readonly kind: 'host'; readonly host: string }
  | { readonly kind: 'net'; readonly address: string; readonly prefix: number; readonly family: 'ipv4' | 'ipv6' };

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)*$/;

/** The entry, or null when it is neither a hostname nor an IP address / CIDR. */
export function parseAllowEntry(raw: string): AllowEntry | null {
  const s = raw
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  const [addr = '', bits, extra] = s.split('/');
  if (extra !== undefined) return null;
  const v = isIP(addr);
  if (v !== 0) {
    const max = v === 4 ? 32 : 128;
    if (bits !== undefined && !/^\d{1,3}$/.test(bits)) return null;
    const prefix = bits === undefined ? max : Number(bits);
    if (prefix > max) return null;
    return { kind: 'net', address: addr, prefix, family: v === 4 ? 'ipv4' : 'ipv6' };
  }
  if (bits !== undefined) return null;
  const host = s.replace(/\.$/, '');
  return HOSTNAME.test(host) && !/^[\d.]+$/.test(host) ? { kind: 'host', host } : null;
}

/** Ranges that reach this machine: loopback, and the unspecified address (connects locally). */
const LOCAL: readonly (readonly [string, number, 'ipv4' | 'ipv6'])[] = [
  ['127.0.0.0', 8, 'ipv4'],
  ['0.0.0.0', 8, 'ipv4'],
  ['::1', 128, 'ipv6'],
  ['::', 128, 'ipv6'],
  ['::ffff:127.0.0.0', 104, 'ipv6'],
  ['::ffff:0.0.0.0', 104, 'ipv6'],
  ['::127.0.0.0', 104, 'ipv6'],
];

/**
 * True when the entry names this machine: `localhost` (and `*.localhost`, RFC 6761 §6.3) or a
 * range overlapping loopback / unspecified (so `0.0.0.0/0` counts). Two prefixes overlap exactly
 * when the wider one contains the narrower one's network address.
 */
export function isLocalEntry(e: AllowEntry): boolean {
  if (e.kind === 'host') return e.host === 'localhost' || e.host.endsWith('.localhost');
  return LOCAL.some(([addr, prefix, family]) => {
    if (family !== e.family) return false;
    const wider = new BlockList();
    if (e.prefix <= prefix) {
      wider.addSubnet(e.address, e.prefix, family);
      return wider.check(addr, family);
    }
    wider.addSubnet(addr, prefix, family);
    return wider.check(e.address, family);
  });
}

import { isIP } from 'node:net';

/** `a.b.c.d`, an IPv6 address, or either with `/prefix` (what Fastify's trustProxy list accepts). */
export function isCidrOrAddress(v: string): boolean {
  const [ip, bits, extra] = v.trim().split('/');
  if (extra !== undefined || !ip) return false;
  const kind = isIP(ip);
  if (!kind) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (kind === 4 ? 32 : 128);
}

import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../ports/clock.ts';
import type { Random } from '../ports/random.ts';

/** At most this many recognitions one browser carries (accounts signed in on a shared device). */
const MAX_ENTRIES = 5;

/**
 * The recognised-device cookie (OWASP "device cookies" against lockout by a stranger): set after
 * a successful sign-in, it lets that browser sign in as that user again without the username-wide
 * delay and under its own hard limit, however often others guess the password elsewhere.
 * Each entry is `<exp>.<nonce>.<mac>`, mac = HMAC-SHA256(key, "<exp>.<nonce>.<userId>") under a key
 * derived from the KEK: it names no user (the user id is only inside the MAC), so only the user
 * being signed in can be checked against it; forged, expired or another user's entries are not
 * recognised. Entries are joined by `~`, newest first, at most MAX_ENTRIES.
 */
export interface DeviceCookies {
  /** The device id (nonce) recognised for `userId`, or null. */
  recognise(value: string | undefined, userId: string): string | null;
  /** The cookie value after `userId` signed in on this browser: its entry renewed, first. */
  issue(value: string | undefined, userId: string): string;
}

export function createDeviceCookies(key: Buffer, deps: { readonly clock: Clock; readonly random: Random }, ttlSeconds: number): DeviceCookies {
  const mac = (exp: string, nonce: string, userId: string) => createHmac('sha256', key).update(`${exp}.${nonce}.${userId}`).digest();
  const entries = (value: string | undefined) => (value ?? '').slice(0, 2048).split('~').filter(Boolean).slice(0, MAX_ENTRIES);
  const matches = (entry: string, userId: string): string | null => {
    const [exp, nonce, tag, extra] = entry.split('.');
    if (!exp || !nonce || !tag || extra !== undefined || !/^\d{1,12}$/.test(exp)) return null;
    if (Number(exp) <= Math.floor(deps.clock.now() / 1000)) return null;
    const want = mac(exp, nonce, userId);
    const got = Buffer.from(tag, 'base64url');
    return got.length === want.length && timingSafeEqual(got, want) ? nonce : null;
  };
  const cookies: DeviceCookies = {
    recognise(value, userId) {
      for (const e of entries(value)) {
        const id = matches(e, userId);
        if (id) return id;
      }
      return null;
    },
    issue(value, userId) {
      const now = Math.floor(deps.clock.now() / 1000);
      const kept = entries(value).filter((e) => matches(e, userId) === null && Number(e.split('.')[0]) > now);
      // The same device keeps its id (and so its counter); a new one gets 128 random bits.
      const nonce = cookies.recognise(value, userId) ?? Buffer.from(deps.random.bytes(16)).toString('base64url');
      const exp = String(now + ttlSeconds);
      const entry = `${exp}.${nonce}.${mac(exp, nonce, userId).toString('base64url')}`;
      return [entry, ...kept].slice(0, MAX_ENTRIES).join('~');
    },
  };
  return cookies;
}

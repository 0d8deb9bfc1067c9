import { createHmac } from 'node:crypto';
import { safeEqual } from '../crypto.ts';
import type { Clock } from '../ports/clock.ts';

/**
 * Server-provided DPoP nonces (RFC 9449 §8, §9) without state: a nonce is the HMAC of a time
 * window's number under a key every instance derives from the shared KEK, so any instance
 * accepts what another handed out and nothing is stored. The current and the previous window are
 * accepted, so a nonce lives between one and two windows; a proof carrying the previous window's
 * nonce is answered with the current one (`DPoP-Nonce`, RFC 9449 §8.2: "the authorization server
 * MAY supply the new nonce value to the client" in a successful response).
 */
export interface DpopNonces {
  /** The nonce of the current window. */
  current(): string;
  /** `current`: this window's; `previous`: still accepted, the client should switch; `invalid`: refuse. */
  check(nonce: string): 'current' | 'previous' | 'invalid';
}

export function createDpopNonces(key: Buffer, windowSeconds: number, clock: Clock): DpopNonces {
  let cachedWindow = -1;
  let cached: readonly [string, string] = ['', ''];
  const mac = (window: number) => createHmac('sha256', key).update(`dpop-nonce:${window}`).digest('base64url');
  /** [current, previous], computed once per window. */
  const both = (): readonly [string, string] => {
    const window = Math.floor(clock.now() / 1000 / windowSeconds);
    if (window !== cachedWindow) {
      cached = [mac(window), mac(window - 1)];
      cachedWindow = window;
    }
    return cached;
  };
  return {
    current: () => both()[0],
    check(nonce) {
      const [current, previous] = both();
      if (safeEqual(nonce, current)) return 'current';
      if (safeEqual(nonce, previous)) return 'previous';
      return 'invalid';
    },
  };
}

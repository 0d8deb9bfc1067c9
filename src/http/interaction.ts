import type { Config } from '../config/schema.ts';
import type { InteractionProgress } from '../core/authorize/types.ts';
import { decryptWithKek, encryptWithKek } from '../core/keys/kek.ts';
import { epochSeconds, type Clock } from '../core/ports/clock.ts';
import { deriveKey } from '../core/keys/kek.ts';

/**
 * A pending authorization request carried through the pages (login, consent, account chooser)
 * as one hidden form field: the validated request's `params`, what the pages have done so far
 * (`InteractionProgress`), an expiry (`authorization.interactionTtl`) and a binding to the
 * browser's CSRF cookie, sealed with AES-256-GCM under a key derived from the KEK. No store
 * writes; any instance sharing the KEK can open it; a copy replayed in another browser, altered
 * or past its expiry is refused.
 */
export interface Interaction {
  readonly params: Readonly<Record<string, string>>;
  readonly progress: InteractionProgress;
  /** Epoch seconds after which the request must start again. */
  readonly expiresAt: number;
  /** The pages' language, chosen when the interaction started; null in one sealed before languages existed. */
  readonly locale: string | null;
}

export type OpenResult =
  | { readonly ok: true; readonly interaction: Interaction }
  | { readonly ok: false; readonly reason: 'malformed' | 'expired' | 'other_browser' };

export interface InteractionSealer {
  /** Seals a new interaction (expiry now + interactionTtl) or an updated one (`expiresAt` kept). */
  seal(
    i: { readonly params: Readonly<Record<string, string>>; readonly progress: InteractionProgress; readonly locale?: string; readonly expiresAt?: number },
    binding: string,
  ): string;
  open(sealed: string | undefined, binding: string | undefined): OpenResult;
}

export const NO_PROGRESS: InteractionProgress = Object.freeze({ loginAt: null, consentedSid: null, confirmedSid: null, accountChosen: false });

const AAD = 'gatehouse-interaction-v1';

/** `g.f` (confirmedSid) and `l` (locale) may be absent: interactions sealed before they existed still open. */
interface Sealed {
  readonly p: Record<string, string>;
  readonly l?: string;
  readonly g: { readonly l: number | null; readonly c: string | null; readonly f?: string | null; readonly a: boolean };
  readonly e: number;
  readonly b: string;
}

function isSealed(v: unknown): v is Sealed {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Partial<Sealed>;
  return (
    typeof s.p === 'object' &&
    s.p !== null &&
    !Array.isArray(s.p) &&
    Object.values(s.p).every((x) => typeof x === 'string') &&
    typeof s.g === 'object' &&
    s.g !== null &&
    (s.g.l === null || Number.isInteger(s.g.l)) &&
    (s.g.c === null || typeof s.g.c === 'string') &&
    (s.g.f === undefined || s.g.f === null || typeof s.g.f === 'string') &&
    typeof s.g.a === 'boolean' &&
    Number.isInteger(s.e) &&
    typeof s.b === 'string' &&
    (s.l === undefined || (typeof s.l === 'string' && s.l.length <= 35))
  );
}

export function createInteractionSealer(kek: Buffer, clock: Clock, config: Pick<Config, 'authorization'>): InteractionSealer {
  const key = deriveKey(kek, 'gatehouse interaction v1');
  const ttl = config.authorization.interactionTtl;
  return {
    seal({ params, progress, locale, expiresAt }, binding) {
      const body: Sealed = {
        p: { ...params },
        ...(locale !== undefined ? { l: locale } : {}),
        g: { l: progress.loginAt, c: progress.consentedSid, f: progress.confirmedSid, a: progress.accountChosen },
        e: expiresAt ?? epochSeconds(clock) + ttl,
        b: binding,
      };
      return encryptWithKek(key, JSON.stringify(body), AAD);
    },
    open(sealed, binding) {
      if (typeof sealed !== 'string' || sealed.length === 0 || sealed.length > 65_536) return { ok: false, reason: 'malformed' };
      let body: unknown;
      try {
        body = JSON.parse(decryptWithKek(key, sealed, AAD));
      } catch {
        return { ok: false, reason: 'malformed' };
      }
      if (!isSealed(body)) return { ok: false, reason: 'malformed' };
      if (binding === undefined || body.b !== binding) return { ok: false, reason: 'other_browser' };
      if (epochSeconds(clock) >= body.e) return { ok: false, reason: 'expired' };
      const params: Record<string, string> = Object.create(null);
      Object.assign(params, body.p);
      return {
        ok: true,
        interaction: {
          params,
          progress: { loginAt: body.g.l, consentedSid: body.g.c, confirmedSid: body.g.f ?? null, accountChosen: body.g.a },
          expiresAt: body.e,
          locale: body.l ?? null,
        },
      };
    },
  };
}

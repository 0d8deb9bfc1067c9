/**
 * How much guessing a secret resists, estimated from the value itself rather than compared with a
 * word list (a list misses `changemechangemechangeme…`; padding a placeholder does not make it
 * random). Production refuses a secret below {@link MIN_SECRET_BITS}.
 *
 * estimate = novel symbols × bits per symbol, where
 * - novel symbols: the symbols not inside a repeat of something earlier (a run of
 *   {@link REPEAT_SPAN} or more symbols seen before counts once), so repeating or padding adds nothing;
 * - bits per symbol: the smaller of the alphabet the value draws from (character classes for text,
 *   256 for bytes) and the value's own Shannon entropy per symbol (few distinct symbols, few bits).
 * A random 32-byte value (`openssl rand -base64 32`, 44 characters) estimates about 200 bits; 32
 * hex characters estimate just under 128 and need 64 (`openssl rand -hex 32`).
 */
export const MIN_SECRET_BITS = 128;
const REPEAT_SPAN = 4;

function shannonPerSymbol(symbols: readonly (string | number)[]): number {
  const counts = new Map<string | number, number>();
  for (const s of symbols) counts.set(s, (counts.get(s) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / symbols.length;
    h -= p * Math.log2(p);
  }
  return h;
}

function novelSymbols(symbols: readonly (string | number)[]): number {
  const key = (i: number) => symbols.slice(i, i + REPEAT_SPAN).join('\u0000');
  const seen = new Set<string>();
  let novel = 0;
  let skipUntil = 0;
  for (let i = 0; i < symbols.length; i++) {
    const k = key(i);
    if (i >= skipUntil && seen.has(k)) skipUntil = i + REPEAT_SPAN;
    if (i >= skipUntil) novel++;
    if (i + REPEAT_SPAN <= symbols.length) seen.add(k);
  }
  return novel;
}

function alphabetBits(text: string): number {
  let pool = 0;
  if (/[a-z]/.test(text)) pool += 26;
  if (/[A-Z]/.test(text)) pool += 26;
  if (/[0-9]/.test(text)) pool += 10;
  if (/[^a-zA-Z0-9]/.test(text)) pool += 33;
  return pool ? Math.log2(pool) : 0;
}

function estimate(symbols: readonly (string | number)[], alphabet: number): number {
  if (!symbols.length) return 0;
  return Math.floor(novelSymbols(symbols) * Math.min(alphabet, shannonPerSymbol(symbols)));
}

/** Estimated bits of a text secret (admin token, initial access token). */
export function textSecretBits(text: string): number {
  return estimate([...text], alphabetBits(text));
}

/** Estimated bits of a binary secret (the decoded KEK). */
export function byteSecretBits(bytes: Uint8Array): number {
  return estimate([...bytes], 8);
}

/**
 * Picks the pages' language. OIDC Core §3.1.2.1 `ui_locales`: "End-User's preferred languages
 * and scripts for the user interface, represented as a space-separated list of BCP47 [RFC5646]
 * language tag values, ordered by preference" — first; then the browser's `Accept-Language`
 * (RFC 9110 §12.5.4, by q-value); then the configured default. Each candidate is matched with
 * RFC 4647 §3.4 Lookup: `de-AT` falls back to `de`.
 */

/** Longest Accept-Language header read, and most ranges taken from it. */
const MAX_HEADER = 1024;
const MAX_RANGES = 32;

/** Language ranges of an Accept-Language header, best first (stable for equal q), `q=0` and `*` dropped. */
export function parseAcceptLanguage(header: string | undefined): string[] {
  if (!header) return [];
  const ranges: { tag: string; q: number; i: number }[] = [];
  for (const [i, part] of header.slice(0, MAX_HEADER).split(',').slice(0, MAX_RANGES).entries()) {
    const [tag = '', ...params] = part.trim().split(';');
    if (!/^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(tag.trim())) continue;
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([01](\.\d{0,3})?)\s*$/.exec(p);
      if (m) q = Math.min(1, Number(m[1]));
    }
    if (q > 0) ranges.push({ tag: tag.trim(), q, i });
  }
  return ranges.sort((a, b) => b.q - a.q || a.i - b.i).map((r) => r.tag);
}

/** RFC 4647 §3.4 Lookup of one tag: the supported locale equal to it or to a truncation of it, or null. */
export function lookupLocale(supported: readonly string[], tag: string): string | null {
  const parts = tag.toLowerCase().split('-');
  while (parts.length) {
    const candidate = parts.join('-');
    const hit = supported.find((s) => s.toLowerCase() === candidate);
    if (hit) return hit;
    parts.pop();
    // §3.4: "If the character to the left of the removed subtag is a singleton, remove it too."
    if (parts.length && parts[parts.length - 1]!.length === 1) parts.pop();
  }
  return null;
}

export function negotiateLocale(supported: readonly string[], fallback: string, uiLocales: readonly string[], acceptLanguage: string | undefined): string {
  for (const tag of uiLocales) {
    const hit = lookupLocale(supported, tag);
    if (hit) return hit;
  }
  for (const tag of parseAcceptLanguage(acceptLanguage)) {
    const hit = lookupLocale(supported, tag);
    if (hit) return hit;
  }
  return fallback;
}

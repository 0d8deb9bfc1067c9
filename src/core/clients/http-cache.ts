/**
 * RFC 9111 for a private cache of documents Gatehouse fetches (Client ID Metadata Documents):
 * whether a response may be stored, until when it is fresh, which validators revalidate it, and
 * how a 304 updates it. Pure: times are milliseconds on the injected clock, headers are the
 * outbound port's (lower-case names, repeated fields joined with ", ").
 */

/** Bounds the cache puts on freshness. */
export interface FreshnessPolicy {
  /** Heuristic freshness lifetime (RFC 9111 §4.2.2), seconds, for a response without explicit expiration. */
  readonly heuristicSeconds: number;
  /** Longest freshness lifetime, seconds: a cache may stop trusting earlier, never later. */
  readonly maxSeconds: number;
}

/** What the cache keeps of a response besides its body. */
export interface StoredTiming {
  /** Clock time (ms) until which the stored response is fresh; -Infinity: revalidate before every use. */
  readonly freshUntil: number;
  /** The header fields that govern reuse and validation, as stored (updated by a 304, §4.3.4). */
  readonly headers: Readonly<Record<string, string>>;
}

type Headers = Readonly<Record<string, string | undefined>>;

/** Kept with the stored response; `date` and `age` describe one message and come from each new one. */
const STORED = ['cache-control', 'expires', 'etag', 'last-modified', 'vary'] as const;

/** RFC 9111 §1.2.2: a delta-seconds too large to represent is 2^31. */
const MAX_DELTA = 2_147_483_648;

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const DIRECTIVE = new RegExp(`(${TOKEN})(?:[ \\t]*=[ \\t]*(?:"((?:[^"\\\\]|\\\\.)*)"|(${TOKEN})))?[ \\t]*(?:,|$)`, 'y');

/**
 * Cache-Control directives (RFC 9111 §5.2) by lower-case name, each with every argument it was
 * given (null: none), or null when the field is not a valid list of directives.
 */
export function parseCacheControl(value: string): Map<string, (string | null)[]> | null {
  const out = new Map<string, (string | null)[]>();
  let i = 0;
  for (;;) {
    while (i < value.length && (value[i] === ' ' || value[i] === '\t' || value[i] === ',')) i++;
    if (i >= value.length) return out;
    DIRECTIVE.lastIndex = i;
    const m = DIRECTIVE.exec(value);
    if (!m) return null;
    const name = m[1]!.toLowerCase();
    const arg = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? null);
    out.set(name, [...(out.get(name) ?? []), arg]);
    i = DIRECTIVE.lastIndex;
  }
}

/** RFC 9110 §1.2.2 delta-seconds, or null when it is not one. */
function deltaSeconds(v: string | null | undefined): number | null {
  if (v == null || !/^\d+$/.test(v)) return null;
  return Math.min(Number(v), MAX_DELTA);
}

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MON = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MON} (\\d{4}) ${TIME} GMT$`);
const RFC850 = new RegExp(`^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-${MON}-(\\d{2}) ${TIME} GMT$`);
const ASCTIME = new RegExp(`^${DAY} ${MON} ([ \\d]\\d) ${TIME} (\\d{4})$`);

/**
 * An HTTP-date (RFC 9110 §5.6.7) in ms, or null. Recipients "MUST accept all three HTTP-date
 * formats"; anything else (`0`, an ISO date) is invalid, not guessed at as `Date.parse` would.
 */
export function parseHttpDate(v: string | undefined, now: number): number | null {
  if (v === undefined) return null;
  let d: [year: number, month: string, day: string, h: string, m: string, s: string];
  let m = IMF_FIXDATE.exec(v);
  if (m) d = [Number(m[3]), m[2]!, m[1]!, m[4]!, m[5]!, m[6]!];
  else if ((m = RFC850.exec(v))) {
    // "MUST interpret a timestamp that appears to be more than 50 years in the future as
    // representing the most recent year in the past that had the same last two digits."
    const thisYear = new Date(now).getUTCFullYear();
    let year = Math.floor(thisYear / 100) * 100 + Number(m[3]);
    if (year > thisYear + 50) year -= 100;
    else if (year <= thisYear - 50) year += 100;
    d = [year, m[2]!, m[1]!, m[4]!, m[5]!, m[6]!];
  } else if ((m = ASCTIME.exec(v))) d = [Number(m[6]), m[1]!, m[2]!.trim(), m[3]!, m[4]!, m[5]!];
  else return null;
  const [year, mon, day, h, min, s] = d;
  const month = MONTHS.indexOf(mon);
  const t = Date.UTC(year, month, Number(day), Number(h), Number(min), Number(s));
  const back = new Date(t);
  // No 31 February, no 25:00 (Date.UTC would roll them over).
  if (back.getUTCDate() !== Number(day) || back.getUTCMonth() !== month || back.getUTCHours() !== Number(h) || back.getUTCMinutes() !== Number(min))
    return null;
  return Number(s) > 59 ? null : t;
}

/**
 * The explicit freshness lifetime in seconds (RFC 9111 §4.2.1), or null when there is none.
 * A private cache ignores `s-maxage`. "Caches are encouraged to consider responses that have
 * invalid freshness information (e.g., a max-age directive with non-integer content) to be
 * stale"; a repeated `max-age` too ("either the first occurrence should be used or the response
 * should be considered stale"); §5.3 an invalid Expires, "especially including the value "0"",
 * is a time in the past.
 */
function explicitLifetime(cc: Map<string, (string | null)[]>, h: Headers, responseTime: number): number | null {
  const maxAge = cc.get('max-age');
  if (maxAge) return maxAge.length === 1 ? (deltaSeconds(maxAge[0]) ?? 0) : 0;
  if (h['expires'] === undefined) return null;
  const expires = parseHttpDate(h['expires'], responseTime);
  if (expires === null) return 0;
  // §4.2.1 "minus the value of the Date response header field (using the time the message was
  // received if it is not present, as per Section 6.6.1 of [HTTP])" (an invalid Date, too).
  const date = parseHttpDate(h['date'], responseTime) ?? responseTime;
  return Math.max(0, (expires - date) / 1000);
}

/**
 * RFC 9111 §4.2.3 corrected_initial_age in ms: the response's age when it arrived, from its
 * `Age` (plus the time the request took) or from its `Date`, whichever is older. An `Age` that
 * is not a delta-seconds is taken as the largest age (stale), never as zero.
 */
export function initialAge(h: Headers, requestTime: number, responseTime: number): number {
  const date = parseHttpDate(h['date'], responseTime) ?? responseTime;
  const apparentAge = Math.max(0, responseTime - date);
  const ageValue = h['age'] === undefined ? 0 : (deltaSeconds(h['age'].trim()) ?? MAX_DELTA);
  const correctedAgeValue = ageValue * 1000 + Math.max(0, responseTime - requestTime);
  return Math.max(apparentAge, correctedAgeValue);
}

/**
 * How a 200 response (or a stored one updated by a 304) is kept, or null when it must not be
 * stored: `no-store` (§5.2.2.5), a Cache-Control that does not parse (its intent is unknown),
 * `Vary: *` (§4.1: "always fails to match"), or a response that is stale on arrival and has
 * no validator (it could never be used again). `no-cache` (§5.2.2.4: "MUST NOT be used to
 * satisfy any other request without forwarding it for validation") and a zero lifetime are
 * stored stale. Otherwise fresh until its lifetime (explicit, else the heuristic, §4.2.2, both
 * capped) minus its current age (§4.2.3: the age on arrival plus the time resident).
 */
export function storedTiming(h: Headers, requestTime: number, responseTime: number, policy: FreshnessPolicy): StoredTiming | null {
  const cc = parseCacheControl(h['cache-control'] ?? '');
  if (cc === null || cc.has('no-store')) return null;
  if ((h['vary'] ?? '').split(',').some((f) => f.trim() === '*')) return null;
  const lifetime = Math.min(explicitLifetime(cc, h, responseTime) ?? policy.heuristicSeconds, policy.maxSeconds);
  const freshUntil = cc.has('no-cache') || lifetime <= 0 ? Number.NEGATIVE_INFINITY : responseTime + lifetime * 1000 - initialAge(h, requestTime, responseTime);
  const headers: Record<string, string> = {};
  for (const name of STORED) if (h[name] !== undefined) headers[name] = h[name];
  const timing = { freshUntil, headers };
  return freshUntil > responseTime || conditionalHeaders(timing) !== null ? timing : null;
}

/**
 * The conditional request that revalidates a stored response (RFC 9111 §4.3.1): it "MUST send
 * the relevant entity tags (using If-None-Match)" and "SHOULD send the Last-Modified value (using
 * If-Modified-Since)"; null when it has no validator.
 */
export function conditionalHeaders(stored: StoredTiming): Record<string, string> | null {
  const out: Record<string, string> = {};
  const { etag, 'last-modified': lastModified } = stored.headers;
  if (etag !== undefined) out['if-none-match'] = etag;
  // RFC 9110 §13.1.3: a recipient MUST ignore an If-Modified-Since that is not a valid HTTP-date.
  if (lastModified !== undefined && parseHttpDate(lastModified, 0) !== null) out['if-modified-since'] = lastModified;
  return Object.keys(out).length ? out : null;
}

const opaqueTag = (tag: string) => tag.replace(/^W\//, '');

/**
 * Whether a 304 answers for the stored response (RFC 9111 §4.3.4): a strong entity tag in it
 * must equal the stored one, a weak one must match it weakly; without an entity tag, a
 * Last-Modified in both must agree; with neither, the one stored response is selected.
 */
export function notModifiedSelects(stored: StoredTiming, h: Headers): boolean {
  const storedTag = stored.headers['etag'];
  const tag = h['etag'];
  if (tag !== undefined) return storedTag !== undefined && (tag.startsWith('W/') ? opaqueTag(tag) === opaqueTag(storedTag) : tag === storedTag);
  if (h['last-modified'] !== undefined && stored.headers['last-modified'] !== undefined) return h['last-modified'] === stored.headers['last-modified'];
  return true;
}

/**
 * The stored response after a 304 (RFC 9111 §4.3.4: "use other header fields provided in the 304
 * (Not Modified) response to replace all instances of the corresponding header fields in the
 * stored response"), its freshness computed anew from that exchange; null when the 304 says it
 * must no longer be stored.
 */
export function afterNotModified(stored: StoredTiming, h: Headers, requestTime: number, responseTime: number, policy: FreshnessPolicy): StoredTiming | null {
  const merged: Record<string, string> = { ...stored.headers };
  for (const name of STORED) if (h[name] !== undefined) merged[name] = h[name];
  if (h['date'] !== undefined) merged['date'] = h['date'];
  if (h['age'] !== undefined) merged['age'] = h['age'];
  return storedTiming(merged, requestTime, responseTime, policy);
}

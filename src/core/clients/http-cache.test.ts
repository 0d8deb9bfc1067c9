import assert from 'node:assert/strict';
import { test } from 'node:test';
import { afterNotModified, conditionalHeaders, initialAge, notModifiedSelects, parseCacheControl, parseHttpDate, storedTiming } from './http-cache.ts';

const T = Date.UTC(2026, 0, 15, 12, 0, 0); // Thu, 15 Jan 2026 12:00:00 GMT
const DATE = 'Thu, 15 Jan 2026 12:00:00 GMT';
const policy = { heuristicSeconds: 300, maxSeconds: 3600 };
/** Seconds the response stays fresh after it arrived at T (the request left at T too), or 'stale' / 'not stored'. */
const fresh = (h: Record<string, string>, p = policy, requestTime = T): number | 'stale' | 'not stored' => {
  const t = storedTiming(h, requestTime, T, p);
  if (t === null) return 'not stored';
  return t.freshUntil > T ? (t.freshUntil - T) / 1000 : 'stale';
};
const V = { etag: '"v1"' }; // a validator, so that stale responses are stored

test('RFC 9110 §5.6.7 HTTP-date: the three formats, nothing else (no "0", no ISO dates), no rolled-over fields', () => {
  assert.equal(parseHttpDate(DATE, T), T);
  assert.equal(parseHttpDate('Thursday, 15-Jan-26 12:00:00 GMT', T), T);
  assert.equal(parseHttpDate('Thu Jan 15 12:00:00 2026', T), T);
  assert.equal(parseHttpDate('Sun Nov  6 08:49:37 1994', T), Date.UTC(1994, 10, 6, 8, 49, 37));
  // rfc850's two-digit year: more than 50 years ahead means the previous century.
  assert.equal(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', T), Date.UTC(1994, 10, 6, 8, 49, 37));
  for (const bad of [
    '0',
    '-1',
    '2026-01-15T12:00:00Z',
    'Thu, 31 Feb 2026 12:00:00 GMT',
    'Thu, 15 Jan 2026 25:00:00 GMT',
    'Thu, 15 Jan 2026 12:00:60 GMT',
    `${DATE}, ${DATE}`,
  ]) {
    assert.equal(parseHttpDate(bad, T), null, bad);
  }
});

test('RFC 9111 §5.2 Cache-Control: a list of directives with token or quoted arguments; anything else does not parse', () => {
  assert.deepEqual(
    [...parseCacheControl(' , Max-Age=60, no-cache="set-cookie, x", private')!],
    [
      ['max-age', ['60']],
      ['no-cache', ['set-cookie, x']],
      ['private', [null]],
    ],
  );
  assert.equal(parseCacheControl('max-age=60;'), null);
  assert.equal(parseCacheControl('max-age=60 no-store'), null);
  assert.equal(parseCacheControl('max-age='), null);
});

test('RFC 9111 §5.2.2.5 no-store is never stored; §4.1 neither is Vary: *; nor a Cache-Control whose intent cannot be read', () => {
  assert.equal(fresh({ 'cache-control': 'no-store', ...V }), 'not stored');
  assert.equal(fresh({ 'cache-control': 'max-age=600, no-store', ...V }), 'not stored');
  assert.equal(fresh({ 'cache-control': 'max-age=600', vary: 'accept, *', ...V }), 'not stored');
  assert.equal(fresh({ 'cache-control': 'max-age=600; no-store', ...V }), 'not stored');
  assert.equal(fresh({ 'cache-control': 'max-age=600', vary: 'accept' }), 600, 'Vary naming a field is fine (our requests never vary)');
});

test('RFC 9111 §5.2.2.4 no-cache and a zero lifetime: stored only with a validator, and stale at once (revalidated before each use)', () => {
  assert.equal(fresh({ 'cache-control': 'no-cache, max-age=600', ...V }), 'stale');
  assert.equal(fresh({ 'cache-control': 'no-cache="set-cookie"', ...V }), 'stale', 'a qualified no-cache is taken as unqualified');
  assert.equal(fresh({ 'cache-control': 'max-age=0', 'last-modified': DATE }), 'stale');
  assert.equal(fresh({ 'cache-control': 'no-cache' }), 'not stored', 'nothing to revalidate with: no use keeping it');
  assert.equal(fresh({ 'cache-control': 'max-age=0' }), 'not stored');
});

test('RFC 9111 §4.2.1 freshness lifetime: max-age (s-maxage ignored by a private cache), else Expires minus Date, else the heuristic; capped, never raised', () => {
  assert.equal(fresh({ 'cache-control': 'public, max-age=600', date: DATE }), 600);
  assert.equal(fresh({ 'cache-control': 'max-age=5', date: DATE }), 5, 'short freshness is kept as sent');
  assert.equal(fresh({ 'cache-control': 'max-age=999999', date: DATE }), 3600, 'capped at maxSeconds');
  assert.equal(fresh({ 'cache-control': 's-maxage=600', date: DATE }), 300, 's-maxage is for shared caches: the heuristic applies');
  assert.equal(fresh({ 'cache-control': 's-maxage=600, max-age=20', date: DATE }), 20);
  assert.equal(fresh({ 'cache-control': 'max-age=20', expires: 'Thu, 15 Jan 2026 13:00:00 GMT', date: DATE }), 20, 'max-age wins over Expires');
  assert.equal(fresh({ expires: 'Thu, 15 Jan 2026 12:02:00 GMT', date: DATE }), 120);
  // Expires minus Date, not minus our clock: an origin whose clock is an hour ahead still means 120 s.
  assert.equal(fresh({ expires: 'Thu, 15 Jan 2026 13:02:00 GMT', date: 'Thu, 15 Jan 2026 13:00:00 GMT' }), 120);
  assert.equal(fresh({ expires: 'Thu, 15 Jan 2026 12:02:00 GMT' }), 120, 'no Date: the time it was received');
  assert.equal(fresh({ expires: 'Thu, 15 Jan 2026 11:00:00 GMT', date: DATE }), 'not stored', 'expired already, no validator');
  assert.equal(fresh({ expires: '0', date: DATE, ...V }), 'stale', '§5.3 an invalid Expires is in the past');
  assert.equal(fresh({ expires: '2099-01-01', date: DATE, ...V }), 'stale');
  assert.equal(fresh({ 'cache-control': 'max-age=abc', date: DATE, ...V }), 'stale', 'invalid max-age: stale, not the heuristic');
  assert.equal(fresh({ 'cache-control': 'max-age=60, max-age=600', date: DATE, ...V }), 'stale', 'conflicting max-age: stale');
  assert.equal(fresh({ date: DATE }), 300, '§4.2.2 no explicit expiration: the heuristic');
  assert.equal(fresh({}, { heuristicSeconds: 9999, maxSeconds: 3600 }), 3600, 'the heuristic is capped too');
  assert.equal(fresh({ ...V }, { heuristicSeconds: 0, maxSeconds: 3600 }), 'stale');
});

test('RFC 9111 §4.2.3 current age: Age plus the response delay, or Date when older; it shortens the time left', () => {
  assert.equal(initialAge({ age: '100' }, T - 2000, T), 102_000, 'Age + response delay');
  assert.equal(initialAge({ date: 'Thu, 15 Jan 2026 11:58:00 GMT' }, T, T), 120_000, 'apparent age from Date');
  assert.equal(initialAge({ date: 'Thu, 15 Jan 2026 12:05:00 GMT' }, T, T), 0, 'a Date in the future is no negative age');
  assert.equal(initialAge({ age: 'x' }, T, T), 2_147_483_648_000, 'an invalid Age is the largest age');
  assert.equal(fresh({ 'cache-control': 'max-age=300', age: '290', date: DATE }), 10);
  assert.equal(fresh({ 'cache-control': 'max-age=300', age: '290', date: DATE }, policy, T - 4000), 6, 'the request took 4 s');
  assert.equal(fresh({ expires: 'Thu, 15 Jan 2026 12:02:00 GMT', date: DATE, age: '60' }), 60);
  assert.equal(fresh({ 'cache-control': 'max-age=300', age: '300', date: DATE, ...V }), 'stale');
  assert.equal(fresh({ 'cache-control': 'max-age=300', age: '300', date: DATE }), 'not stored');
  assert.equal(fresh({ 'cache-control': 'max-age=300', date: 'Thu, 15 Jan 2026 11:56:00 GMT', ...V }), 60, 'Date four minutes old');
});

test('RFC 9111 §4.3.1 conditional request: If-None-Match with the entity tag, If-Modified-Since with a valid Last-Modified', () => {
  const t = (h: Record<string, string>) => storedTiming({ 'cache-control': 'no-cache', ...h }, T, T, policy)!;
  assert.deepEqual(conditionalHeaders(t({ etag: 'W/"a"', 'last-modified': DATE })), { 'if-none-match': 'W/"a"', 'if-modified-since': DATE });
  assert.deepEqual(conditionalHeaders(t({ 'last-modified': DATE })), { 'if-modified-since': DATE });
  assert.deepEqual(conditionalHeaders(t({ etag: '"a"', 'last-modified': 'yesterday' })), { 'if-none-match': '"a"' });
  assert.equal(storedTiming({ 'cache-control': 'no-cache', 'last-modified': 'yesterday' }, T, T, policy), null, 'an invalid Last-Modified validates nothing');
});

test('RFC 9111 §4.3.4 a 304 selects the stored response by its validator and updates its freshness from the 304 header fields', () => {
  const stored = storedTiming({ 'cache-control': 'max-age=60', etag: '"v1"', date: DATE }, T, T, policy)!;
  assert.equal(stored.freshUntil, T + 60_000);
  assert.equal(notModifiedSelects(stored, { etag: '"v1"' }), true);
  assert.equal(notModifiedSelects(stored, { etag: 'W/"v1"' }), true, 'a weak tag matches weakly');
  assert.equal(notModifiedSelects(stored, { etag: '"v2"' }), false);
  assert.equal(notModifiedSelects(stored, {}), true);
  const weak = storedTiming({ 'cache-control': 'max-age=60', etag: 'W/"v1"' }, T, T, policy)!;
  assert.equal(notModifiedSelects(weak, { etag: '"v1"' }), false, 'a strong tag needs the same strong tag');
  const later = T + 600_000;
  const date = 'Thu, 15 Jan 2026 12:10:00 GMT';
  // Without its own Cache-Control the 304 keeps the stored max-age, counted from the 304.
  assert.equal(afterNotModified(stored, { date }, later, later, policy)!.freshUntil, later + 60_000);
  assert.equal(afterNotModified(stored, { 'cache-control': 'max-age=120', date, age: '20' }, later, later, policy)!.freshUntil, later + 100_000);
  assert.equal(afterNotModified(stored, { 'cache-control': 'no-cache', date }, later, later, policy)!.freshUntil, Number.NEGATIVE_INFINITY);
  assert.equal(afterNotModified(stored, { 'cache-control': 'no-store', date }, later, later, policy), null);
  assert.deepEqual(afterNotModified(stored, { etag: '"v1"', 'last-modified': date, date }, later, later, policy)!.headers, {
    'cache-control': 'max-age=60',
    etag: '"v1"',
    'last-modified': date,
  });
  // The stored response's Age belongs to the old exchange, not to the 304.
  const aged = storedTiming({ 'cache-control': 'max-age=60', age: '50', etag: '"v1"' }, T, T, policy)!;
  assert.equal(afterNotModified(aged, { date }, later, later, policy)!.freshUntil, later + 60_000);
});

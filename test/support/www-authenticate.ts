/**
 * A strict reader of `WWW-Authenticate` challenges for tests: RFC 6750 §3 / RFC 9110 §11.6.1,
 * `scheme` then `name="value"` pairs separated by ", ", every value within the §3 set
 * (%x20-21 / %x23-5B / %x5D-7E); several challenges are separated by ", " (RFC 9449 §7.2:
 * `Bearer …, DPoP algs="…"`). Any other shape fails the test.
 */
import assert from 'node:assert/strict';

/** RFC 6750 §3: the characters an error, error_description or scope value may hold. */
export const RFC6750_VALUE = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/;

export interface Challenge {
  readonly scheme: string;
  readonly params: Record<string, string>;
}

/** Every challenge of a header value, in order. */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  const scheme = /([A-Za-z]+)(?: |, |$)/y;
  const pair = /([a-z_]+)="([\x20\x21\x23-\x5B\x5D-\x7E]*)"(?:, |$)/y;
  let at = 0;
  while (at < header.length || out.length === 0) {
    scheme.lastIndex = at;
    const s = scheme.exec(header);
    assert.ok(s, `a challenge at ${at}: ${JSON.stringify(header)}`);
    at = scheme.lastIndex;
    const params: Record<string, string> = {};
    for (;;) {
      pair.lastIndex = at;
      const p = pair.exec(header);
      if (!p) break;
      assert.equal(params[p[1]!], undefined, `${p[1]} appears once`);
      params[p[1]!] = p[2]!;
      at = pair.lastIndex;
    }
    out.push({ scheme: s[1]!, params });
  }
  return out;
}

/** The first challenge (the rest must be well-formed challenges too). */
export function parseChallenge(header: string): Challenge {
  return parseChallenges(header)[0]!;
}

/**
 * A strict reader of `WWW-Authenticate` challenges for tests: RFC 6750 §3 / RFC 9110 §11.6.1, one
 * challenge, `scheme` then `name="value"` pairs separated by ", ", every value within the §3 set
 * (%x20-21 / %x23-5B / %x5D-7E). Any other shape fails the test.
 */
import assert from 'node:assert/strict';

/** RFC 6750 §3: the characters an error, error_description or scope value may hold. */
export const RFC6750_VALUE = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/;

export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const m = /^([A-Za-z]+)(?: (.+))?$/s.exec(header);
  assert.ok(m, `a challenge: ${JSON.stringify(header)}`);
  const rest = m[2] ?? '';
  const pair = /([a-z_]+)="([\x20\x21\x23-\x5B\x5D-\x7E]*)"(?:, |$)/y;
  const params: Record<string, string> = {};
  while (pair.lastIndex < rest.length) {
    const p = pair.exec(rest);
    assert.ok(p, `well-formed auth-params: ${JSON.stringify(rest)}`);
    assert.equal(params[p[1]!], undefined, `${p[1]} appears once`);
    params[p[1]!] = p[2]!;
  }
  return { scheme: m[1]!, params };
}

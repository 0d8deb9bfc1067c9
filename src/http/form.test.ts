import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OAuthError } from '../core/errors.ts';
import { readOAuthForm } from './form.ts';

const form = (pairs: readonly [string, string][]) => {
  const out: Record<string, string[]> = Object.create(null);
  for (const [k, v] of pairs) (out[k] ??= []).push(v);
  return out;
};

const refusal = (pairs: readonly [string, string][]): string => {
  try {
    readOAuthForm(form(pairs));
  } catch (e) {
    assert.ok(e instanceof OAuthError && e.code === 'invalid_request');
    return e.description ?? '';
  }
  return assert.fail('the form was accepted');
};

test('RFC 6749 §3.1 a repeated parameter is refused, naming it when it has the shape of an OAuth parameter name', () => {
  assert.equal(
    refusal([
      ['scope', 'a'],
      ['scope', 'b'],
    ]),
    "parameter 'scope' is included more than once",
  );
});

test('RFC 6750 §3 a repeated parameter with an attacker-chosen name is refused without echoing the name', () => {
  for (const name of ['x"\r\nSet-Cookie: a=b', 'back\\slash', 'é', 'Scope', `a${'b'.repeat(64)}`]) {
    assert.equal(
      refusal([
        [name, '1'],
        [name, '2'],
      ]),
      'a parameter is included more than once',
      JSON.stringify(name),
    );
  }
});

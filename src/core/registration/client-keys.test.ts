import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { OAuthError } from '../errors.ts';
import { checkJwks } from './client-keys.ts';

const ec = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'k1' };
/** An array nested `levels` deep: a few kilobytes JSON.parse accepts and JSON.stringify cannot walk. */
const nested = (levels: number) => JSON.parse(`${'['.repeat(levels)}${']'.repeat(levels)}`) as unknown;

function refused(jwks: unknown, why: RegExp): void {
  assert.throws(
    () => checkJwks(jwks),
    (e: unknown) => e instanceof OAuthError && e.code === 'invalid_client_metadata' && why.test(e.description ?? ''),
  );
}

test('RFC 7517 §4 jwks key members are checked by shape: strings, key_ops and x5c arrays of strings, extension members nested a little', () => {
  assert.equal(checkJwks({ keys: [ec] }).keys.length, 1);
  assert.equal(checkJwks({ keys: [{ ...ec, key_ops: ['verify'], x5c: ['MIIB'], 'x5t#S256': 'abc', ext_member: { a: [1] } }] }).keys.length, 1);
  refused({ keys: [{ ...ec, x: 1 }] }, /member x must be a string/);
  refused({ keys: [{ ...ec, kid: { id: 'k1' } }] }, /member kid must be a string/);
  refused({ keys: [{ ...ec, key_ops: 'verify' }] }, /key_ops must be an array of strings/);
  refused({ keys: [{ ...ec, x5c: [['MIIB']] }] }, /x5c must be an array of strings/);
  refused({ keys: [{ ...ec, ext_member: { a: { b: [1] } } }] }, /nested too deeply/);
});

test('RFC 7517 §4 a jwks key member nested thousands of levels deep is invalid_client_metadata, not a RangeError (no 500)', () => {
  const deep = nested(10_000);
  refused({ keys: [{ ...ec, x: deep }] }, /member x must be a string/);
  refused({ keys: [{ ...ec, key_ops: deep }] }, /key_ops must be an array of strings/);
  refused({ keys: [{ ...ec, ext_member: deep }] }, /nested too deeply/);
});

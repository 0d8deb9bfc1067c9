import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OAuthError } from '../errors.ts';
import { decideScope } from './scope-policy.ts';

const invalidScope = (e: unknown) => e instanceof OAuthError && e.code === 'invalid_scope' && e.status === 400;

test('RFC 6749 §3.3 grants the requested scopes when the client may have them', () => {
  assert.deepEqual(decideScope('write read', ['read', 'write', 'admin'], null), ['write', 'read']);
});

test('RFC 6749 §3.3 without a scope parameter the default is every scope the client may have', () => {
  assert.deepEqual(decideScope(undefined, ['read', 'write'], null), ['read', 'write']);
  assert.deepEqual(decideScope(undefined, [], null), []);
});

test('RFC 6749 §5.2 a requested scope the client may not have is invalid_scope', () => {
  assert.throws(() => decideScope('read admin', ['read'], null), invalidScope);
});

test('RFC 6749 §3.3 a malformed scope string is invalid_scope', () => {
  assert.throws(() => decideScope('read  write', ['read', 'write'], null), invalidScope);
  assert.throws(() => decideScope('"quoted"', ['read'], null), invalidScope);
});

test('RFC 8707 §2 scopes are limited to those the requested resources accept', () => {
  const accepted = new Set(['read']);
  assert.deepEqual(decideScope(undefined, ['read', 'write'], accepted), ['read']);
  assert.deepEqual(decideScope('read', ['read', 'write'], accepted), ['read']);
  assert.throws(() => decideScope('write', ['read', 'write'], accepted), invalidScope);
});

test('RFC 6749 §3.3 a repeated scope token is granted once', () => {
  assert.deepEqual(decideScope('read read', ['read'], null), ['read']);
});

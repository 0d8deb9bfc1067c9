import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatehouseError, OAuthError } from '../../../core/errors.ts';
import { PreconditionFailed, toProblem, UnsupportedMediaType } from './problem.ts';

test('RFC 9457: each GatehouseError code maps to its status, with the code as an extension member', () => {
  const cases: [string, number][] = [
    ['GH_INVALID_INPUT', 400],
    ['GH_FORBIDDEN', 403],
    ['GH_NOT_FOUND', 404],
    ['GH_CONFLICT', 409],
    ['GH_STORE_UNAVAILABLE', 503],
    ['GH_BUSY', 503],
  ];
  for (const [code, status] of cases) {
    const { problem } = toProblem(new GatehouseError(code as never, 'why'));
    assert.equal(problem.status, status, code);
    assert.equal(problem.code, code);
    assert.equal(problem.type, 'about:blank');
    if (status < 500) assert.equal(problem.detail, 'why');
    else assert.equal(problem.detail, undefined, '5xx says nothing about why (S7)');
  }
  assert.equal(toProblem(new PreconditionFailed('stale')).problem.status, 412);
  assert.deepEqual(
    [toProblem(new UnsupportedMediaType('send JSON')).problem].map((p) => [p.status, p.code, p.detail]),
    [[415, 'GH_INVALID_INPUT', 'send JSON']],
  );
});

test('RFC 9457 §4.2.1: title is the reason phrase; an unexpected error is a bare 500 without message or stack', () => {
  const { problem } = toProblem(new Error('secret internals at /src/x.ts:1'));
  assert.deepEqual(problem, { type: 'about:blank', title: 'Internal Server Error', status: 500, code: 'GH_INTERNAL' });
});

test('OAuth errors keep their status, code and challenge headers', () => {
  const { problem, headers } = toProblem(OAuthError.invalidToken('expired'));
  assert.equal(problem.status, 401);
  assert.equal(problem.code, 'invalid_token');
  assert.match(headers['www-authenticate'] ?? '', /^Bearer /);
});

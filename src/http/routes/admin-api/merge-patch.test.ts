import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergePatch } from './merge-patch.ts';
import { etagOf, listInput } from './routes.ts';

test('RFC 7396 Appendix A: every example case', () => {
  const cases: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [target, patch, result] of cases) assert.deepEqual(mergePatch(target, patch), result, JSON.stringify({ target, patch }));
});

test('RFC 7396 §2: the target is not modified in place', () => {
  const target = { a: { b: 1 } };
  mergePatch(target, { a: { b: null } });
  assert.deepEqual(target, { a: { b: 1 } });
});

test('list query: sort=-field is descending, numbers parsed, the audit list takes only the order', () => {
  assert.deepEqual(listInput({ limit: '10', sort: '-created_at', q: 'a' }, true), { limit: 10, sort: 'created_at', order: 'desc', q: 'a' });
  assert.deepEqual(listInput({ sort: 'client_name' }, true), { sort: 'client_name' });
  assert.deepEqual(listInput({ sort: '-seq', since: '5' }, false), { order: 'desc', since: 5 });
  assert.deepEqual(listInput({ sort: 'seq' }, false), { order: 'asc' });
  assert.deepEqual(listInput({ limit: 'ten' }, true), { limit: 'ten' }, 'left for the use case to refuse by name');
});

test('RFC 9110 §8.8.3: the ETag is a strong validator that changes with the view', () => {
  assert.match(etagOf({ a: 1 }), /^"[\w-]{32}"$/);
  assert.equal(etagOf({ a: 1 }), etagOf({ a: 1 }));
  assert.notEqual(etagOf({ a: 1 }), etagOf({ a: 2 }));
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCursor, encodeCursor, toListQuery } from './paging.ts';

const code = (e: unknown) => (e as { code?: string }).code;

test('a cursor is base64url of {k, id} and decodes back for the same kind of sort key', () => {
  const c = encodeCursor({ k: 'alice', id: 'u1' });
  assert.match(c, /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(JSON.parse(Buffer.from(c, 'base64url').toString()), { k: 'alice', id: 'u1' });
  assert.deepEqual(decodeCursor(c, 'string'), { k: 'alice', id: 'u1' });
  assert.deepEqual(decodeCursor(encodeCursor({ k: 1_700_000_000, id: 'g' }), 'number'), { k: 1_700_000_000, id: 'g' });
});

test('a forged or garbled cursor is GH_INVALID_INPUT, never passed to a store', () => {
  const b = (s: string) => Buffer.from(s).toString('base64url');
  for (const [text, kind] of [
    ['a b', 'string'],
    ['!!', 'string'],
    [b('not json'), 'string'],
    [b('[1,2]'), 'string'],
    [b('{"k":"a"}'), 'string'],
    [b('{"k":"a","id":""}'), 'string'],
    [b('{"k":{"$gt":""},"id":"x"}'), 'string'],
    [b('{"k":"a","id":"x","sql":"1"}'), 'string'],
    [b('{"k":"1","id":"x"}'), 'number'],
    [b('{"k":1,"id":"x"}'), 'string'],
    [b(`{"k":"${'a'.repeat(600)}","id":"x"}`), 'string'],
  ] as const) {
    assert.throws(
      () => decodeCursor(text, kind),
      (e) => code(e) === 'GH_INVALID_INPUT',
      text,
    );
  }
});

test('toListQuery passes limit, sort, order, q and the decoded position', () => {
  const after = encodeCursor({ k: 5, id: 'x' });
  assert.deepEqual(toListQuery({ limit: 10, sort: 'created_at', order: 'desc', q: 'ab', cursor: after }, ['created_at']), {
    limit: 10,
    sort: 'created_at',
    order: 'desc',
    q: 'ab',
    after: { k: 5, id: 'x' },
  });
  assert.deepEqual(toListQuery({ limit: 50, sort: 'username', order: 'asc' }, ['created_at']), { limit: 50, sort: 'username', order: 'asc' });
});

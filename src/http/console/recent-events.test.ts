import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRecentEvents } from './console-records.ts';

test('the Events page keeps the last N events, newest first, payloads as JSON cut at 300 characters', () => {
  const recent = createRecentEvents(3);
  assert.deepEqual(recent.list(), []);
  recent.record('token.issued', { jti: 'a' });
  recent.record('token.issued', { jti: 'b' });
  assert.deepEqual(
    recent.list().map((e) => [e.name, e.payload]),
    [
      ['token.issued', '{"jti":"b"}'],
      ['token.issued', '{"jti":"a"}'],
    ],
  );
  for (const jti of ['c', 'd', 'e']) recent.record('token.revoked', { jti });
  recent.record('client.created', { long: 'x'.repeat(400) });
  const list = recent.list();
  assert.deepEqual(
    list.map((e) => e.name),
    ['client.created', 'token.revoked', 'token.revoked'],
  );
  assert.equal(list[0]!.payload.length, 300);
  assert.deepEqual(
    list.slice(1).map((e) => e.payload),
    ['{"jti":"e"}', '{"jti":"d"}'],
  );
  assert.ok(list.every((e) => typeof e.at === 'number' && e.at > 0));
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLogLine, resolveLogFormat } from './pretty-log.ts';

test('log.format auto: pretty only in development on a terminal; json and pretty are honoured as set', () => {
  assert.equal(resolveLogFormat('auto', 'development', true), 'pretty');
  assert.equal(resolveLogFormat('auto', 'development', false), 'json');
  assert.equal(resolveLogFormat('auto', 'production', true), 'json');
  assert.equal(resolveLogFormat('pretty', 'production', false), 'pretty');
  assert.equal(resolveLogFormat('json', 'development', true), 'json');
});

test('pretty logs: a request is one line with method, URL, status, time, request id and trace id', () => {
  const line = JSON.stringify({
    level: 30,
    time: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
    reqId: 'r-1',
    trace_id: 'a'.repeat(32),
    span_id: 'b'.repeat(16),
    req: { method: 'POST', url: '/token', host: 'x', remoteAddress: '127.0.0.1' },
    res: { statusCode: 401 },
    responseTime: 3.14159,
    msg: 'request completed',
  });
  assert.equal(formatLogLine(line, false), `03:04:05.678 INFO  POST /token 401 3.1 ms reqId=r-1 trace_id=${'a'.repeat(32)}\n`);
  const coloured = formatLogLine(line, true);
  assert.match(coloured, /\x1b\[33m401\x1b\[0m/, '4xx in yellow on a terminal');
});

test('pretty logs: messages keep their fields as key=value and errors print their stack', () => {
  const out = formatLogLine(JSON.stringify({ level: 40, time: 0, msg: 'tracing: bad sampler', pid: 1, hostname: 'h', sampler: 'x y' }), false);
  assert.equal(out, '00:00:00.000 WARN  tracing: bad sampler sampler="x y"\n');
  const err = formatLogLine(
    JSON.stringify({ level: 50, time: 0, msg: 'request failed', err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x' } }),
    false,
  );
  assert.equal(err, '00:00:00.000 ERROR request failed\nError: boom\n    at x\n');
  assert.equal(formatLogLine('not json', false), 'not json\n');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildConfig } from './load.ts';
import { redactSinkUrl, resolveSinks } from './event-sinks.ts';
import { configSchema } from './schema.ts';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const problems = (events: Record<string, unknown>, env: 'development' | 'production' = 'development') =>
  resolveSinks({ env, events: configSchema.parse({ events }).events }).problems;

test('GATEHOUSE_EVENTS: every scheme of the issue is recognised, with its options resolved', () => {
  const urls = [
    'log:',
    'redis://127.0.0.1:6379/0?stream=gh',
    'rediss://h:6380/1?stream=gh',
    'amqp://guest:guest@127.0.0.1:5672/vh?exchange=gh',
    'amqps://u:p@h/vh?exchange=gh',
    'nats://127.0.0.1:4222?subject=gh',
    'tls://h:4222?subject=gh',
    'https://hooks.example.com/gh?token=abc',
    'http://127.0.0.1:9999/hook',
  ];
  const config = buildConfig({
    events: {
      urls,
      retries: 3,
      sinks: {
        'https://hooks.example.com/gh': { secret: SECRET, types: ['token.*', 'client.created'], retries: 5 },
        'http://127.0.0.1:9999/hook': { secret: SECRET },
      },
    },
  } as never);
  const { specs, problems: p } = resolveSinks(config);
  assert.deepEqual(p, []);
  assert.deepEqual(
    specs.map((s) => s.kind),
    ['log', 'redis', 'redis', 'amqp', 'amqp', 'nats', 'nats', 'webhook', 'webhook'],
  );
  const hook = specs[7]!;
  assert.equal(hook.key, 'https://hooks.example.com/gh', 'a webhook is named without its query string');
  assert.equal(hook.retries, 5);
  assert.ok(hook.types.has('token.issued') && hook.types.has('client.created') && !hook.types.has('user.created'));
  assert.equal(specs[0]!.retries, 3, 'events.retries is the default');
  assert.equal(specs[0]!.types.size > 30, true, 'default types: every event');
});

test('an unknown scheme is a config error at startup that names the schemes', () => {
  assert.throws(
    () => buildConfig({ events: { urls: ['kafka://broker:9092?topic=x'] } } as never),
    (e: Error) => /events\.urls\.0: unknown event sink scheme kafka:/.test(e.message) && /log: https:/.test(e.message),
  );
});

test('credentials in a sink URL never appear in its name or in a config error', () => {
  assert.equal(redactSinkUrl(new URL('amqp://gh:s3cr3t-pw@127.0.0.1:5672/vh?exchange=gh')), 'amqp://127.0.0.1:5672/vh?exchange=gh');
  assert.equal(redactSinkUrl(new URL('redis://:s3cr3t-pw@127.0.0.1:6379/0?stream=x')), 'redis://127.0.0.1:6379/0?stream=x');
  const p = problems({
    urls: ['amqp://gh:s3cr3t-pw@h/vh?exchange=x', 'amqp://gh:s3cr3t-pw@h/vh?exchange=x'],
    sinks: { 'amqp://gh:s3cr3t-pw@h/vh?exchange=x': { secret: SECRET } },
  });
  assert.ok(p.length >= 2, p.join('\n'));
  assert.ok(!p.join('\n').includes('s3cr3t'), p.join('\n'));
});

test('S19 webhooks: https only; http only to loopback and only in development; a whsec_ secret is required', () => {
  assert.match(problems({ urls: ['http://hooks.example.com/x'], sinks: { 'http://hooks.example.com/x': { secret: SECRET } } }).join(), /must be https/);
  assert.match(problems({ urls: ['http://127.0.0.1:8000/x'], sinks: { 'http://127.0.0.1:8000/x': { secret: SECRET } } }, 'production').join(), /must be https/);
  assert.deepEqual(problems({ urls: ['http://127.0.0.1:8000/x'], sinks: { 'http://127.0.0.1:8000/x': { secret: SECRET } } }), []);
  assert.match(problems({ urls: ['https://h.example/x'] }).join(), /needs a Standard Webhooks secret/);
  assert.match(problems({ urls: ['https://h.example/x'], sinks: { 'https://h.example/x': { secret: 'plain-secret' } } }).join(), /whsec_/);
});

test('type filters: unknown names and options for an unlisted sink are reported', () => {
  assert.match(problems({ urls: ['log:'], types: ['token.issud'] }).join(), /events\.types: "token\.issud" names no event/);
  assert.match(problems({ urls: ['log:'], sinks: { 'nats://h?subject=x': {} } }).join(), /not in events\.urls/);
});

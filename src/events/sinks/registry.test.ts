import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveSinks } from '../../config/event-sinks.ts';
import { configSchema } from '../../config/schema.ts';
import { buildEnvelope } from '../envelope.ts';
import { createSink, type SinkContext } from './registry.ts';

const lines: { obj: Record<string, unknown>; msg: string }[] = [];
const ctx: SinkContext = {
  logger: { info: (obj, msg) => lines.push({ obj, msg }), warn: () => {} },
  http: {
    fetchTrusted: async () => {
      throw new Error('not used');
    },
  },
};
const spec = (url: string, sinks: Record<string, unknown> = {}) => resolveSinks(configSchema.parse({ events: { urls: [url], sinks } })).specs[0]!;

test('log: one info line per event with the envelope, whose data has lost its private fields', async () => {
  const sink = await createSink(spec('log:'), ctx);
  const e = buildEnvelope(
    'https://id.example',
    'authorization.denied',
    { tenantId: 'default', clientId: 'c1', error: 'access_denied', redirected: true, detail: 'private' },
    Date.now(),
  );
  assert.deepEqual(await sink.send([e]), { delivered: [e.id], failed: [] });
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.msg, 'event gatehouse.authorization.denied');
  assert.deepEqual(lines[0]!.obj, { event: e });
  assert.equal(JSON.stringify(lines[0]!.obj).includes('private'), false);
});

test('a webhook URL gets the webhook sink, named without credentials or query', async () => {
  const sink = await createSink(
    spec('https://u:p@hooks.example/x?t=1', { 'https://hooks.example/x': { secret: `whsec_${Buffer.alloc(32).toString('base64')}` } }),
    ctx,
  );
  assert.equal(sink.name, 'https://hooks.example/x');
});

for (const [url, name] of [
  ['redis://127.0.0.1:6379/0?stream=x', 'redis://127.0.0.1:6379/0?stream=x'],
  ['amqp://guest:guest@127.0.0.1/vh?exchange=x', 'amqp://127.0.0.1/vh?exchange=x'],
  ['nats://127.0.0.1:4222?subject=x', 'nats://127.0.0.1:4222?subject=x'],
] as const) {
  test(`${new URL(url).protocol} dispatches to its broker sink, named without credentials`, async () => {
    const sink = await createSink(spec(url), ctx);
    assert.equal(typeof sink.send, 'function');
    assert.ok(!sink.name.includes('guest'), sink.name);
    assert.ok(sink.name.startsWith(name.split('?')[0]!), sink.name);
    await sink.close();
  });
}

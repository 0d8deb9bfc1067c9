import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildConfig } from './load.ts';
import { redactConfig, redactUrl } from './redact.ts';

test('redactConfig hides every secret-bearing setting and the credentials in URLs, and nothing else', () => {
  const config = buildConfig({
    issuer: 'https://id.example',
    database: { url: 'postgres://gh:db-pass-123@db.example:5432/gatehouse?sslmode=require&password=q-pass' },
    kek: 'A'.repeat(43),
    kekPrevious: ['B'.repeat(43)],
    redis: { url: 'redis://:redis-pass@cache.example:6379/0' },
    registration: { initialAccessTokens: ['iat-secret-0123456789abcdef'] },
    events: {
      urls: ['amqp://u:amqp-pass@mq.example/vh?exchange=gh', 'https://hooks.example/x?token=hook-token'],
      sinks: { 'https://hooks.example/x?token=hook-token': { secret: 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0' } },
    },
  } as never);
  const out = redactConfig(config);
  const text = JSON.stringify(out);
  for (const secret of ['db-pass-123', 'q-pass', 'A'.repeat(43), 'B'.repeat(43), 'redis-pass', 'iat-secret', 'amqp-pass', 'hook-token', 'whsec_']) {
    assert.ok(!text.includes(secret), secret);
  }
  assert.equal((out['database'] as { url: string }).url, 'postgres://db.example:5432/gatehouse?sslmode=require');
  assert.equal(out['kek'], '[redacted]');
  assert.deepEqual((out['events'] as { urls: string[] }).urls, ['amqp://mq.example/vh?exchange=gh', 'https://hooks.example/x']);
  assert.deepEqual((out['events'] as { sinks: Record<string, unknown> }).sinks, { 'https://hooks.example/x': { secret: '[redacted]' } });
  assert.equal(out['issuer'], 'https://id.example');
  assert.equal((out['tokens'] as { accessTokenTtl: number }).accessTokenTtl, config.tokens.accessTokenTtl);
  assert.equal(redactUrl('not a url'), '[redacted]');
});

test('S5 settings: KEKs, salts, webhook secrets and URL credentials never appear in the settings view', () => {
  const kek = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 1)).toString('base64');
  const config = buildConfig({
    issuer: 'https://id.example.com',
    kek,
    tokens: { pairwiseSalt: 'pepper-pepper-pepper-pepper' },
    database: { url: 'postgres://gh:dbpass123@db.example:5432/gh' },
  } as never);
  const view = redactConfig(config);
  const text = JSON.stringify(view);
  assert.ok(!text.includes(kek), 'no KEK');
  assert.ok(!text.includes('pepper-pepper'), 'no pairwise salt');
  assert.ok(!text.includes('dbpass123'), 'no database password');
  assert.ok(text.includes('db.example'), 'the database host is still shown');
  assert.equal(view['issuer'], 'https://id.example.com');
  assert.equal(view['kek'], '[redacted]');
});

test('the console settings page view: KEKs, salts, Redis and webhook credentials, query secrets and signing secrets are never shown', () => {
  const config = buildConfig({
    issuer: 'http://localhost:3000',
    kek: Buffer.alloc(32, 7).toString('base64'),
    database: { url: 'postgres://gh:db-pass-123@db.example:5432/gatehouse' },
    redis: { url: 'redis://:redis-pass-456@cache.example:6379' },
    tokens: { pairwiseSalt: 'salt-value-0123456789abcdef' },
    events: {
      urls: ['https://user:hook-pass@hooks.example/in?token=query-secret'],
      sinks: { 'https://user:hook-pass@hooks.example/in?token=query-secret': { secret: `whsec_${Buffer.alloc(32, 1).toString('base64')}` } },
    },
  } as never);
  const shown = JSON.stringify(redactConfig(config));
  for (const secret of [
    Buffer.alloc(32, 7).toString('base64'),
    'db-pass-123',
    'redis-pass-456',
    'salt-value-0123456789abcdef',
    'hook-pass',
    'query-secret',
    'whsec_',
  ]) {
    assert.ok(!shown.includes(secret), `${secret} is not shown`);
  }
  assert.ok(shown.includes('db.example:5432/gatehouse'), 'the rest of a URL stays');
  assert.ok(shown.includes('"issuer":"http://localhost:3000"'));
});

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
    adminToken: 'admin-token-secret-value-0123456789',
    redis: { url: 'redis://:redis-pass@cache.example:6379/0' },
    registration: { initialAccessTokens: ['iat-secret-0123456789abcdef'] },
    events: {
      urls: ['amqp://u:amqp-pass@mq.example/vh?exchange=gh', 'https://hooks.example/x?token=hook-token'],
      sinks: { 'https://hooks.example/x?token=hook-token': { secret: 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0' } },
    },
  } as never);
  const out = redactConfig(config);
  const text = JSON.stringify(out);
  for (const secret of [
    'db-pass-123',
    'q-pass',
    'A'.repeat(43),
    'B'.repeat(43),
    'admin-token-secret',
    'redis-pass',
    'iat-secret',
    'amqp-pass',
    'hook-token',
    'whsec_',
  ]) {
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

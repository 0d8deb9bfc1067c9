import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildConfig } from '../../config/load.ts';
import { REDACTED, redactConfig } from './redact-config.ts';

test('Settings: the effective configuration is shown without KEKs, tokens, salts, sink secrets or URL credentials', () => {
  const config = buildConfig({
    issuer: 'http://localhost:3000',
    kek: Buffer.alloc(32, 7).toString('base64'),
    adminToken: 'a'.repeat(40),
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
    'a'.repeat(40),
    'db-pass-123',
    'redis-pass-456',
    'salt-value-0123456789abcdef',
    'hook-pass',
    'query-secret',
    'whsec_',
  ]) {
    assert.ok(!shown.includes(secret), `${secret} is not shown`);
  }
  assert.ok(shown.includes(REDACTED));
  assert.ok(shown.includes('db.example:5432/gatehouse'), 'the rest of a URL stays');
  assert.ok(shown.includes('"issuer":"http://localhost:3000"'));
});

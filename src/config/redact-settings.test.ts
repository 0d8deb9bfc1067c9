import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildConfig } from './load.ts';
import { redactSettings } from './redact-settings.ts';

const KEK = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 1)).toString('base64');

test('S5 settings: KEKs, salts, webhook secrets and URL credentials never appear in the settings view', () => {
  const config = buildConfig({
    issuer: 'https://id.example.com',
    kek: KEK,
    tokens: { pairwiseSalt: 'pepper-pepper-pepper-pepper' },
    database: { url: 'postgres://gh:dbpass123@db.example:5432/gh' },
  } as never);
  const view = redactSettings(config);
  const text = JSON.stringify(view);
  assert.ok(!text.includes(KEK), 'no KEK');
  assert.ok(!text.includes('pepper-pepper'), 'no pairwise salt');
  assert.ok(!text.includes('dbpass123'), 'no database password');
  assert.ok(text.includes('db.example'), 'the database host is still shown');
  assert.equal(view['issuer'], 'https://id.example.com');
  assert.equal(view['kek'], '[redacted]');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactUrl } from './logging.ts';

test('logging: secret query parameters are redacted from logged URLs', () => {
  assert.equal(redactUrl('/token?client_secret=s3cr3t&grant_type=client_credentials'), '/token?client_secret=[redacted]&grant_type=client_credentials');
  assert.equal(
    redactUrl('/x?access_token=a&refresh_token=b&code=c&code_verifier=d'),
    '/x?access_token=[redacted]&refresh_token=[redacted]&code=[redacted]&code_verifier=[redacted]',
  );
  assert.equal(redactUrl('/x?client%5Fsecret=s3cr3t'), '/x?client%5Fsecret=[redacted]', 'an encoded name is still recognised');
});

test('logging: URLs without secrets are logged unchanged', () => {
  for (const url of ['/health', '/authorize?client_id=app&state=xyz&scope=openid', '/x?flag', '/x?%zz=1', '/x?']) {
    assert.equal(redactUrl(url), url);
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OAuthError } from '../errors.ts';
import { createResourceRegistry } from './resource-indicators.ts';

const invalidTarget = (e: unknown) => e instanceof OAuthError && e.code === 'invalid_target' && e.status === 400;

const registry = createResourceRegistry({
  requireResourceRegistration: false,
  resources: [
    {
      identifier: 'https://api.example/orders',
      audience: 'orders-api',
      scopes: ['orders:read', 'orders:write'],
      accessTokenFormat: 'opaque',
      accessTokenTtl: 600,
    },
    { identifier: 'https://api.example/billing', scopes: ['billing:read'], accessTokenTtl: 300 },
    { identifier: 'https://api.example/jwt-only', scopes: [], accessTokenFormat: 'jwt' },
  ],
});

test('RFC 8707 §2 no resource: no audience, no restriction', () => {
  assert.deepEqual(registry.resolve([]), { audience: [], acceptedScopes: null, format: undefined, ttl: undefined });
});

test('RFC 8707 §2 a registered resource sets audience, accepted scopes, format and lifetime', () => {
  const t = registry.resolve(['https://api.example/orders']);
  assert.deepEqual(t.audience, ['orders-api']);
  assert.deepEqual([...(t.acceptedScopes ?? [])], ['orders:read', 'orders:write']);
  assert.equal(t.format, 'opaque');
  assert.equal(t.ttl, 600);
});

test('RFC 8707 §2 the audience defaults to the resource identifier', () => {
  assert.deepEqual(registry.resolve(['https://api.example/billing']).audience, ['https://api.example/billing']);
});

test('RFC 8707 §2 several resources: every audience, the union of scopes, the shortest lifetime', () => {
  const t = registry.resolve(['https://api.example/orders', 'https://api.example/billing', 'https://api.example/orders']);
  assert.deepEqual(t.audience, ['orders-api', 'https://api.example/billing']);
  assert.deepEqual([...(t.acceptedScopes ?? [])].sort(), ['billing:read', 'orders:read', 'orders:write']);
  assert.equal(t.ttl, 300);
});

test('RFC 8707 §2 resources that need different token formats are invalid_target', () => {
  assert.throws(() => registry.resolve(['https://api.example/orders', 'https://api.example/jwt-only']), invalidTarget);
});

test('RFC 8707 §2 an unregistered absolute URI becomes the audience and restricts nothing', () => {
  const t = registry.resolve(['urn:example:thing', 'https://other.example/api?x=1']);
  assert.deepEqual(t.audience, ['urn:example:thing', 'https://other.example/api?x=1']);
  assert.equal(t.acceptedScopes, null);
});

test('RFC 8707 §2 a resource that is not an absolute URI, or has a fragment, is invalid_target', () => {
  for (const bad of ['api', '/relative/path', 'https://api.example/x#frag', 'https://api.example/#', 'https://a b', ' https://a.example', 'x'.repeat(3000)]) {
    assert.throws(() => registry.resolve([bad]), invalidTarget, bad);
  }
});

test('RFC 8707 §2 with requireResourceRegistration an unknown resource is invalid_target', () => {
  const strict = createResourceRegistry({ requireResourceRegistration: true, resources: [{ identifier: 'https://api.example/a', scopes: [] }] });
  assert.deepEqual(strict.resolve(['https://api.example/a']).audience, ['https://api.example/a']);
  assert.throws(() => strict.resolve(['https://api.example/b']), invalidTarget);
});

test('RFC 8707 §2 too many resource parameters are invalid_target', () => {
  assert.throws(() => registry.resolve(Array.from({ length: 17 }, (_, i) => `https://r${i}.example`)), invalidTarget);
});

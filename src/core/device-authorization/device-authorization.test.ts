import { MemoryRateLimiter } from '../../ratelimit/memory-rate-limiter.ts';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { coreWorld, ISSUER, makeClient, T0 } from '../../../test/support/core-fixtures.ts';
import { makeAuth } from '../../../test/support/oidc-fixtures.ts';
import { sha256 } from '../crypto.ts';
import { OAuthError } from '../errors.ts';
import { createAccessTokenIssuer } from '../tokens/issue-access-token.ts';
import { createDeviceAuthorization, DEVICE_CODE_GRANT_TYPE } from './device-authorization.ts';
import { createDeviceVerification } from './device-verification.ts';
import { hashUserCode, normalizeUserCode } from './user-code.ts';

const DEVICE = { codeTtl: 600, interval: 5 };

async function setup(grantTypes: readonly string[] = [DEVICE_CODE_GRANT_TYPE]) {
  const w = await coreWorld();
  const accessTokens = createAccessTokenIssuer(
    { ...w, tokens: w.storage.tokens },
    {
      issuer: ISSUER,
      tokens: { accessTokenTtl: 300, accessTokenFormat: 'jwt', accessTokenSigningAlg: 'ES256' },
      resources: [{ identifier: 'https://api.example/tv', scopes: ['read'] }],
      requireResourceRegistration: false,
    },
  );
  const client = makeClient({ clientId: 'tv', tokenEndpointAuthMethod: 'none', grantTypes, scopes: ['openid', 'read', 'write'] });
  await w.storage.clients.create(client);
  const device = createDeviceAuthorization({ ...w, deviceCodes: w.storage.deviceCodes, accessTokens }, { issuer: ISSUER, device: DEVICE });
  const verification = createDeviceVerification(
    {
      ...w,
      deviceCodes: w.storage.deviceCodes,
      clients: w.storage.clients,
      sessions: w.storage.sessions,
      rateLimiter: new MemoryRateLimiter({ clock: w.clock }),
    },
    { device: { userCodeMaxAttempts: 5 } },
  );
  return { w, client, device, verification };
}

describe('RFC 8628 §3.1–§3.2 device authorization', () => {
  test('RFC 8628 §3.2 the response carries device_code, user_code, verification_uri(_complete), expires_in and interval', async () => {
    const { w, client, device } = await setup();
    const r = await device.authorize({ client, scope: 'openid read', resources: [] });
    assert.match(r.device_code, /^[A-Za-z0-9_-]{43}$/, '256-bit device code');
    assert.match(r.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    assert.equal(r.verification_uri, `${ISSUER}/device`);
    assert.equal(r.verification_uri_complete, `${ISSUER}/device?user_code=${r.user_code}`);
    assert.equal(r.expires_in, 600);
    assert.equal(r.interval, 5);
    // S5: only hashes are stored.
    const rec = await w.storage.deviceCodes.findByUserCode('default', hashUserCode(normalizeUserCode(r.user_code)!));
    assert.ok(rec);
    assert.equal(rec.hash, sha256(r.device_code));
    assert.equal(rec.status, 'pending');
    assert.equal(rec.scope, 'openid read');
    assert.equal(rec.expiresAt, T0 / 1000 + 600);
    assert.ok(!JSON.stringify(rec).includes(r.device_code));
    assert.deepEqual(w.events.of('device_code.issued'), [{ tenantId: 'default', clientId: 'tv' }]);
  });

  test('RFC 6749 §5.2 a client without the device_code grant type gets unauthorized_client and nothing is stored', async () => {
    const { client, device, w } = await setup(['authorization_code']);
    await assert.rejects(
      device.authorize({ client, scope: 'read', resources: [] }),
      (e: unknown) => e instanceof OAuthError && e.code === 'unauthorized_client',
    );
    assert.equal(await w.storage.deviceCodes.purgeExpired(Number.MAX_SAFE_INTEGER), 0);
  });

  test('RFC 8628 §3.1 scope is checked as at the token endpoint (invalid_scope), resources too (invalid_target)', async () => {
    const { client, device } = await setup();
    await assert.rejects(device.authorize({ client, scope: 'admin', resources: [] }), (e: unknown) => e instanceof OAuthError && e.code === 'invalid_scope');
    await assert.rejects(
      device.authorize({ client, scope: 'read', resources: ['not a uri'] }),
      (e: unknown) => e instanceof OAuthError && e.code === 'invalid_target',
    );
    await assert.rejects(
      device.authorize({ client, scope: 'write', resources: ['https://api.example/tv'] }),
      (e: unknown) => e instanceof OAuthError && e.code === 'invalid_scope',
    );
  });

  test('RFC 8707 the requested resources are kept for the token request', async () => {
    const { w, client, device } = await setup();
    const r = await device.authorize({ client, scope: undefined, resources: ['https://api.example/tv'] });
    const rec = await w.storage.deviceCodes.poll('default', sha256(r.device_code), 0);
    assert.deepEqual(rec?.resources, ['https://api.example/tv']);
    assert.equal(rec?.scope, 'read', 'default scope narrowed to what the resource accepts');
  });

  test('RFC 8628 §6.1 a user code colliding with a live one is drawn again', async () => {
    const { w, client, device } = await setup();
    // Random bytes that always produce the same first user code, then a different one.
    const first = await device.authorize({ client, scope: 'read', resources: [] });
    let calls = 0;
    const repeat = {
      bytes: (n: number) => {
        calls++;
        // Device code and grant id calls (32/16 bytes) stay random; user code draws (16 bytes) repeat
        // the first code's letters on the first attempt only.
        if (n === 16 && calls === 3)
          return Uint8Array.from([...normalizeUserCode(first.user_code)!].map((ch) => 'BCDFGHJKLMNPQRSTVWXZ'.indexOf(ch)).concat(Array(8).fill(0)));
        return w.random.bytes(n);
      },
    };
    const accessTokens = { plan: () => ({ client, scope: ['read'], audience: [ISSUER], format: 'jwt' as const, ttl: 300 }) };
    const again = createDeviceAuthorization({ ...w, random: repeat, deviceCodes: w.storage.deviceCodes, accessTokens }, { issuer: ISSUER, device: DEVICE });
    const second = await again.authorize({ client, scope: 'read', resources: [] });
    assert.notEqual(second.user_code, first.user_code);
    assert.equal(calls, 4, 'the colliding first draw was refused by the store and a second one made');
  });
});

describe('RFC 8628 §3.3 user interaction', () => {
  test('RFC 8628 §3.3 a typed code (any case, with or without dash) finds the pending request and its client', async () => {
    const { client, device, verification } = await setup();
    const r = await device.authorize({ client, scope: 'openid read', resources: [] });
    const found = await verification.find(r.user_code.toLowerCase().replace('-', ' '));
    assert.ok(found);
    assert.equal(found.client.clientId, 'tv');
    assert.equal(found.userCode, r.user_code);
    assert.deepEqual(found.scope, ['openid', 'read']);
  });

  test('RFC 8628 §5.1 unknown, malformed, expired and decided codes all give the same null', async () => {
    const { w, client, device, verification } = await setup();
    assert.equal(await verification.find('BCDF-GHJK'), null);
    assert.equal(await verification.find('not a code'), null);
    const r = await device.authorize({ client, scope: 'read', resources: [] });
    const found = await verification.find(r.user_code);
    assert.ok(found);
    assert.equal(await verification.deny(found), true);
    assert.equal(await verification.find(r.user_code), null, 'denied');
    const r2 = await device.authorize({ client, scope: 'read', resources: [] });
    w.clock.advance(600);
    assert.equal(await verification.find(r2.user_code), null, 'expired');
  });

  test('RFC 8628 §5.1 every user-code lookup counts per address: over device.userCodeMaxAttempts it is throttled, found or not', async () => {
    const { client, device, verification } = await setup();
    const r = await device.authorize({ client, scope: 'read', resources: [] });
    for (let i = 0; i < 4; i++) assert.deepEqual(await verification.lookup('BCDF-GHJK', '203.0.113.7'), { kind: 'unknown' });
    const found = await verification.lookup(r.user_code, '203.0.113.7');
    assert.equal(found.kind, 'found');
    const over = await verification.lookup(r.user_code, '203.0.113.7');
    assert.equal(over.kind, 'throttled', 'the sixth lookup from the address is refused even for a good code');
    assert.ok(over.kind === 'throttled' && over.retryAfter >= 1 && over.retryAfter <= 60);
    assert.equal((await verification.lookup(r.user_code, '198.51.100.1')).kind, 'found', 'another address is not affected');
  });

  test('RFC 8628 §3.3 a code of a disabled client is not offered for approval', async () => {
    const { w, client, device, verification } = await setup();
    const r = await device.authorize({ client, scope: 'read', resources: [] });
    await w.storage.clients.update('default', 'tv', { disabled: true });
    assert.equal(await verification.find(r.user_code), null);
  });

  test('S4 approval is one compare-and-set: a second decision is refused and the first stands', async () => {
    const { w, client, device, verification } = await setup();
    const r = await device.authorize({ client, scope: 'openid read', resources: [] });
    const found = (await verification.find(r.user_code))!;
    const [a, b] = await Promise.all([verification.approve(found, makeAuth()), verification.deny(found)]);
    assert.deepEqual([a, b], [true, false]);
    const rec = await w.storage.deviceCodes.poll('default', sha256(r.device_code), 0);
    assert.equal(rec?.status, 'approved');
    assert.equal(rec?.grantedScope, 'openid read');
    assert.equal(rec?.auth?.userId, 'u-1');
    assert.deepEqual(w.events.of('device_code.decided'), [{ tenantId: 'default', clientId: 'tv', status: 'approved' }]);
  });

  test('OIDC Back-/Front-Channel Logout: approving records the device client on the approving account (sid)', async () => {
    const { w, client, device, verification } = await setup();
    const account = { userId: 'u-1', sid: 'sid-tv', authTime: T0 / 1000 - 60, amr: ['pwd'], acr: null, clientIds: ['web'] };
    const session = {
      tenantId: 'default',
      hash: 'session-tv',
      accounts: [account],
      currentUserId: 'u-1',
      createdAt: T0 / 1000 - 60,
      lastSeenAt: T0 / 1000,
      expiresAt: T0 / 1000 + 3600,
    };
    await w.storage.sessions.create(session);
    const denied = (await verification.find((await device.authorize({ client, scope: 'openid', resources: [] })).user_code))!;
    assert.equal(await verification.deny(denied), true);
    assert.deepEqual((await w.storage.sessions.get('default', 'session-tv'))?.accounts[0]?.clientIds, ['web'], 'a denial records nothing');
    const found = (await verification.find((await device.authorize({ client, scope: 'openid read', resources: [] })).user_code))!;
    assert.equal(await verification.approve(found, makeAuth({ sid: 'sid-tv' })), true);
    assert.deepEqual((await w.storage.sessions.get('default', 'session-tv'))?.accounts[0]?.clientIds, ['web', 'tv']);
  });

  test('RFC 8628 §3.3 a code that expired while the confirm page was open cannot be approved', async () => {
    const { w, client, device, verification } = await setup();
    const r = await device.authorize({ client, scope: 'read', resources: [] });
    const found = (await verification.find(r.user_code))!;
    w.clock.advance(601);
    assert.equal(await verification.approve(found, makeAuth()), false);
  });
});

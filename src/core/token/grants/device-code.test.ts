import { MemoryRateLimiter } from '../../../ratelimit/memory-rate-limiter.ts';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { coreWorld, ISSUER, makeClient, T0 } from '../../../../test/support/core-fixtures.ts';
import { fakeUserStore, grantDeps, makeAuth, makeUser } from '../../../../test/support/oidc-fixtures.ts';
import { opaqueTokenKey, sha256 } from '../../crypto.ts';
import { createDeviceAuthorization, DEVICE_CODE_GRANT_TYPE } from '../../device-authorization/device-authorization.ts';
import { createDeviceVerification } from '../../device-authorization/device-verification.ts';
import { OAuthError } from '../../errors.ts';
import type { Client } from '../../model/client.ts';
import { createAccessTokenIssuer } from '../../tokens/issue-access-token.ts';
import { createDeviceCodeGrant, SLOW_DOWN_STEP } from './device-code.ts';

const tv = makeClient({
  clientId: 'tv',
  tokenEndpointAuthMethod: 'none',
  grantTypes: [DEVICE_CODE_GRANT_TYPE, 'refresh_token'],
  scopes: ['openid', 'email', 'offline_access', 'read'],
});
const isError =
  (code: string, status = 400) =>
  (e: unknown) =>
    e instanceof OAuthError && e.code === code && e.status === status;

async function setup() {
  const w = await coreWorld();
  await w.storage.clients.create(tv);
  const accessTokens = createAccessTokenIssuer(
    { ...w, tokens: w.storage.tokens },
    {
      issuer: ISSUER,
      tokens: { accessTokenTtl: 300, accessTokenFormat: 'jwt', accessTokenSigningAlg: 'ES256' },
      resources: [],
      requireResourceRegistration: false,
    },
  );
  const users = fakeUserStore(makeUser());
  const deps = { ...grantDeps(w, { accessTokens, users }), deviceCodes: w.storage.deviceCodes };
  const grant = createDeviceCodeGrant(deps);
  const device = createDeviceAuthorization(
    { ...w, deviceCodes: w.storage.deviceCodes, accessTokens },
    { issuer: ISSUER, device: { codeTtl: 600, interval: 5 } },
  );
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
  const start = (scope = 'openid email offline_access') => device.authorize({ client: tv, scope, resources: [] });
  const poll = (deviceCode: string, client: Client = tv, resources: readonly string[] = []) =>
    grant.handle({ client, authMethod: 'none', params: { device_code: deviceCode }, resources });
  const approve = async (userCode: string) => assert.ok(await verification.approve((await verification.find(userCode))!, makeAuth()));
  return { w, users, grant, start, poll, approve, verification };
}

describe('RFC 8628 §3.4–§3.5 device_code grant', () => {
  test('RFC 8628 §3.4 the grant is registered under its URN, declares device_code and admits public clients', async () => {
    const { grant } = await setup();
    assert.equal(grant.type, 'urn:ietf:params:oauth:grant-type:device_code');
    assert.deepEqual(grant.params, ['device_code']);
    assert.equal(grant.allowsPublicClients, true);
  });

  test('RFC 8628 §3.4 device_code is required (invalid_request); an unknown one is invalid_grant', async () => {
    const { grant, poll } = await setup();
    await assert.rejects(grant.handle({ client: tv, authMethod: 'none', params: {}, resources: [] }), isError('invalid_request'));
    await assert.rejects(poll('A'.repeat(43)), isError('invalid_grant'));
    await assert.rejects(poll('not a device code!'), isError('invalid_grant'));
  });

  test('RFC 8628 §3.5 authorization_pending while the user has not decided', async () => {
    const { poll, start } = await setup();
    const r = await start();
    await assert.rejects(poll(r.device_code), isError('authorization_pending'));
  });

  test('RFC 8628 §3.5 slow_down when polled sooner than interval, and the interval grows by 5 s for all subsequent polls', async () => {
    const { w, poll, start } = await setup();
    const r = await start();
    await assert.rejects(poll(r.device_code), isError('authorization_pending'));
    w.clock.advance(2);
    await assert.rejects(poll(r.device_code), isError('slow_down'));
    // The interval is now 5 + 5: a poll 5 s later is still too soon, and grows it to 15.
    w.clock.advance(5);
    await assert.rejects(poll(r.device_code), isError('slow_down'));
    w.clock.advance(r.interval + 2 * SLOW_DOWN_STEP);
    await assert.rejects(poll(r.device_code), isError('authorization_pending'));
    // "for this and all subsequent requests": the original interval is no longer enough.
    w.clock.advance(r.interval);
    await assert.rejects(poll(r.device_code), isError('slow_down'));
  });

  test('RFC 8628 §3.5 access_denied (400) after the user denied', async () => {
    const { poll, start, verification } = await setup();
    const r = await start();
    assert.ok(await verification.deny((await verification.find(r.user_code))!));
    await assert.rejects(poll(r.device_code), isError('access_denied', 400));
  });

  test('RFC 8628 §3.5 expired_token once expires_in has passed, even if approved', async () => {
    const { w, poll, start, approve } = await setup();
    const r = await start();
    await approve(r.user_code);
    w.clock.advance(r.expires_in);
    await assert.rejects(poll(r.device_code), isError('expired_token'));
  });

  test('RFC 8628 §3.5 approval yields access, refresh (offline_access) and ID token for the user who approved', async () => {
    const { w, poll, start, approve } = await setup();
    const r = await start();
    await approve(r.user_code);
    const res = await poll(r.device_code);
    assert.equal(res.token_type, 'Bearer');
    assert.equal(res.scope, 'openid email offline_access');
    const at = decodeJwt(res.access_token);
    assert.equal(at.sub, 'u-1');
    assert.equal(at.client_id, 'tv');
    assert.ok(res.refresh_token);
    const rt = await w.storage.tokens.find(w.tenantId, opaqueTokenKey(res.refresh_token));
    assert.equal(rt?.kind, 'refresh_token');
    const { payload } = await jwtVerify(res.id_token!, createLocalJWKSet(w.keys.jwks() as never), {
      issuer: ISSUER,
      audience: 'tv',
      currentDate: new Date(T0),
    });
    assert.equal(payload.sub, 'u-1');
    assert.equal(payload.auth_time, T0 / 1000 - 60);
    assert.equal(payload.nonce, undefined);
  });

  test('OIDC Core §11 no refresh token for an OpenID request without offline_access; no ID token without openid', async () => {
    const { poll, start, approve } = await setup();
    const a = await start('openid email');
    await approve(a.user_code);
    const ra = await poll(a.device_code);
    assert.equal(ra.refresh_token, undefined);
    assert.ok(ra.id_token);
    const b = await start('read');
    await approve(b.user_code);
    const rb = await poll(b.device_code);
    assert.ok(rb.refresh_token, 'plain OAuth: refresh token when the client may refresh');
    assert.equal(rb.id_token, undefined);
  });

  test('S4 an approved device code is redeemed once; a second redemption revokes the grant', async () => {
    const { w, poll, start, approve } = await setup();
    const r = await start();
    await approve(r.user_code);
    const res = await poll(r.device_code);
    await assert.rejects(poll(r.device_code), isError('invalid_grant'));
    const rt = await w.storage.tokens.find(w.tenantId, opaqueTokenKey(res.refresh_token!));
    assert.notEqual(rt?.revokedAt, null);
    assert.equal(w.events.of('grant.revoked').length, 1);
  });

  test('RFC 8707 §2 an invalid resource is invalid_target and the approved device code is not consumed', async () => {
    const { w, poll, start, approve } = await setup();
    const r = await start();
    await approve(r.user_code);
    await assert.rejects(poll(r.device_code, tv, ['not a uri']), isError('invalid_target'));
    const rec = await w.storage.deviceCodes.poll(w.tenantId, sha256(r.device_code), T0 / 1000);
    assert.equal(rec?.status, 'approved');
    assert.ok((await poll(r.device_code)).access_token, 'the corrected retry redeems it');
    assert.equal(w.events.of('grant.revoked').length, 0);
  });

  test('RFC 6749 §3.2.1 another client presenting the device code gets invalid_grant', async () => {
    const { poll, start, approve } = await setup();
    const r = await start();
    await approve(r.user_code);
    await assert.rejects(poll(r.device_code, { ...tv, clientId: 'other' }), isError('invalid_grant'));
    const res = await poll(r.device_code);
    assert.ok(res.access_token, 'the rightful client still redeems it');
  });

  test('RFC 8628 §3.5 a user disabled after approving gets no tokens, and nothing is consumed or written', async () => {
    const { w, users, poll, start, approve } = await setup();
    const r = await start();
    await approve(r.user_code);
    users.put(makeUser({ disabled: true }));
    await assert.rejects(poll(r.device_code), isError('invalid_grant'));
    assert.equal(await w.storage.tokens.countActive(T0 / 1000), 0);
    const rec = await w.storage.deviceCodes.poll(w.tenantId, sha256(r.device_code), T0 / 1000);
    assert.equal(rec?.status, 'approved');
  });
});

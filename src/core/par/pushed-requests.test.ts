import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { coreWorld, makeClient } from '../../../test/support/core-fixtures.ts';
import { sha256 } from '../crypto.ts';
import { OAuthError } from '../errors.ts';
import { createPushedRequests, isPushedRequestUri, REQUEST_URI_PREFIX, type PushValidator } from './pushed-requests.ts';

const rp = makeClient({ clientId: 'rp', grantTypes: ['authorization_code'], redirectUris: ['https://rp.example/cb'] });
const isCode = (code: string) => (e: unknown) => e instanceof OAuthError && e.code === code;
const body = {
  response_type: 'code',
  redirect_uri: 'https://rp.example/cb',
  scope: 'openid',
  state: 's',
  code_challenge: 'c'.repeat(43),
  code_challenge_method: 'S256',
};

async function setup(validate: PushValidator = async (_c, p) => p, parMaxStoredBytes = 16_384) {
  const w = await coreWorld();
  const seen: Record<string, string>[] = [];
  const core = createPushedRequests({ ...w, par: w.storage.par }, { authorization: { parTtl: 60, parMaxStoredBytes } });
  const spy: PushValidator = async (c, p) => {
    seen.push({ ...p });
    return validate(c, p);
  };
  const pushed = { push: (c: typeof rp, p: Record<string, string>) => core.push(c, p, spy), takePushedRequest: core.takePushedRequest };
  return { w, pushed, seen };
}

describe('RFC 9126 pushed authorization requests', () => {
  test('RFC 9126 §2.2 a push answers an unguessable urn:ietf:params:oauth:request_uri and expires_in; only its hash is stored', async () => {
    const { w, pushed, seen } = await setup();
    const r = await pushed.push(rp, { ...body, client_id: 'rp', client_secret: 'shh' });
    assert.ok(r.request_uri.startsWith(REQUEST_URI_PREFIX));
    assert.ok(r.request_uri.length - REQUEST_URI_PREFIX.length >= 43, '≥ 256 bits of reference');
    assert.equal(r.expires_in, 60);
    assert.ok(isPushedRequestUri(r.request_uri));
    assert.deepEqual(seen, [{ ...body, client_id: 'rp' }], 'validated without the client credentials');
    assert.deepEqual(w.events.of('authorization_request.pushed'), [{ tenantId: 'default', clientId: 'rp' }]);
    const taken = await w.storage.par.take('default', sha256(r.request_uri), 0);
    assert.equal(taken.result, 'consumed');
  });

  test('RFC 9126 §4 the authorization endpoint takes the pushed parameters once', async () => {
    const { pushed } = await setup();
    const r = await pushed.push(rp, body);
    assert.deepEqual({ ...(await pushed.takePushedRequest(rp, r.request_uri)) }, { ...body, client_id: 'rp' });
    await assert.rejects(pushed.takePushedRequest(rp, r.request_uri), isCode('invalid_request_uri'));
  });

  test('RFC 9126 §2.2 a request_uri past expires_in is invalid_request_uri', async () => {
    const { w, pushed } = await setup();
    const r = await pushed.push(rp, body);
    w.clock.advance(60);
    await assert.rejects(pushed.takePushedRequest(rp, r.request_uri), isCode('invalid_request_uri'));
  });

  test('RFC 9126 §4 another client presenting the request_uri gets invalid_request_uri', async () => {
    const { pushed } = await setup();
    const r = await pushed.push(rp, body);
    await assert.rejects(pushed.takePushedRequest({ clientId: 'intruder' }, r.request_uri), isCode('invalid_request_uri'));
  });

  test('RFC 9126 §4 unknown and foreign request_uri values are invalid_request_uri', async () => {
    const { pushed } = await setup();
    for (const uri of [`${REQUEST_URI_PREFIX}nope`, 'https://rp.example/request.jwt', `${REQUEST_URI_PREFIX}${'x'.repeat(600)}`]) {
      await assert.rejects(pushed.takePushedRequest(rp, uri), isCode('invalid_request_uri'), uri.slice(0, 40));
    }
  });

  test('RFC 9126 §2.1 a client_id other than the authenticated one is refused before validation', async () => {
    const { pushed, seen } = await setup();
    await assert.rejects(pushed.push(rp, { ...body, client_id: 'other' }), isCode('invalid_request'));
    assert.equal(seen.length, 0, 'refused before validation');
  });

  test('RFC 9126 §2.1 a pushed request_uri is left to the validation (check-request-source), which refuses it', async () => {
    const { pushed, seen } = await setup(async () => {
      throw OAuthError.invalidRequest('request_uri cannot be pushed');
    });
    await assert.rejects(pushed.push(rp, { ...body, request_uri: `${REQUEST_URI_PREFIX}x` }), isCode('invalid_request'));
    assert.equal(seen[0]?.['request_uri'], `${REQUEST_URI_PREFIX}x`, 'validated with the request_uri in it');
  });

  test('RFC 9126 §2.3 a push that fails validation stores nothing and passes the error on', async () => {
    const { w, pushed } = await setup(async () => {
      throw OAuthError.invalidScope('nope');
    });
    await assert.rejects(pushed.push(rp, body), isCode('invalid_scope'));
    assert.equal(await w.storage.par.purgeExpired(Number.MAX_SAFE_INTEGER), 0);
  });

  test('RFC 9126 §2.1 with RFC 6749 §3.1 unrecognized parameters are validated with the push but not stored', async () => {
    const { w, pushed, seen } = await setup();
    const r = await pushed.push(rp, { ...body, x_filler: 'a'.repeat(60_000), registration: '{}' });
    assert.equal(seen[0]?.['x_filler']?.length, 60_000, 'the validation sees the whole push');
    const taken = await w.storage.par.take('default', sha256(r.request_uri), 0);
    assert.equal(taken.result, 'consumed');
    assert.deepEqual(taken.result === 'consumed' ? { ...taken.record.params } : null, { ...body, client_id: 'rp' });
  });

  test('authorization.parMaxStoredBytes: a push whose stored parameters exceed it is invalid_request and stores nothing', async () => {
    const { w, pushed } = await setup(async (_c, p) => p, 2048);
    const under = await pushed.push(rp, { ...body, state: 's'.repeat(1500) });
    assert.ok(isPushedRequestUri(under.request_uri));
    const purgeAll = () => w.storage.par.purgeExpired(Number.MAX_SAFE_INTEGER);
    assert.equal(await purgeAll(), 1);
    await assert.rejects(pushed.push(rp, { ...body, state: 's'.repeat(2048) }), isCode('invalid_request'));
    assert.equal(await purgeAll(), 0, 'nothing stored');
    assert.deepEqual(w.events.of('authorization_request.pushed').length, 1, 'only the first push was published');
  });
});

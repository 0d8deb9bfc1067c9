import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { coreWorld, ISSUER, makeClient, T0 } from '../../../test/support/core-fixtures.ts';
import type { Client } from '../model/client.ts';
import type { SessionRecord } from '../model/session.ts';
import type { BackchannelLogoutMessage } from './logout-notifier.ts';
import { performLogout, type PerformLogoutDeps } from './perform-logout.ts';
import type { EndSessionRequest } from './types.ts';

const back = makeClient({ clientId: 'back', metadata: { backchannel_logout_uri: 'https://back.example/bcl', backchannel_logout_session_required: true } });
const backNoSid = makeClient({ clientId: 'back-nosid', metadata: { backchannel_logout_uri: 'https://b2.example/bcl' } });
const front = makeClient({
  clientId: 'front',
  metadata: { frontchannel_logout_uri: 'https://front.example/fcl?x=1', frontchannel_logout_session_required: true },
});
const frontNoSid = makeClient({ clientId: 'front-nosid', metadata: { frontchannel_logout_uri: 'https://f2.example/fcl' } });
const off = makeClient({ clientId: 'off', disabled: true, metadata: { backchannel_logout_uri: 'https://off.example/bcl' } });
const plain = makeClient({ clientId: 'plain' });
const clients = new Map<string, Client>([back, backNoSid, front, frontNoSid, off, plain].map((c) => [c.clientId, c]));

function sessionRecord(): SessionRecord {
  return {
    tenantId: 'default',
    hash: 'hash-1',
    accounts: [
      {
        userId: 'u1',
        sid: 'sid-1',
        authTime: 1,
        amr: ['pwd'],
        acr: null,
        clientIds: ['back', 'back-nosid', 'front', 'front-nosid', 'off', 'plain', 'missing'],
      },
      { userId: 'u2', sid: 'sid-2', authTime: 1, amr: ['pwd'], acr: null, clientIds: ['back', 'front-nosid'] },
    ],
    currentUserId: 'u1',
    createdAt: 1,
    lastSeenAt: 1,
    expiresAt: 2,
  };
}

async function setup() {
  const world = await coreWorld();
  const store = new Map<string, SessionRecord>([['hash-1', sessionRecord()]]);
  const sent: BackchannelLogoutMessage[] = [];
  let n = 0;
  const deps: PerformLogoutDeps = {
    sessions: {
      delete: async (_t, hash) => {
        const s = store.get(hash);
        store.delete(hash);
        return s;
      },
    },
    clients: { get: async (_t, id) => clients.get(id) },
    keys: world.keys,
    notifier: {
      notify: (m) => {
        sent.push(m);
      },
    },
    events: world.events,
    clock: world.clock,
    newId: () => `id-${++n}`,
    subjectFor: (c, userId) => `${c.clientId}|${userId}`,
    tenantId: 'default',
  };
  return { world, store, sent, deps };
}

const config = { issuer: ISSUER, tokens: { idTokenSigningAlg: 'ES256' as const } };
const request = (over: Partial<EndSessionRequest> = {}): EndSessionRequest => ({
  hint: null,
  client: back,
  postLogoutRedirectUri: null,
  state: null,
  logoutHint: null,
  uiLocales: [],
  params: {},
  ...over,
});

describe('RP-Initiated Logout §2 ending the session and notifying the RPs', () => {
  test('oidcc-backchannel-rp-initiated-logout: one signed Logout Token per account and client with a backchannel_logout_uri', async () => {
    const { world, store, sent, deps } = await setup();
    try {
      const result = await performLogout(deps, config, { sessionHash: 'hash-1', request: request() });
      assert.equal(store.size, 0, 'the whole browser session ended');
      assert.equal(result.accounts, 2);
      assert.deepEqual(sent.map((m) => `${m.clientId}:${m.uri}`).sort(), [
        'back-nosid:https://b2.example/bcl',
        'back:https://back.example/bcl',
        'back:https://back.example/bcl',
      ]);
      assert.equal(result.backchannel, 3);
      const jwks = createLocalJWKSet(world.keys.jwks() as never);
      const claims = [];
      for (const m of sent) {
        assert.equal(decodeProtectedHeader(m.logoutToken).typ, 'logout+jwt');
        const { payload } = await jwtVerify(m.logoutToken, jwks, { issuer: ISSUER, audience: m.clientId, currentDate: new Date(T0) });
        assert.equal(payload.jti, m.jti);
        assert.equal(payload.exp, m.expiresAt);
        assert.equal(payload.nonce, undefined);
        claims.push(payload);
      }
      const forBack = claims
        .filter((c) => c.aud === 'back')
        .map((c) => `${c.sub}/${c.sid}`)
        .sort();
      assert.deepEqual(forBack, ['back|u1/sid-1', 'back|u2/sid-2'], 'sid when backchannel_logout_session_required');
      const forNoSid = claims.find((c) => c.aud === 'back-nosid')!;
      assert.equal(forNoSid.sub, 'back-nosid|u1');
      assert.equal(forNoSid.sid, undefined);
      assert.deepEqual(world.events.of('logout.completed'), [{ tenantId: 'default', clientId: 'back', accounts: 2, backchannel: 3, frontchannel: 2 }]);
    } finally {
      await world.storage.close();
    }
  });

  test('oidcc-frontchannel-rp-initiated-logout: iframes with iss and sid when frontchannel_logout_session_required', async () => {
    const { world, deps } = await setup();
    try {
      const result = await performLogout(deps, config, { sessionHash: 'hash-1', request: null });
      const iss = encodeURIComponent(ISSUER);
      assert.deepEqual(result.frontchannel.map((f) => f.url).sort(), ['https://f2.example/fcl', `https://front.example/fcl?x=1&iss=${iss}&sid=sid-1`]);
      assert.deepEqual(new Set(result.frontchannel.map((f) => f.origin)), new Set(['https://f2.example', 'https://front.example']));
    } finally {
      await world.storage.close();
    }
  });

  test('the post-logout redirect carries state; a second submit ends nothing and notifies nobody', async () => {
    const { world, sent, deps } = await setup();
    try {
      const req = request({ postLogoutRedirectUri: 'https://rp.example/bye', state: 'st' });
      const first = await performLogout(deps, config, { sessionHash: 'hash-1', request: req });
      assert.equal(first.redirectTo, 'https://rp.example/bye?state=st');
      const count = sent.length;
      const again = await performLogout(deps, config, { sessionHash: 'hash-1', request: req });
      assert.equal(again.redirectTo, 'https://rp.example/bye?state=st');
      assert.equal(again.accounts, 0);
      assert.equal(sent.length, count);
      assert.equal(world.events.of('logout.completed').length, 1);
    } finally {
      await world.storage.close();
    }
  });

  test('a signing failure is reported and does not stop the sign-out', async () => {
    const { world, store, deps } = await setup();
    try {
      const broken = {
        ...deps,
        keys: {
          signer: () => {
            throw new Error('no keys');
          },
        },
      };
      const result = await performLogout(broken, config, { sessionHash: 'hash-1', request: null });
      assert.equal(store.size, 0);
      assert.equal(result.backchannel, 0);
      assert.equal(
        world.events.of('backchannel_logout.failed').every((e) => e.reason === 'sign_failed'),
        true,
      );
      assert.equal(world.events.of('backchannel_logout.failed').length, 3);
    } finally {
      await world.storage.close();
    }
  });
});

import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { EventBus, type EventMap } from '../events.ts';
import type { SigningAlg, SigningKeyRecord } from '../model/key.ts';
import type { KeyStore } from '../ports/key-store.ts';
import { createMemoryStorage } from '../../storage/memory/memory-storage.ts';
import { kekId, kekRing, openWithRing, sealedKekId } from './kek.ts';
import { KeyManager, type KeyManagerDeps } from './key-manager.ts';

const T0 = 1_700_000_000;
const GRACE = 86_400;

function fakeClock(seconds = T0) {
  let ms = seconds * 1000;
  return {
    now: () => ms,
    advance: (s: number) => {
      ms += s * 1000;
    },
  };
}

type Setup = ReturnType<typeof setup>;
function setup(
  opts: { algs?: SigningAlg[]; rotationInterval?: number; refreshInterval?: number; store?: KeyStore; clock?: ReturnType<typeof fakeClock>; kek?: Buffer } = {},
) {
  const keyStore = opts.store ?? createMemoryStorage().keyStore;
  const clock = opts.clock ?? fakeClock();
  const kek = opts.kek ?? randomBytes(32);
  const events = new EventBus();
  const rotated: EventMap['key.rotated'][] = [];
  events.on('key.rotated', (e) => rotated.push(e));
  const logs: string[] = [];
  const deps: KeyManagerDeps = { keyStore, clock, events, kek, tenantId: 'default', log: (_l, m) => logs.push(m) };
  const config = {
    keys: {
      algorithms: opts.algs ?? ['ES256', 'EdDSA'],
      rotationInterval: opts.rotationInterval ?? 0,
      gracePeriod: GRACE,
      refreshInterval: opts.refreshInterval ?? 30,
    },
  };
  return { manager: new KeyManager(deps, config), keyStore, clock, kek, rotated, logs, events };
}
/** A second instance sharing the first one's store, KEK and clock. */
const sibling = (s: Setup, extra: Parameters<typeof setup>[0] = {}) => setup({ store: s.keyStore, clock: s.clock, kek: s.kek, ...extra });

const byStatus = (records: readonly SigningKeyRecord[], alg: string, status: string) => records.filter((r) => r.alg === alg && r.status === status);
const kids = (m: KeyManager) => m.jwks().keys.map((k) => k.kid);
const localJwks = (m: KeyManager) => createLocalJWKSet(m.jwks() as unknown as JSONWebKeySet);

test('first start generates an active and a next key per configured algorithm, private parts sealed', async () => {
  const s = setup({ algs: ['RS256', 'ES256', 'PS256', 'EdDSA'] });
  assert.equal(s.manager.ready, false);
  await s.manager.init();
  assert.equal(s.manager.ready, true);
  const stored = await s.keyStore.list('default');
  for (const alg of ['RS256', 'ES256', 'PS256', 'EdDSA'] as const) {
    const [active] = byStatus(stored, alg, 'active');
    assert.equal(byStatus(stored, alg, 'active').length, 1);
    assert.equal(byStatus(stored, alg, 'next').length, 1);
    assert.equal(s.manager.signer(alg).kid, active!.kid);
    assert.equal(active!.activatedAt, T0);
  }
  for (const r of stored) {
    assert.ok(!r.privateJwkEncrypted.includes('"d"'));
    // v2 envelopes name the KEK that sealed them (KEK rotation, docs/operations.md).
    assert.equal(sealedKekId(r.privateJwkEncrypted), kekId(s.kek));
    const jwk = JSON.parse(openWithRing(kekRing(s.kek), r.privateJwkEncrypted, r.kid)) as Record<string, unknown>;
    assert.equal(jwk.kid, r.kid);
    assert.equal(typeof jwk.d, 'string');
    assert.throws(() => openWithRing(kekRing(s.kek), r.privateJwkEncrypted, 'other-kid'));
  }
  assert.equal(s.manager.jwks().keys.length, 8);
  for (const k of s.manager.jwks().keys) assert.equal('d' in k, false);
});

test('OIDC Core §10.1 tokens from every algorithm verify against the published JWKS with jose', async () => {
  const s = setup({ algs: ['RS256', 'ES256', 'PS256', 'EdDSA'] });
  await s.manager.init();
  for (const alg of ['RS256', 'ES256', 'PS256', 'EdDSA'] as const) {
    const token = s.manager.signer(alg).sign({ sub: 'alice', alg_used: alg });
    const { payload, protectedHeader } = await jwtVerify(token, localJwks(s.manager));
    assert.equal(protectedHeader.alg, alg);
    assert.equal(payload.sub, 'alice');
    assert.equal(s.manager.verify(token)?.payload.alg_used, alg);
  }
});

test('a restart loads the stored keys and generates nothing new', async () => {
  const a = setup();
  await a.manager.init();
  const b = sibling(a);
  await b.manager.init();
  assert.deepEqual(kids(b.manager), kids(a.manager));
  assert.equal((await a.keyStore.list('default')).length, 4);
});

test('two instances initialising one empty store at once end with one active and one next key per alg', async () => {
  const base = createMemoryStorage().keyStore;
  let lost = 0;
  const store: KeyStore = {
    list: (t) => base.list(t),
    insert: (k) => base.insert(k),
    reseal: (t, k, e, n) => base.reseal(t, k, e, n),
    rotate: async (c) => {
      const ok = await base.rotate(c);
      if (!ok) lost++;
      return ok;
    },
    purgeRetired: (t, b) => base.purgeRetired(t, b),
  };
  const a = setup({ algs: ['ES256', 'EdDSA', 'RS256'], store });
  const b = sibling(a, { algs: ['ES256', 'EdDSA', 'RS256'] });
  const c = sibling(a, { algs: ['ES256', 'EdDSA', 'RS256'] });
  await Promise.all([a.manager.init(), b.manager.init(), c.manager.init()]);
  const stored = await a.keyStore.list('default');
  for (const alg of ['ES256', 'EdDSA', 'RS256']) {
    assert.equal(byStatus(stored, alg, 'active').length, 1, alg);
    assert.equal(byStatus(stored, alg, 'next').length, 1, alg);
    assert.equal(byStatus(stored, alg, 'retired').length, 0, alg);
  }
  assert.ok(lost >= 3, `the race was exercised: ${lost} compare-and-set attempts lost`);
  for (const m of [b.manager, c.manager]) {
    assert.equal(m.signer('ES256').kid, a.manager.signer('ES256').kid);
    assert.deepEqual(kids(m), kids(a.manager));
  }
});

test('OIDC Core §10.1.1 rotation: next → active, active → retired until now + grace, new next published', async () => {
  const s = setup();
  await s.manager.init();
  const before = await s.keyStore.list('default');
  const [oldActive] = byStatus(before, 'ES256', 'active');
  const [oldNext] = byStatus(before, 'ES256', 'next');
  s.clock.advance(100);
  const state = await s.manager.rotate(['ES256']);
  const [active] = byStatus(state, 'ES256', 'active');
  const [next] = byStatus(state, 'ES256', 'next');
  const [retired] = byStatus(state, 'ES256', 'retired');
  assert.equal(active!.kid, oldNext!.kid);
  assert.equal(active!.activatedAt, T0 + 100);
  assert.equal(retired!.kid, oldActive!.kid);
  assert.equal(retired!.retiresAt, T0 + 100 + GRACE);
  assert.ok(next && next.kid !== oldActive!.kid && next.kid !== oldNext!.kid);
  assert.equal(s.manager.signer('ES256').kid, active!.kid);
  assert.deepEqual(s.rotated, [{ tenantId: 'default', alg: 'ES256', activeKid: oldNext!.kid, retiredKid: oldActive!.kid, nextKid: next.kid }]);
  // EdDSA was not asked to rotate.
  assert.equal(byStatus(state, 'EdDSA', 'retired').length, 0);
  const published = kids(s.manager);
  for (const k of [active!.kid, next.kid, retired!.kid]) assert.ok(published.includes(k));
});

test('RFC 7517 §5 JWKS keeps a retired key through the grace period, then drops it (injected clock)', async () => {
  const s = setup({ algs: ['ES256'] });
  await s.manager.init();
  const oldToken = s.manager.signer('ES256').sign({ sub: 'before-rotation' });
  const oldKid = s.manager.signer('ES256').kid;
  const jwksBefore = s.manager.jwks();
  assert.equal(s.manager.jwks(), jwksBefore, 'same object while keys do not change');
  await s.manager.rotate();
  assert.notEqual(s.manager.jwks(), jwksBefore);
  assert.equal(kids(s.manager).length, 3);
  const newToken = s.manager.signer('ES256').sign({ sub: 'after-rotation' });
  assert.notEqual(s.manager.signer('ES256').kid, oldKid);
  await jwtVerify(oldToken, localJwks(s.manager));
  assert.equal(s.manager.verify(oldToken)?.payload.sub, 'before-rotation');

  s.clock.advance(GRACE - 1);
  assert.ok(kids(s.manager).includes(oldKid));
  s.clock.advance(1);
  // At retiresAt the key leaves the JWKS without waiting for a refresh.
  assert.equal(kids(s.manager).includes(oldKid), false);
  assert.equal(kids(s.manager).length, 2);
  assert.equal(s.manager.verify(oldToken), null);
  await assert.rejects(jwtVerify(oldToken, localJwks(s.manager)));
  assert.equal(s.manager.verify(newToken)?.payload.sub, 'after-rotation');

  await s.manager.refresh();
  assert.equal(byStatus(await s.keyStore.list('default'), 'ES256', 'retired').length, 0, 'purged from the store at retiresAt');
});

test('scheduled rotation happens on refresh once the active key is older than rotationInterval', async () => {
  const s = setup({ algs: ['ES256'], rotationInterval: 3600 });
  await s.manager.init();
  const first = s.manager.signer('ES256').kid;
  s.clock.advance(3599);
  await s.manager.refresh();
  assert.equal(s.manager.signer('ES256').kid, first);
  assert.equal(s.rotated.length, 0);
  s.clock.advance(1);
  await s.manager.refresh();
  assert.notEqual(s.manager.signer('ES256').kid, first);
  assert.equal(s.rotated.length, 1);
  s.clock.advance(3599);
  await s.manager.refresh();
  assert.equal(s.rotated.length, 1, 'the new key is not due yet');
});

test('two instances sharing one store rotate once on schedule and on concurrent manual rotation', async () => {
  const a = setup({ algs: ['ES256', 'EdDSA'], rotationInterval: 600 });
  const b = sibling(a, { algs: ['ES256', 'EdDSA'], rotationInterval: 600 });
  await a.manager.init();
  await b.manager.init();
  a.clock.advance(600);
  await Promise.all([a.manager.refresh(), b.manager.refresh()]);
  let stored = await a.keyStore.list('default');
  for (const alg of ['ES256', 'EdDSA']) assert.equal(byStatus(stored, alg, 'retired').length, 1, alg);
  assert.equal(a.rotated.length + b.rotated.length, 2);
  assert.equal(a.manager.signer('ES256').kid, b.manager.signer('ES256').kid);

  await Promise.all([a.manager.rotate(['ES256']), b.manager.rotate(['ES256'])]);
  stored = await a.keyStore.list('default');
  assert.equal(byStatus(stored, 'ES256', 'retired').length, 2);
  assert.equal(byStatus(stored, 'ES256', 'active').length, 1);
  assert.equal(byStatus(stored, 'ES256', 'next').length, 1);
});

test('OIDC Core §10.1.1 a second instance picks up a rotation made by the first after refresh()', async () => {
  const a = setup();
  const b = sibling(a);
  await a.manager.init();
  await b.manager.init();
  const before = b.manager.signer('ES256').kid;
  await a.manager.rotate(['ES256']);
  assert.equal(b.manager.signer('ES256').kid, before, 'not before its refresh');
  await b.manager.refresh();
  assert.equal(b.manager.signer('ES256').kid, a.manager.signer('ES256').kid);
  assert.notEqual(b.manager.signer('ES256').kid, before);
  assert.deepEqual(kids(b.manager), kids(a.manager));
  // Tokens from either instance verify on the other.
  assert.ok(a.manager.verify(b.manager.signer('EdDSA').sign({ x: 1 })));
});

test('a failed refresh keeps the last good keys and logs nothing secret', async () => {
  const base = createMemoryStorage().keyStore;
  let fail = false;
  const store: KeyStore = {
    list: (t) => (fail ? Promise.reject(new Error('connect failed: postgres://gatehouse:hunter2@db/x')) : base.list(t)),
    insert: (k) => base.insert(k),
    reseal: (t, k, e, n) => base.reseal(t, k, e, n),
    rotate: (c) => base.rotate(c),
    purgeRetired: (t, b) => base.purgeRetired(t, b),
  };
  const s = setup({ store, refreshInterval: 30 });
  await s.manager.init();
  const jwks = s.manager.jwks();
  fail = true;
  await assert.rejects(s.manager.refresh());
  assert.equal(s.manager.jwks(), jwks);
  assert.ok(s.manager.verify(s.manager.signer('ES256').sign({ ok: true })));

  mock.timers.enable({ apis: ['setInterval'] });
  try {
    s.manager.start();
    mock.timers.tick(30_000);
    for (let i = 0; i < 10 && s.logs.length === 0; i++) await new Promise((r) => setImmediate(r));
    assert.equal(s.logs.length, 1);
    assert.match(s.logs[0]!, /refresh failed, keeping the last loaded keys \(Error\)/);
    assert.equal(s.logs[0]!.includes('hunter2'), false);
    s.manager.stop();
    mock.timers.tick(60_000);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.equal(s.logs.length, 1, 'stop() ends the timer');
  } finally {
    mock.timers.reset();
  }
  assert.equal(s.manager.ready, true);
});

test('a KEK that does not match the stored keys fails initialisation clearly', async () => {
  const a = setup();
  await a.manager.init();
  const b = sibling(a, { kek: randomBytes(32) });
  await assert.rejects(b.manager.init(), { code: 'GH_KEK_DECRYPT_FAILED' });
  assert.equal(b.manager.ready, false);
});

test('an alg that is not configured cannot be rotated or used to sign', async () => {
  const s = setup({ algs: ['ES256'] });
  await s.manager.init();
  await assert.rejects(s.manager.rotate(['RS256']), { code: 'GH_KEYS_ALG_NOT_CONFIGURED' });
  assert.throws(() => s.manager.signer('RS256'), { code: 'GH_KEYS_NOT_LOADED' });
});

test('load() reads the store without generating keys', async () => {
  const s = setup();
  await s.manager.load();
  assert.equal(s.manager.ready, false);
  assert.deepEqual(s.manager.list(), []);
  assert.deepEqual(await s.keyStore.list('default'), []);
  assert.throws(() => s.manager.signer('ES256'), { code: 'GH_KEYS_NOT_LOADED' });
});

test('refresh() repairs an algorithm whose next key was removed by hand', async () => {
  const base = createMemoryStorage().keyStore;
  const s = setup({ algs: ['ES256'], store: base });
  await s.manager.init();
  const active = s.manager.signer('ES256').kid;
  // A fresh store holding only the active key, as after a manual deletion of the next key.
  const store = createMemoryStorage().keyStore;
  for (const r of await base.list('default')) if (r.status === 'active') await store.insert(r);
  const t = sibling(s, { algs: ['ES256'], store });
  await t.manager.refresh();
  const stored = await store.list('default');
  assert.equal(byStatus(stored, 'ES256', 'next').length, 1);
  assert.equal(t.manager.signer('ES256').kid, active);
});

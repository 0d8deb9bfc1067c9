import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { sha256 } from '../crypto.ts';
import { GatehouseError } from '../errors.ts';
import type { SessionRecord } from '../model/session.ts';
import type { SessionStore } from '../ports/session-store.ts';
import { browserStateOf, createSessionService, currentAccount } from './session-service.ts';

/** A minimal SessionStore honouring the port's contract (the real adapters have their own suite). */
function fakeStore(): SessionStore & { readonly rows: Map<string, SessionRecord>; writes: number } {
  const rows = new Map<string, SessionRecord>();
  const store = {
    rows,
    writes: 0,
    async create(s: SessionRecord) {
      if (rows.has(s.hash)) throw new GatehouseError('GH_CONFLICT', 'duplicate');
      store.writes++;
      rows.set(s.hash, s);
    },
    async get(_t: string, hash: string) {
      return rows.get(hash);
    },
    async findBySid(_t: string, sid: string) {
      return [...rows.values()].find((s) => s.accounts.some((a) => a.sid === sid));
    },
    async update(_t: string, hash: string, patch: Partial<SessionRecord>) {
      const s = rows.get(hash);
      if (!s) return undefined;
      store.writes++;
      const next = { ...s, ...patch };
      rows.set(hash, next);
      return next;
    },
    async addClient(_t: string, sid: string, clientId: string) {
      const s = [...rows.values()].find((r) => r.accounts.some((a) => a.sid === sid));
      if (!s) return;
      store.writes++;
      rows.set(s.hash, {
        ...s,
        accounts: s.accounts.map((a) => (a.sid === sid && !a.clientIds.includes(clientId) ? { ...a, clientIds: [...a.clientIds, clientId] } : a)),
      });
    },
    async delete(_t: string, hash: string) {
      const s = rows.get(hash);
      rows.delete(hash);
      return s;
    },
    async purgeExpired() {
      return 0;
    },
  };
  return store;
}

function setup(session = { idleTtl: 1800, absoluteTtl: 86400, maxAccounts: 3 }) {
  const clock = {
    t: 1_700_000_000_000,
    now() {
      return this.t;
    },
  };
  const sessions = fakeStore();
  const svc = createSessionService({ sessions, clock, random: { bytes: (n) => randomBytes(n) }, tenantId: 'default' }, { session });
  const advance = (s: number) => {
    clock.t += s * 1000;
  };
  return { svc, sessions, advance };
}

const pwd = (userId: string) => ({ userId, amr: ['pwd'], acr: 'urn:gatehouse:pwd' });

describe('session service', () => {
  test('sign-in issues a 256-bit cookie value and stores only its SHA-256', async () => {
    const { svc, sessions } = setup();
    const { cookie, session, account } = await svc.signIn(undefined, pwd('u1'));
    assert.equal(Buffer.from(cookie, 'base64url').length, 32);
    assert.equal(session.hash, sha256(cookie));
    assert.ok(!JSON.stringify([...sessions.rows.values()]).includes(cookie), 'the cookie value is never stored');
    assert.equal(session.currentUserId, 'u1');
    assert.equal(currentAccount(session)?.sid, account.sid);
    assert.deepEqual(await svc.read(cookie), session);
  });

  test('session fixation: signing in again issues a new value, deletes the old record, carries accounts over', async () => {
    const { svc, sessions } = setup();
    const first = await svc.signIn(undefined, pwd('u1'));
    const second = await svc.signIn(first.cookie, pwd('u2'));
    assert.notEqual(second.cookie, first.cookie);
    assert.equal(await svc.read(first.cookie), undefined, 'the old value no longer works');
    assert.equal(sessions.rows.size, 1);
    assert.deepEqual(
      second.session.accounts.map((a) => a.userId),
      ['u2', 'u1'],
    );
    assert.notEqual(second.account.sid, first.account.sid, 'each account has its own sid');
    const again = await svc.signIn(second.cookie, pwd('u1'));
    assert.equal(again.account.sid, first.account.sid, 're-authenticating keeps the account sid');
    assert.deepEqual(
      again.session.accounts.map((a) => a.userId),
      ['u1', 'u2'],
    );
  });

  test('a planted unknown cookie value is never adopted', async () => {
    const { svc } = setup();
    const planted = randomBytes(32).toString('base64url');
    const { cookie } = await svc.signIn(planted, pwd('u1'));
    assert.notEqual(cookie, planted);
    assert.equal(await svc.read(planted), undefined);
  });

  test('idle lifetime: a session unused for idleTtl ends (and is deleted)', async () => {
    const { svc, sessions, advance } = setup();
    const { cookie } = await svc.signIn(undefined, pwd('u1'));
    advance(1799);
    assert.ok(await svc.read(cookie), 'still alive just before the idle end');
    advance(1799);
    assert.ok(await svc.read(cookie), 'the previous read moved lastSeenAt');
    advance(1800);
    assert.equal(await svc.read(cookie), undefined);
    assert.equal(sessions.rows.size, 0);
  });

  test('absolute lifetime: an active session still ends absoluteTtl after sign-in', async () => {
    const { svc, advance } = setup({ idleTtl: 1800, absoluteTtl: 3600, maxAccounts: 3 });
    const { cookie } = await svc.signIn(undefined, pwd('u1'));
    for (let i = 0; i < 3; i++) {
      advance(1000);
      assert.ok(await svc.read(cookie));
    }
    advance(600);
    assert.equal(await svc.read(cookie), undefined);
  });

  test('touch writes lastSeenAt at most once a minute', async () => {
    const { svc, sessions, advance } = setup();
    const { cookie } = await svc.signIn(undefined, pwd('u1'));
    const before = sessions.writes;
    advance(30);
    await svc.read(cookie);
    await svc.read(cookie);
    assert.equal(sessions.writes, before);
    advance(31);
    await svc.read(cookie);
    assert.equal(sessions.writes, before + 1);
  });

  test('maxAccounts keeps the most recent sign-ins', async () => {
    const { svc, advance } = setup({ idleTtl: 1800, absoluteTtl: 86400, maxAccounts: 2 });
    let c = (await svc.signIn(undefined, pwd('a'))).cookie;
    advance(1);
    c = (await svc.signIn(c, pwd('b'))).cookie;
    advance(1);
    const last = await svc.signIn(c, pwd('c'));
    assert.deepEqual(
      last.session.accounts.map((a) => a.userId),
      ['c', 'b'],
    );
  });

  test('switch account, sign out one account, sign out all', async () => {
    const { svc, sessions } = setup();
    const a = await svc.signIn(undefined, pwd('a'));
    const b = await svc.signIn(a.cookie, pwd('b'));
    assert.equal(await svc.switchAccount(b.session, 'nobody'), undefined);
    const switched = await svc.switchAccount(b.session, 'a');
    assert.equal(switched?.currentUserId, 'a');
    const out = await svc.signOut(switched!, 'a');
    assert.deepEqual(
      out.ended.map((x) => x.userId),
      ['a'],
    );
    assert.deepEqual(
      out.session?.accounts.map((x) => x.userId),
      ['b'],
    );
    assert.equal(out.session?.currentUserId, null, 'no account is silently made current');
    const all = await svc.signOut(out.session!);
    assert.equal(all.session, undefined);
    assert.equal(sessions.rows.size, 0);
  });

  test('signing in again as the same user keeps the clients recorded on its sid (logout still reaches them)', async () => {
    const { svc, sessions } = setup();
    const first = await svc.signIn(undefined, pwd('a'));
    await sessions.addClient('default', first.account.sid, 'client-1');
    const again = await svc.signIn(first.cookie, pwd('a'));
    assert.equal(again.account.sid, first.account.sid);
    assert.deepEqual(currentAccount(again.session)?.clientIds, ['client-1']);
  });

  test('OIDC Session Management §3: browser state changes on sign-in, switch and sign-out', async () => {
    const { svc } = setup();
    assert.equal(browserStateOf(undefined), null);
    const a = await svc.signIn(undefined, pwd('a'));
    const b = await svc.signIn(a.cookie, pwd('b'));
    const switched = await svc.switchAccount(b.session, 'a');
    const out = await svc.signOut(switched!, 'b');
    const states = [a.session, b.session, switched!, out.session!].map(browserStateOf);
    assert.equal(new Set(states).size, 4);
    assert.match(states[0]!, /^[A-Za-z0-9_-]{43}$/);
  });
});

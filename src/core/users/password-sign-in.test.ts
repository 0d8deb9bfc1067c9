import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { recordEvents, settableClock } from '../../../test/support/core-fixtures.ts';
import { MemoryRateLimiter } from '../../ratelimit/memory-rate-limiter.ts';
import { cheapParamsForTests, createArgon2PasswordHasher } from '../../security/argon2-password-hasher.ts';
import { createMemoryStorage } from '../../storage/memory/memory-storage.ts';
import { GatehouseError } from '../errors.ts';
import { DEFAULT_TENANT } from '../model/tenant.ts';
import type { PasswordHasher } from '../ports/password-hasher.ts';
import { createDeviceCookies } from './device-cookie.ts';
import { createPasswordSignIn } from './password-sign-in.ts';
import { userDelayMs } from './sign-in-delay.ts';
import { createUserService } from './user-service.ts';

const PASSWORD = 'correct horse battery';
const LOGIN = {
  maxAttempts: 3,
  attemptWindow: 300,
  userAddressMaxAttempts: 3,
  userAddressWindow: 300,
  maxInFlightPerAddress: 50,
  userDelayStart: 250,
  userDelayMax: 2000,
  userDelayWindow: 300,
  acrValues: ['urn:gatehouse:pwd'],
};

async function world(opts: { login?: Partial<typeof LOGIN>; hasher?: (h: PasswordHasher) => PasswordHasher } = {}) {
  const clock = settableClock();
  const events = recordEvents();
  const slept: number[] = [];
  const random = { bytes: (n: number) => randomBytes(n) };
  const base = createArgon2PasswordHasher({ params: cheapParamsForTests });
  const users = createMemoryStorage({ clock }).users;
  const service = (passwordHasher: PasswordHasher) => createUserService({ users, passwordHasher, clock, events, random, tenantId: DEFAULT_TENANT });
  const deps = {
    users,
    userService: service(opts.hasher ? opts.hasher(base) : base),
    rateLimiter: new MemoryRateLimiter(),
    tenantId: DEFAULT_TENANT,
    sleep: async (ms: number) => {
      slept.push(ms);
    },
    deviceCookies: createDeviceCookies(randomBytes(32), { clock, random }, 3600),
  };
  const alice = await service(base).create({ username: 'alice', password: PASSWORD });
  return { signIn: createPasswordSignIn(deps, { login: { ...LOGIN, ...opts.login } }), clock, events, slept, alice, rateLimiter: deps.rateLimiter };
}

describe('password sign-in (NIST SP 800-63B §5.2.2 rate limiting)', () => {
  test('a right password is ok with amr pwd, the first configured acr and a device cookie; a wrong one fails neutrally', async () => {
    const { signIn, events, alice } = await world();
    const ok = await signIn.attempt({ username: ' Alice ', password: PASSWORD, address: '198.51.100.1' });
    assert.ok(ok.kind === 'ok' && ok.user.username === 'alice' && ok.acr === 'urn:gatehouse:pwd' && ok.device.length > 40);
    assert.deepEqual(ok.kind === 'ok' && ok.amr, ['pwd']);
    assert.deepEqual(await signIn.attempt({ username: 'alice', password: 'wrong password!', address: '198.51.100.1' }), {
      kind: 'failed',
      reason: 'bad-credentials',
      userId: alice.id,
    });
    assert.deepEqual(await signIn.attempt({ username: 'nobody', password: PASSWORD, address: '198.51.100.1' }), {
      kind: 'failed',
      reason: 'bad-credentials',
      userId: null,
    });
    assert.equal(events.of('user.authentication_failed').length, 2);
  });

  test('a right password still signs in when the limiter cannot clear the pair counter (shared limiter unreachable)', async () => {
    const { signIn, rateLimiter } = await world();
    rateLimiter.reset = async () => {
      throw new GatehouseError('GH_STORE_UNAVAILABLE', 'redis unreachable');
    };
    await signIn.attempt({ username: 'alice', password: 'wrong password!', address: '198.51.100.9' });
    assert.equal((await signIn.attempt({ username: 'alice', password: PASSWORD, address: '198.51.100.9' })).kind, 'ok');
  });

  test('an empty username or password is incomplete and counts nothing', async () => {
    const { signIn } = await world();
    for (let i = 0; i < 5; i++) assert.deepEqual(await signIn.attempt({ username: '  ', password: PASSWORD, address: '192.0.2.1' }), { kind: 'incomplete' });
    assert.deepEqual(await signIn.attempt({ username: 'alice', password: '', address: '192.0.2.1' }), { kind: 'incomplete' });
    assert.equal((await signIn.attempt({ username: 'alice', password: PASSWORD, address: '192.0.2.1' })).kind, 'ok');
  });

  test('per address: parallel attempts for distinct usernames are counted before hashing (no overshoot)', async () => {
    const { signIn } = await world();
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => signIn.attempt({ username: `user${i}`, password: 'guess password 1', address: '2001:db8::1' })),
    );
    assert.equal(results.filter((r) => r.kind === 'failed').length, LOGIN.maxAttempts);
    assert.ok(results.every((r) => r.kind === 'failed' || (r.kind === 'throttled' && r.reason === 'throttled-address')));
    const other = await signIn.attempt({ username: 'alice', password: PASSWORD, address: '2001:db8::ffff:2' });
    assert.equal(other.kind, 'throttled', 'the same IPv6 /64 is the same address');
  });

  test('at most maxInFlightPerAddress sign-ins per address are checked at once', async () => {
    const { signIn } = await world({ login: { maxInFlightPerAddress: 2, maxAttempts: 100 } });
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => signIn.attempt({ username: `user${i}`, password: 'guess password 1', address: '192.0.2.9' })),
    );
    assert.equal(results.filter((r) => r.kind === 'failed').length, 2);
    assert.equal(results.filter((r) => r.kind === 'throttled' && r.retryAfter === 1).length, 4);
  });

  test('refund on success: a success gives its address attempt back (an office address signs in all day)', async () => {
    const { signIn } = await world();
    for (let i = 0; i < LOGIN.maxAttempts - 1; i++) await signIn.attempt({ username: `user${i}`, password: 'wrong password 1', address: 'office' });
    for (let i = 0; i < 10; i++) assert.equal((await signIn.attempt({ username: 'alice', password: PASSWORD, address: 'office' })).kind, 'ok');
    assert.equal(
      (await signIn.attempt({ username: 'bob', password: 'wrong password 1', address: 'office' })).kind,
      'failed',
      'the last attempt of the window is still there',
    );
    assert.equal((await signIn.attempt({ username: 'alice', password: PASSWORD, address: 'office' })).kind, 'throttled', 'failures are never given back');
  });

  test('a stranger locks only their own (username, address) pair: elsewhere the owner is delayed, never refused', async () => {
    const { signIn, slept } = await world({ login: { maxAttempts: 100 } });
    for (let i = 0; i < LOGIN.userAddressMaxAttempts; i++) await signIn.attempt({ username: 'alice', password: `wrong ${i} password`, address: '203.0.113.1' });
    const fromA = await signIn.attempt({ username: 'alice', password: PASSWORD, address: '203.0.113.1' });
    assert.ok(fromA.kind === 'throttled' && fromA.reason === 'throttled-user-address' && fromA.retryAfter > 0 && fromA.retryAfter <= LOGIN.userAddressWindow);
    slept.length = 0;
    assert.equal((await signIn.attempt({ username: 'alice', password: PASSWORD, address: '203.0.113.2' })).kind, 'ok');
    assert.deepEqual(slept, [1000], 'three failures from anywhere: 250 · 2² ms');
  });

  test('the username-wide delay grows 0, start, 2·start … up to the maximum and is injected (never a real sleep)', async () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 9].map((n) => userDelayMs(n, LOGIN)),
      [0, 250, 500, 1000, 2000, 2000, 2000],
    );
    assert.equal(userDelayMs(1000, LOGIN), LOGIN.userDelayMax);
    assert.equal(userDelayMs(3, { userDelayStart: 0, userDelayMax: 5000 }), 0);
    const { signIn, slept } = await world({ login: { maxAttempts: 100, userAddressMaxAttempts: 100 } });
    for (let i = 0; i < 6; i++) await signIn.attempt({ username: 'ghost', password: 'wrong password 1', address: `192.0.2.${i}` });
    assert.deepEqual(slept, [250, 500, 1000, 2000, 2000], 'unknown usernames are delayed alike');
  });

  test("a recognised device of the user signs in from a locked address without the delay; another user's cookie does not", async () => {
    const { signIn, slept } = await world({ login: { maxAttempts: 100 } });
    const first = await signIn.attempt({ username: 'alice', password: PASSWORD, address: '198.51.100.7' });
    assert.ok(first.kind === 'ok');
    for (let i = 0; i < LOGIN.userAddressMaxAttempts; i++) await signIn.attempt({ username: 'alice', password: `wrong ${i} password`, address: '203.0.113.1' });
    slept.length = 0;
    assert.equal((await signIn.attempt({ username: 'alice', password: PASSWORD, address: '203.0.113.1', device: first.device })).kind, 'ok');
    assert.deepEqual(slept, [], 'no username-wide delay');
    assert.equal((await signIn.attempt({ username: 'alice', password: PASSWORD, address: '203.0.113.1', device: 'forged.cookie.value' })).kind, 'throttled');
  });

  test('a full hashing queue is busy, and gives back every count it made', async () => {
    let busy = true;
    const { signIn } = await world({
      login: { maxAttempts: 1, userAddressMaxAttempts: 1 },
      hasher: (h) => ({ ...h, verify: (phc, pw) => (busy ? Promise.reject(new GatehouseError('GH_BUSY', 'full')) : h.verify(phc, pw)) }),
    });
    for (let i = 0; i < 3; i++) {
      const r = await signIn.attempt({ username: 'alice', password: PASSWORD, address: '192.0.2.1' });
      assert.ok(r.kind === 'busy' && r.retryAfter > 0 && r.reason === 'busy');
    }
    busy = false;
    assert.equal((await signIn.attempt({ username: 'alice', password: PASSWORD, address: '192.0.2.1' })).kind, 'ok');
  });

  test('counts end with their window', async (t) => {
    t.mock.timers.enable({ apis: ['Date', 'setTimeout'], now: Date.now() });
    const { signIn } = await world();
    for (let i = 0; i < LOGIN.maxAttempts; i++) await signIn.attempt({ username: `u${i}`, password: 'wrong password 1', address: '192.0.2.1' });
    assert.equal((await signIn.attempt({ username: 'alice', password: PASSWORD, address: '192.0.2.1' })).kind, 'throttled');
    t.mock.timers.tick((LOGIN.attemptWindow + 1) * 1000);
    assert.equal((await signIn.attempt({ username: 'alice', password: PASSWORD, address: '192.0.2.1' })).kind, 'ok');
  });
});

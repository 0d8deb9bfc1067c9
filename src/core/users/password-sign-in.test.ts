import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { recordEvents, settableClock } from '../../../test/support/core-fixtures.ts';
import { MemoryRateLimiter } from '../../ratelimit/memory-rate-limiter.ts';
import { cheapParamsForTests, createArgon2PasswordHasher } from '../../security/argon2-password-hasher.ts';
import { createMemoryStorage } from '../../storage/memory/memory-storage.ts';
import { DEFAULT_TENANT } from '../model/tenant.ts';
import { createPasswordSignIn } from './password-sign-in.ts';
import { createUserService } from './user-service.ts';

const PASSWORD = 'correct horse battery';
const LOGIN = { maxAttempts: 3, attemptWindow: 300, acrValues: ['urn:gatehouse:pwd'] };

async function world() {
  const clock = settableClock();
  const events = recordEvents();
  const userService = createUserService({
    users: createMemoryStorage({ clock }).users, passwordHasher: createArgon2PasswordHasher({ params: cheapParamsForTests }), clock, events,
    random: { bytes: (n: number) => randomBytes(n) }, tenantId: DEFAULT_TENANT,
  });
  await userService.create({ username: 'alice', password: PASSWORD });
  return { signIn: createPasswordSignIn({ userService, rateLimiter: new MemoryRateLimiter({ clock }) }, { login: LOGIN }), clock, events };
}

describe('password sign-in (NIST SP 800-63B §5.2.2 rate limiting)', () => {
  test('a right password is ok with amr pwd and the first configured acr; a wrong one fails neutrally', async () => {
    const { signIn, events } = await world();
    const ok = await signIn.attempt({ username: ' Alice ', password: PASSWORD, address: '198.51.100.1' });
    assert.equal(ok.kind, 'ok');
    assert.ok(ok.kind === 'ok' && ok.user.username === 'alice' && ok.acr === 'urn:gatehouse:pwd');
    assert.deepEqual(ok.kind === 'ok' && ok.amr, ['pwd']);
    assert.deepEqual(await signIn.attempt({ username: 'alice', password: 'wrong password!', address: '198.51.100.1' }), { kind: 'failed' });
    assert.deepEqual(await signIn.attempt({ username: 'nobody', password: PASSWORD, address: '198.51.100.1' }), { kind: 'failed' });
    assert.equal(events.of('user.authentication_failed').length, 2);
  });

  test('an empty username or password is incomplete and counts nothing', async () => {
    const { signIn } = await world();
    for (let i = 0; i < 5; i++) assert.deepEqual(await signIn.attempt({ username: '  ', password: PASSWORD, address: 'a' }), { kind: 'incomplete' });
    assert.deepEqual(await signIn.attempt({ username: 'alice', password: '', address: 'a' }), { kind: 'incomplete' });
    assert.equal((await signIn.attempt({ username: 'alice', password: PASSWORD, address: 'a' })).kind, 'ok');
  });

  test('over maxAttempts for a username: throttled with retryAfter, even with the right password', async () => {
    const { signIn, clock } = await world();
    for (let i = 0; i < LOGIN.maxAttempts; i++) await signIn.attempt({ username: 'alice', password: `wrong ${i} password`, address: `203.0.113.${i}` });
    const r = await signIn.attempt({ username: 'alice', password: PASSWORD, address: '203.0.113.99' });
    assert.equal(r.kind, 'throttled');
    assert.ok(r.kind === 'throttled' && r.retryAfter > 0 && r.retryAfter <= LOGIN.attemptWindow);
    clock.advance(LOGIN.attemptWindow + 1);
    assert.equal((await signIn.attempt({ username: 'alice', password: PASSWORD, address: '203.0.113.99' })).kind, 'ok');
  });

  test('parallel guesses are counted before the password is checked (no overshoot of the limit)', async () => {
    const { signIn } = await world();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => signIn.attempt({ username: 'alice', password: `guess ${i} password`, address: `192.0.2.${i}` })));
    assert.equal(results.filter((r) => r.kind === 'failed').length, LOGIN.maxAttempts);
    assert.equal(results.filter((r) => r.kind === 'throttled').length, 12 - LOGIN.maxAttempts);
  });

  test('an address counts failures only: over the limit it is throttled for any username; successes never throttle it', async () => {
    const { signIn } = await world();
    for (let i = 0; i < 10; i++) assert.equal((await signIn.attempt({ username: 'alice', password: PASSWORD, address: 'office' })).kind, 'ok');
    for (let i = 0; i < LOGIN.maxAttempts; i++) await signIn.attempt({ username: `user${i}`, password: 'wrong password 1', address: 'spray' });
    assert.equal((await signIn.attempt({ username: 'alice', password: PASSWORD, address: 'spray' })).kind, 'throttled');
    assert.equal((await signIn.attempt({ username: 'alice', password: PASSWORD, address: 'office' })).kind, 'ok');
  });

  test('a success forgets the username counter', async () => {
    const { signIn } = await world();
    for (let i = 0; i < LOGIN.maxAttempts - 1; i++) await signIn.attempt({ username: 'alice', password: 'wrong password 1', address: `a${i}` });
    assert.equal((await signIn.attempt({ username: 'alice', password: PASSWORD, address: 'b' })).kind, 'ok');
    for (let i = 0; i < LOGIN.maxAttempts - 1; i++) assert.equal((await signIn.attempt({ username: 'alice', password: 'wrong password 1', address: `c${i}` })).kind, 'failed');
  });
});

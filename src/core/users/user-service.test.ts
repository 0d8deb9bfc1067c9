import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { recordEvents, settableClock, T0 } from '../../../test/support/core-fixtures.ts';
import { cheapParamsForTests, createArgon2PasswordHasher } from '../../security/argon2-password-hasher.ts';
import { createMemoryStorage } from '../../storage/memory/memory-storage.ts';
import { GatehouseError } from '../errors.ts';
import { DEFAULT_TENANT } from '../model/tenant.ts';
import type { PasswordHasher } from '../ports/password-hasher.ts';
import { createUserService, type UserServiceDeps } from './user-service.ts';

const T = DEFAULT_TENANT;
const PASSWORD = 'correct horse battery';

/** A cheap hasher that counts verifications (each one is an argon2id computation). */
function countingHasher(inner: PasswordHasher = createArgon2PasswordHasher({ params: cheapParamsForTests })) {
  const seen: string[] = [];
  const hasher: PasswordHasher = {
    hash: (p) => inner.hash(p),
    verify: (phc, p) => {
      seen.push(phc);
      return inner.verify(phc, p);
    },
    needsRehash: (phc) => inner.needsRehash(phc),
  };
  return Object.assign(hasher, { verified: seen });
}

function world(hasher = countingHasher()) {
  const clock = settableClock();
  const events = recordEvents();
  const deps: UserServiceDeps = {
    users: createMemoryStorage({ clock }).users,
    passwordHasher: hasher,
    clock,
    events,
    random: { bytes: (n) => randomBytes(n) },
    tenantId: T,
  };
  return { users: createUserService(deps), deps, hasher, events, clock };
}

const userError = (code: string, why?: RegExp) => (e: unknown) => e instanceof GatehouseError && e.code === code && (!why || why.test(e.message));

describe('user service', () => {
  test('creates a user: lower-cased username, 128-bit base64url id, argon2id hash, stamped claims, an event without secrets', async () => {
    const { users, events } = world();
    const u = await users.create({
      username: 'Alice.Example@Corp',
      password: PASSWORD,
      claims: { email: 'alice@example.com', email_verified: true },
      via: 'cli',
    });
    assert.equal(u.username, 'alice.example@corp');
    assert.match(u.id, /^[A-Za-z0-9_-]{22}$/);
    assert.match(u.passwordHash!, /^\$argon2id\$/);
    assert.deepEqual(u.roles, ['user']);
    assert.deepEqual(u.claims, { email: 'alice@example.com', email_verified: true, updated_at: T0 / 1000 });
    assert.deepEqual(events.of('user.created'), [{ tenantId: T, userId: u.id, via: 'cli' }]);
    assert.deepEqual(await users.find('ALICE.example@corp'), u);
    assert.deepEqual(await users.find(u.id), u);
  });

  test('a user id never starts with - or _ (gatehouse users show <id> must not read it as an option)', async () => {
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0xfc), Buffer.alloc(16, 0x10)];
    const w = world();
    const users = createUserService({ ...w.deps, random: { bytes: (n) => (n === 16 && draws.length ? draws.shift()! : randomBytes(n)) } });
    assert.equal(Buffer.alloc(16, 0xf8).toString('base64url')[0], '-');
    assert.equal(Buffer.alloc(16, 0xfc).toString('base64url')[0], '_');
    const u = await users.create({ username: 'dash', password: PASSWORD });
    assert.equal(u.id, Buffer.alloc(16, 0x10).toString('base64url'));
  });

  test('username rules: 1-64 of letters, digits and . _ @ -; unique regardless of case', async () => {
    const { users } = world();
    for (const bad of ['', 'a'.repeat(65), 'with space', 'émile', 'a/b', 'x\n']) {
      await assert.rejects(users.create({ username: bad, password: PASSWORD }), userError('GH_USER_INVALID', /username/), JSON.stringify(bad));
    }
    await users.create({ username: 'a'.repeat(64), password: PASSWORD });
    await users.create({ username: 'Bob', password: PASSWORD });
    await assert.rejects(users.create({ username: 'BOB', password: PASSWORD }), userError('GH_CONFLICT', /bob already exists/));
  });

  test('NIST SP 800-63B §5.1.1.2 passwords: 8 to 128 characters, any printable characters, NFKC-normalized', async () => {
    const { users } = world();
    await assert.rejects(users.create({ username: 'short', password: '1234567' }), userError('GH_USER_INVALID', /8 to 128/));
    await assert.rejects(users.create({ username: 'long', password: 'x'.repeat(129) }), userError('GH_USER_INVALID', /8 to 128/));
    await assert.rejects(users.create({ username: 'ctl', password: 'password\r' }), userError('GH_USER_INVALID', /control/));
    assert.ok(await users.create({ username: 'max', password: '😀'.repeat(128) }), '128 code points, not bytes');
    await users.create({ username: 'wide', password: 'ｐａｓｓｗｏｒｄ１' });
    assert.ok(await users.authenticate('wide', 'password1'), 'the full-width form and the ASCII form are one password');
  });

  test('roles and groups are free-form names within limits; user is the default role', async () => {
    const { users } = world();
    assert.deepEqual((await users.create({ username: 'root', password: PASSWORD, roles: ['admin', 'billing:read', 'admin'] })).roles, [
      'admin',
      'billing:read',
    ]);
    assert.deepEqual((await users.create({ username: 'plain', password: PASSWORD })).roles, ['user']);
    assert.deepEqual((await users.create({ username: 'none', password: PASSWORD, roles: [], groups: ['/org/sales', 'staff'] })).groups, [
      '/org/sales',
      'staff',
    ]);
    await assert.rejects(users.create({ username: 'x', password: PASSWORD, roles: ['super user'] }), userError('GH_USER_INVALID', /role "super user"/));
    await assert.rejects(users.create({ username: 'y', password: PASSWORD, groups: ['a\nb'] }), userError('GH_USER_INVALID', /group "a\\nb"/));
    const many = Array.from({ length: 65 }, (_, i) => `r${i}`);
    await assert.rejects(users.create({ username: 'z', password: PASSWORD, roles: many }), userError('GH_USER_INVALID', /at most 64 roles/));
  });

  test('OIDC Core §5.1 claims are validated: sub and unknown claims are refused with a clear message, nothing is written', async () => {
    const { users, hasher } = world();
    const cases: [unknown, RegExp][] = [
      [{ sub: 'me' }, /`sub` cannot be set/],
      [{ nickname: 'al', favourite_colour: 'blue' }, /unknown claim "favourite_colour"/],
      [{ email: 'not an email' }, /email/],
      [{ email_verified: 'yes' }, /email_verified/],
      [{ picture: 'javascript:alert(1)' }, /picture/],
      [{ birthdate: '02/01/1990' }, /birthdate/],
      [{ address: { locality: 'Paris', planet: 'Earth' } }, /address/],
      [{ updated_at: 1.5 }, /updated_at/],
      [['email'], /JSON object/],
    ];
    for (const [claims, why] of cases) {
      await assert.rejects(users.create({ username: 'c', password: PASSWORD, claims }), userError('GH_USER_INVALID', why), JSON.stringify(claims));
    }
    assert.equal(await users.find('c'), undefined);
    const full = {
      name: 'Alice Example',
      given_name: 'Alice',
      family_name: 'Example',
      middle_name: 'M',
      nickname: 'ali',
      preferred_username: 'alice',
      profile: 'https://alice.example/',
      picture: 'https://alice.example/me.png',
      website: 'https://alice.example/',
      gender: 'female',
      birthdate: '0000-01-02',
      zoneinfo: 'Europe/Paris',
      locale: 'en-GB',
      phone_number: '+33 1 23 45 67 89',
      phone_number_verified: false,
      email: 'alice@example.com',
      email_verified: true,
      updated_at: 1_600_000_000,
      address: {
        formatted: '1 Rue Example\n75001 Paris',
        street_address: '1 Rue Example',
        locality: 'Paris',
        region: 'IDF',
        postal_code: '75001',
        country: 'FR',
      },
    };
    assert.deepEqual((await users.create({ username: 'c', password: PASSWORD, claims: full })).claims, full);
    assert.equal(hasher.verified.length, 0);
  });

  test('update merges claims, null removes a claim, the result is validated and updated_at moves', async () => {
    const { users, clock, events } = world();
    const u = await users.create({ username: 'dora', password: PASSWORD, claims: { name: 'Dora', nickname: 'd' } });
    clock.advance(60);
    const v = await users.update('dora', { claims: { email: 'dora@example.com', nickname: null } }, 'admin');
    assert.deepEqual(v.claims, { name: 'Dora', email: 'dora@example.com', updated_at: T0 / 1000 + 60 });
    await assert.rejects(users.update(u.id, { claims: { sub: 'x' } }, 'admin'), userError('GH_USER_INVALID', /sub/));
    await assert.rejects(users.update('nobody', { claims: { name: 'x' } }, 'admin'), userError('GH_USER_NOT_FOUND'));
    assert.deepEqual(
      events.of('user.updated').map((e) => e.change),
      ['claims'],
    );
  });
});

describe('user service events', () => {
  test('an operator change carries its actor on the event; a change without one carries none', async () => {
    const { users, events } = world();
    const ops = { kind: 'admin_client', id: 'ops-bot' } as const;
    const u = await users.create({ username: 'otto', password: PASSWORD, via: 'admin', actor: ops });
    await users.setDisabled(u.id, true, 'admin', ops);
    await users.update(u.id, { roles: ['admin'] }, 'admin', ops);
    await users.setPassword(u.id, 'another password', 'cli');
    assert.deepEqual(events.of('user.created'), [{ tenantId: T, userId: u.id, via: 'admin', actor: ops }]);
    assert.deepEqual(
      events.of('user.updated').map((e) => [e.change, e.actor]),
      [
        ['disabled', ops],
        ['roles', ops],
        ['password', undefined],
      ],
    );
  });
});

describe('password sign-in (non-enumeration)', () => {
  test('the right password signs in and publishes user.authenticated', async () => {
    const { users, events } = world();
    const u = await users.create({ username: 'erin', password: PASSWORD });
    assert.equal((await users.authenticate('ERIN', PASSWORD))?.id, u.id);
    assert.deepEqual(events.of('user.authenticated'), [{ tenantId: T, userId: u.id }]);
  });

  test('an unknown user and a wrong password give the same answer after the same work (one argon2id verification)', async () => {
    const { users, hasher, events } = world();
    const u = await users.create({ username: 'frank', password: PASSWORD });
    hasher.verified.length = 0;
    const wrong = await users.authenticate('frank', 'wrong password');
    const unknown = await users.authenticate('nobody', 'wrong password');
    const malformed = await users.authenticate('not a valid name!', 'wrong password');
    assert.equal(wrong, null);
    assert.equal(unknown, null);
    assert.equal(malformed, null);
    assert.equal(hasher.verified.length, 3, 'one verification per attempt, user or not');
    const [real, dummy] = [hasher.verified[0]!, hasher.verified[1]!];
    assert.notEqual(dummy, real);
    assert.equal(dummy.split('$')[3], real.split('$')[3], 'the dummy hash has the same cost parameters');
    assert.deepEqual(events.of('user.authentication_failed'), [
      { tenantId: T, userId: u.id, reason: 'wrong_password' },
      { tenantId: T, userId: null, reason: 'unknown_user' },
      { tenantId: T, userId: null, reason: 'unknown_user' },
    ]);
  });

  test('production parameters: the fixed dummy hash costs exactly what a real OWASP hash costs', async () => {
    const owasp = countingHasher(createArgon2PasswordHasher());
    const { users } = world(owasp);
    await users.create({ username: 'gina', password: PASSWORD });
    assert.equal(await users.authenticate('nobody', PASSWORD), null);
    assert.equal(owasp.verified.length, 1);
    assert.match(owasp.verified[0]!, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.equal(owasp.needsRehash(owasp.verified[0]!), false);
  });

  test('a disabled user fails exactly like a wrong password, and signs in again once enabled', async () => {
    const { users, hasher, events } = world();
    const u = await users.create({ username: 'hank', password: PASSWORD });
    await users.setDisabled('hank', true, 'cli');
    hasher.verified.length = 0;
    assert.equal(await users.authenticate('hank', PASSWORD), null);
    assert.equal(hasher.verified.length, 1);
    assert.equal(events.of('user.authentication_failed').at(-1)?.reason, 'disabled');
    await users.setDisabled(u.id, false, 'cli');
    assert.ok(await users.authenticate('hank', PASSWORD));
    assert.deepEqual(
      events.of('user.updated').map((e) => e.change),
      ['disabled', 'enabled'],
    );
  });

  test('an absurdly long password is refused before any lookup or hashing', async () => {
    const { users, hasher } = world();
    await users.create({ username: 'ivan', password: PASSWORD });
    hasher.verified.length = 0;
    assert.equal(await users.authenticate('ivan', 'x'.repeat(100_000)), null);
    assert.equal(await users.authenticate('ivan', ''), null);
    assert.equal(hasher.verified.length, 0);
  });

  test('setPassword: the new password works at once, the old one stops; a bad one changes nothing', async () => {
    const { users } = world();
    await users.create({ username: 'jane', password: PASSWORD });
    await assert.rejects(users.setPassword('jane', 'short', 'cli'), userError('GH_USER_INVALID'));
    assert.ok(await users.authenticate('jane', PASSWORD));
    await users.setPassword('jane', 'a brand new secret', 'cli');
    assert.equal(await users.authenticate('jane', PASSWORD), null);
    assert.ok(await users.authenticate('jane', 'a brand new secret'));
    await assert.rejects(users.setPassword('nobody', 'a brand new secret', 'cli'), userError('GH_USER_NOT_FOUND'));
  });

  test('a hash made with older parameters is upgraded at the next good sign-in', async () => {
    const { users, deps, events } = world();
    const old = await users.create({ username: 'kim', password: PASSWORD });
    const stronger = createArgon2PasswordHasher({ params: { ...cheapParamsForTests, timeCost: 2 } });
    const upgraded = createUserService({ ...deps, passwordHasher: stronger });
    assert.equal(await upgraded.authenticate('kim', 'wrong password'), null);
    assert.equal((await users.find('kim'))?.passwordHash, old.passwordHash, 'no rehash on a failure');
    const u = await upgraded.authenticate('kim', PASSWORD);
    assert.match(u!.passwordHash!, /\$m=256,t=2,p=1\$/);
    assert.equal(stronger.needsRehash((await users.find('kim'))!.passwordHash!), false);
    assert.equal(events.of('user.updated').at(-1)?.change, 'password_rehashed');
    assert.ok(await upgraded.authenticate('kim', PASSWORD));
  });

  test('no event ever carries a password or a password hash', async () => {
    const { users, events } = world();
    const u = await users.create({ username: 'lee', password: PASSWORD });
    await users.authenticate('lee', PASSWORD);
    await users.authenticate('lee', 'wrong password');
    await users.setPassword('lee', 'another password', 'cli');
    const all = JSON.stringify(events.seen);
    for (const secret of [PASSWORD, 'wrong password', 'another password', u.passwordHash!, '$argon2']) assert.ok(!all.includes(secret), secret);
  });
});

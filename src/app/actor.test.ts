import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertRole, cliActor, hasRole, type Actor } from './actor.ts';

test('roles are ordered: admin includes operator includes viewer; no role includes nothing', () => {
  const table = (roles: Actor['roles']) => (['viewer', 'operator', 'admin'] as const).map((r) => hasRole({ roles }, r));
  assert.deepEqual(table(['viewer']), [true, false, false]);
  assert.deepEqual(table(['operator']), [true, true, false]);
  assert.deepEqual(table(['admin']), [true, true, true]);
  assert.deepEqual(table(['viewer', 'operator']), [true, true, false]);
  assert.deepEqual(table([]), [false, false, false]);
});

test('assertRole throws GH_FORBIDDEN naming the use case and the role needed', () => {
  assert.throws(
    () => assertRole({ kind: 'admin_user', id: 'v', roles: ['viewer'] }, 'operator', 'users.create'),
    (e: Error & { code?: string }) => e.code === 'GH_FORBIDDEN' && /users\.create needs the operator role/.test(e.message),
  );
});

test('the CLI acts as the OS user with the admin role; an odd USER falls back to "cli"', () => {
  assert.deepEqual(cliActor({ USER: 'alice' }), { kind: 'cli', id: 'alice', roles: ['admin'] });
  assert.equal(cliActor({ LOGNAME: 'bob' }).id, 'bob');
  assert.equal(cliActor({}).id, 'cli');
  assert.equal(cliActor({ USER: 'x\n[GH_FAKE]' }).id, 'cli');
});

test('the CLI actor carries its origin for the audit record: cli:<host>; an odd host name is not copied', () => {
  assert.equal(cliActor({ USER: 'alice' }, 'build-7.example').origin, 'cli:build-7.example');
  assert.equal(cliActor({ USER: 'alice' }, 'a b\n').origin, 'cli:unknown-host');
});

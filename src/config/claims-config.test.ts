import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildOidcMetadata } from '../core/discovery/oidc-metadata.ts';
import { buildConfig } from './load.ts';

const caps = {
  authorization: true,
  userinfo: true,
  deviceAuthorization: false,
  par: false,
  endSession: false,
  checkSession: false,
  backchannelLogout: false,
  frontchannelLogout: false,
  requestObjectAlgs: [],
};

const problems = (input: Record<string, unknown>): string => {
  try {
    buildConfig(input);
  } catch (e) {
    return (e as Error).message;
  }
  return assert.fail('the configuration was accepted');
};

test('S8 users.attributes and claims.scopes: each bad definition is reported with its path', () => {
  const shape = problems({ users: { attributes: { a: { type: 'date' }, b: { type: 'string', maxLength: 100_000 }, c: { type: 'boolean', pattern: 'x' } } } });
  assert.match(shape, /users\.attributes\.a\.type: type must be one of string, integer, number, boolean/);
  assert.match(shape, /users\.attributes\.b\.maxLength: /);
  assert.match(shape, /users\.attributes\.c: Unrecognized key: "pattern"/);
  const rules = problems({
    users: { attributes: { Sub: { type: 'string' }, ok: { type: 'integer', minimum: 5, maximum: 1 } } },
    claims: {
      scopes: { 'bad scope': { claims: ['ok'], description: 'x' }, profile: { claims: ['ok'], description: 'x' }, org: { claims: ['nope'], description: 'x' } },
    },
  });
  assert.match(rules, /users\.attributes\.Sub: Sub is an OpenID Connect standard claim/);
  assert.match(rules, /users\.attributes\.ok\.minimum: must not exceed maximum/);
  assert.match(rules, /claims\.scopes\.bad scope: not a scope value/);
  assert.match(rules, /claims\.scopes\.profile: profile is a built-in scope/);
  assert.match(rules, /claims\.scopes\.org\.claims\.0: nope is not defined in users\.attributes \(defined: Sub, ok\)/);
  assert.match(problems({ claims: { scopes: { org: { claims: ['x'] } } } }), /claims\.scopes\.org\.description: /);
});

test('S17 discovery advertises roles, groups and the configured scopes and attribute claims, nothing unconfigured', () => {
  const plain = buildConfig({});
  const base = buildOidcMetadata(plain, caps);
  assert.deepEqual(base['scopes_supported'], ['openid', 'profile', 'email', 'address', 'phone', 'offline_access', 'roles', 'groups']);
  const c = buildConfig({
    users: { attributes: { department: { type: 'string' }, unreleased: { type: 'boolean' } } },
    claims: { scopes: { org: { claims: ['department'], description: 'Your department' } } },
  });
  const m = buildOidcMetadata(c, caps);
  assert.ok((m['scopes_supported'] as string[]).includes('org'));
  const claims = m['claims_supported'] as string[];
  for (const name of ['preferred_username', 'roles', 'groups', 'department']) assert.ok(claims.includes(name), name);
  assert.equal(claims.includes('unreleased'), false, 'an attribute no scope releases is not a supported claim');
});

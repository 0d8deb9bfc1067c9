import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OAuthError } from '../errors.ts';
import type { User } from '../model/user.ts';
import { OPERATOR_POLICY, operatorPolicy, validateClientMetadata, type MetadataPolicy } from '../registration/client-metadata.ts';
import { createClaimCatalog, DEFAULT_CLAIM_CATALOG } from './claim-catalog.ts';
import { checkClaimMappings } from './claim-mappings.ts';
import { releaseExtraClaims, releaseUserClaims } from './release-claims.ts';

const catalog = createClaimCatalog({
  users: { attributes: { department: { type: 'string', maxLength: 64 }, clearance: { type: 'integer' } } },
  claims: { scopes: { org: { claims: ['department'], description: 'Your department' }, sec: { claims: ['clearance'], description: 'Clearance' } } },
});
const user: Pick<User, 'claims' | 'username' | 'roles' | 'groups' | 'attributes'> = {
  claims: { name: 'Ada' },
  username: 'ada',
  roles: ['editor'],
  groups: [],
  attributes: { department: 'Sales', clearance: 3, dropped: 'kept but not defined' },
};
const client = (claim_mappings?: unknown) => ({ metadata: claim_mappings === undefined ? {} : { claim_mappings } });
const fail = (why: string) => new Error(why);
const SOURCES = ['roles', 'groups', 'department', 'clearance'];

describe('claim_mappings', () => {
  test('a source is released only under a granted scope, whatever the mapping says', () => {
    const c = client({ roles: { destinations: ['access_token'] }, department: { destinations: ['access_token'] } });
    assert.deepEqual(releaseExtraClaims(catalog, user, c, ['openid', 'org'], { destination: 'access_token', byScope: false }), { department: 'Sales' });
    assert.deepEqual(releaseExtraClaims(catalog, user, c, ['openid', 'roles', 'org'], { destination: 'access_token', byScope: false }), {
      roles: ['editor'],
      department: 'Sales',
    });
    assert.deepEqual(releaseExtraClaims(catalog, user, c, ['openid'], { destination: 'access_token', byScope: false }), {});
  });

  test('OIDC Core §5.4 without a mapping: UserInfo, and the ID token only by scope or the claims parameter', () => {
    const scope = ['openid', 'profile', 'roles', 'groups', 'org'];
    assert.deepEqual(releaseUserClaims(catalog, user, client(), scope, { destination: 'userinfo', byScope: true }), {
      name: 'Ada',
      preferred_username: 'ada',
      roles: ['editor'],
      department: 'Sales',
    });
    assert.deepEqual(releaseExtraClaims(catalog, user, client(), scope, { destination: 'id_token', byScope: false }), {});
    assert.deepEqual(releaseExtraClaims(catalog, user, client(), scope, { destination: 'id_token', byScope: false, member: { roles: null } }), {
      roles: ['editor'],
    });
    assert.deepEqual(releaseExtraClaims(catalog, user, client(), scope, { destination: 'introspection', byScope: false }), {});
    assert.deepEqual(releaseExtraClaims(DEFAULT_CLAIM_CATALOG, user, client(), scope, { destination: 'userinfo', byScope: true }), { roles: ['editor'] });
  });

  test('a mapping renames, chooses destinations and withholds with an empty list; an attribute no longer defined is never released', () => {
    const c = client({ department: { claim: 'dept', destinations: ['id_token'] }, clearance: { destinations: [] } });
    const scope = ['org', 'sec'];
    assert.deepEqual(releaseExtraClaims(catalog, user, c, scope, { destination: 'id_token', byScope: false }), { dept: 'Sales' });
    assert.deepEqual(releaseExtraClaims(catalog, user, c, scope, { destination: 'userinfo', byScope: true }), {});
    assert.equal(Object.hasOwn(releaseExtraClaims(catalog, user, client(), ['org', 'sec'], { destination: 'userinfo', byScope: true }), 'dropped'), false);
  });

  test('checkClaimMappings names unknown sources, reserved or shared claim names and bad destinations', () => {
    assert.deepEqual(checkClaimMappings({ roles: {} }, SOURCES, fail), { roles: { claim: 'roles', destinations: ['userinfo'] } });
    const cases: [unknown, RegExp][] = [
      [[], /must be a JSON object/],
      [{ shoe: {} }, /claim_mappings.shoe: unknown source \(one of roles, groups, department, clearance\)/],
      [{ roles: { claim: 'sub' } }, /claim sub is reserved/],
      [{ roles: { claim: 'Email' } }, /reserved/],
      [{ roles: { claim: 'department' } }, /names another source/],
      [{ roles: { claim: 'x' }, groups: { claim: 'x' } }, /also the claim of roles/],
      [{ roles: { claim: 'a-b' } }, /letter then letters, digits or _/],
      [{ roles: { destinations: ['everywhere'] } }, /destinations must be a list of id_token, access_token, userinfo, introspection/],
      [{ roles: { destination: ['userinfo'] } }, /unknown member destination/],
    ];
    for (const [raw, re] of cases) assert.throws(() => checkClaimMappings(raw, SOURCES, fail), re, JSON.stringify(raw));
  });

  test('RFC 7591 dynamic registration cannot set claim_mappings; an RFC 7592 update keeps the operator’s', () => {
    const base = { redirect_uris: ['https://rp.example/cb'], scope: 'openid roles' };
    const operator = operatorPolicy({ ...OPERATOR_POLICY_CONFIG, users: { attributes: { department: { type: 'string', maxLength: 64 } } } });
    const set = validateClientMetadata({ ...base, claim_mappings: { department: { claim: 'dept' } } }, operator);
    assert.deepEqual(set.extra['claim_mappings'], { department: { claim: 'dept', destinations: ['userinfo'] } });
    const dcr: MetadataPolicy = { ...OPERATOR_POLICY, scopes: 'any', firstParty: false, claimSources: null };
    assert.throws(
      () => validateClientMetadata({ ...base, claim_mappings: { roles: {} } }, dcr),
      (e: unknown) => e instanceof OAuthError && e.code === 'invalid_client_metadata' && /only by the operator/.test(e.message),
    );
    const kept = set.extra['claim_mappings'];
    assert.deepEqual(validateClientMetadata(base, { ...dcr, keepClaimMappings: kept }).extra['claim_mappings'], kept, 'omitted: kept');
    assert.deepEqual(
      validateClientMetadata({ ...base, claim_mappings: kept }, { ...dcr, keepClaimMappings: kept }).extra['claim_mappings'],
      kept,
      'echoed: kept',
    );
    assert.throws(() => validateClientMetadata({ ...base, claim_mappings: { roles: {} } }, { ...dcr, keepClaimMappings: kept }), /only by the operator/);
  });
});

const OPERATOR_POLICY_CONFIG = {
  env: 'development',
  keys: { algorithms: ['ES256'] },
  tokens: {},
  authorization: { implicit: false, allowUnsignedRequestObjects: false },
} as const;

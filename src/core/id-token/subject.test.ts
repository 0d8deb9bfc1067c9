import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeClient } from '../../../test/support/core-fixtures.ts';
import { OAuthError } from '../errors.ts';
import { sectorIdentifier, subjectFor, type SubjectConfig } from './subject.ts';

const pairwise: SubjectConfig = { tokens: { subjectType: 'pairwise', pairwiseSalt: 'a-salt-of-16-chars-or-more' } };
const publicSub: SubjectConfig = { tokens: { subjectType: 'public' } };
const rp = (uris: string[], metadata: Record<string, unknown> = {}) => makeClient({ clientId: uris.join(), redirectUris: uris, metadata });

describe('OIDC Core §8 subject identifier types', () => {
  test('OIDC Core §8 public: sub is the user id', () => {
    assert.equal(subjectFor(rp(['https://a.example/cb']), 'u-1', publicSub), 'u-1');
  });

  test('OIDC Core §8.1 pairwise: stable per sector, different across sectors, not the user id', () => {
    const a1 = subjectFor(rp(['https://a.example/cb']), 'u-1', pairwise);
    const a2 = subjectFor(rp(['https://a.example/other', 'https://a.example/cb2']), 'u-1', pairwise);
    const b = subjectFor(rp(['https://b.example/cb']), 'u-1', pairwise);
    assert.equal(a1, a2);
    assert.notEqual(a1, b);
    assert.notEqual(a1, 'u-1');
    assert.notEqual(a1, subjectFor(rp(['https://a.example/cb']), 'u-2', pairwise));
    assert.match(a1, /^[A-Za-z0-9_-]{43}$/);
    const salted = subjectFor(rp(['https://a.example/cb']), 'u-1', { tokens: { subjectType: 'pairwise', pairwiseSalt: 'another-salt-16-chars' } });
    assert.notEqual(a1, salted);
  });

  test('OIDC Core §8.1 the sector_identifier_uri host is the sector', () => {
    const viaSector = rp(['https://x.example/cb', 'https://y.example/cb'], { sector_identifier_uri: 'https://a.example/sector.json' });
    assert.equal(sectorIdentifier(viaSector), 'a.example');
    assert.equal(subjectFor(viaSector, 'u-1', pairwise), subjectFor(rp(['https://a.example/cb']), 'u-1', pairwise));
  });

  test('OIDC Registration §2 subject_type on the client overrides the default', () => {
    assert.notEqual(subjectFor(rp(['https://a.example/cb'], { subject_type: 'pairwise' }), 'u-1', { tokens: { ...pairwise.tokens, subjectType: 'public' } }), 'u-1');
    assert.equal(subjectFor(rp(['https://a.example/cb'], { subject_type: 'public' }), 'u-1', pairwise), 'u-1');
  });

  test('OIDC Registration §2 several redirect hosts without sector_identifier_uri are refused', () => {
    assert.throws(() => subjectFor(rp(['https://a.example/cb', 'https://b.example/cb']), 'u-1', pairwise),
      (e: unknown) => e instanceof OAuthError && e.code === 'unauthorized_client');
  });

  test('pairwise without a salt fails closed', () => {
    assert.throws(() => subjectFor(rp(['https://a.example/cb']), 'u-1', { tokens: { subjectType: 'pairwise' } }),
      (e: unknown) => e instanceof OAuthError && e.code === 'server_error');
  });

  test('a native private-use scheme names its sector', () => {
    assert.equal(sectorIdentifier(rp(['com.example.app:/cb'])), 'com.example.app');
  });
});

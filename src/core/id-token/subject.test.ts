import assert from 'node:assert/strict';
import { hash } from 'node:crypto';
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
    assert.notEqual(
      subjectFor(rp(['https://a.example/cb'], { subject_type: 'pairwise' }), 'u-1', { tokens: { ...pairwise.tokens, subjectType: 'public' } }),
      'u-1',
    );
    assert.equal(subjectFor(rp(['https://a.example/cb'], { subject_type: 'public' }), 'u-1', pairwise), 'u-1');
  });

  test('OIDC Registration §2 several redirect hosts without sector_identifier_uri are refused', () => {
    assert.throws(
      () => subjectFor(rp(['https://a.example/cb', 'https://b.example/cb']), 'u-1', pairwise),
      (e: unknown) => e instanceof OAuthError && e.code === 'unauthorized_client',
    );
  });

  test('pairwise without a salt fails closed', () => {
    assert.throws(
      () => subjectFor(rp(['https://a.example/cb']), 'u-1', { tokens: { subjectType: 'pairwise' } }),
      (e: unknown) => e instanceof OAuthError && e.code === 'server_error',
    );
  });

  test('OIDC Core §8.1 the pairwise sub of a web client is the spec formula over its redirect host (pinned: it must never change)', () => {
    const web = makeClient({ clientId: 'web-1', redirectUris: ['https://rp.example.com/cb'], metadata: { subject_type: 'pairwise' } });
    const sub = subjectFor(web, 'Vd1QbCZ7nJ3b3vS1l0l6Yw', pairwise);
    assert.equal(sub, hash('sha256', 'rp.example.com' + 'Vd1QbCZ7nJ3b3vS1l0l6Yw' + pairwise.tokens.pairwiseSalt, 'base64url'));
    assert.equal(sub, 'Zp43kgkFcKJsuv983iWaZf7cUEFuevVi5ONbVD6heOI');
  });
});

describe('OIDC Core §8.1 sectors of native apps (RFC 8252 §7.1, §7.3): hosts no client owns', () => {
  const native = (clientId: string, uris: string[], metadata: Record<string, unknown> = {}) =>
    makeClient({ clientId, redirectUris: uris, tokenEndpointAuthMethod: 'none', metadata: { application_type: 'native', ...metadata } });

  for (const uris of [
    ['http://127.0.0.1/cb'],
    ['http://[::1]/cb'],
    ['http://localhost/cb'],
    ['https://localhost/cb'],
    ['com.example.app:/cb'],
    ['com.example.app://callback'],
    ['http://127.0.0.1/cb', 'com.example.app:/cb'],
  ]) {
    test(`OIDC Core §8.1 two clients registered with ${uris.join(' + ')} get different pairwise subs (sector = client id)`, () => {
      const a = native('native-a', uris);
      const b = native('native-b', uris);
      assert.equal(sectorIdentifier(a), 'client_id/native-a');
      assert.notEqual(subjectFor(a, 'u-1', pairwise), subjectFor(b, 'u-1', pairwise));
      assert.equal(subjectFor(a, 'u-1', pairwise), subjectFor(native('native-a', uris), 'u-1', pairwise), 'stable for one client');
    });
  }

  test('OIDC Core §8.1 different apps on the same made-up host of a private-use scheme do not share a sector', () => {
    assert.notEqual(sectorIdentifier(native('a', ['com.a.app://callback'])), sectorIdentifier(native('b', ['com.b.app://callback'])));
  });

  test('OIDC Core §8.1 a client id sector can never equal a host sector', () => {
    assert.notEqual(sectorIdentifier(native('a.example', ['http://127.0.0.1/cb'])), sectorIdentifier(rp(['https://a.example/cb'])));
  });

  test('OIDC Core §8.1 an operator-assigned sector_identifier_uri stays authoritative for native clients', () => {
    const sector = { sector_identifier_uri: 'https://apps.example.com/sector.json' };
    const a = native('native-a', ['http://127.0.0.1/cb'], sector);
    const b = native('native-b', ['com.example.app:/cb'], sector);
    assert.equal(sectorIdentifier(a), 'apps.example.com');
    assert.equal(subjectFor(a, 'u-1', pairwise), subjectFor(b, 'u-1', pairwise));
  });

  test('OIDC Registration §2 a client mixing an https host with a loopback redirect still needs a sector_identifier_uri', () => {
    assert.throws(
      () => subjectFor(rp(['https://a.example/cb', 'http://127.0.0.1/cb']), 'u-1', pairwise),
      (e: unknown) => e instanceof OAuthError && e.code === 'unauthorized_client',
    );
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeClient } from '../../../test/support/core-fixtures.ts';
import { isRegisteredPostLogoutRedirectUri, postLogoutRedirectTarget } from './post-logout-redirect.ts';

const client = makeClient({ metadata: { post_logout_redirect_uris: ['https://rp.example/logged-out', 'https://rp.example/bye?from=op'] } });

describe('RP-Initiated Logout §3 post_logout_redirect_uri exact match', () => {
  test('a registered value matches', () => {
    assert.equal(isRegisteredPostLogoutRedirectUri(client, 'https://rp.example/logged-out'), true);
    assert.equal(isRegisteredPostLogoutRedirectUri(client, 'https://rp.example/bye?from=op'), true);
  });

  test('open-redirect attempts never match (oidcc-rp-initiated-logout-bad-post-logout-redirect-uri)', () => {
    for (const attempt of [
      'https://rp.example/logged-out/', // suffix: trailing slash
      'https://rp.example/logged-out/../evil', // path traversal
      'https://rp.example/logged-outx', // suffix
      'https://rp.example/logged', // prefix
      'https://rp.example/logged-out?next=https://evil.example', // added query
      'https://rp.example/logged-out#x', // fragment
      'https://RP.example/logged-out', // case
      'https://rp.example:443/logged-out', // explicit default port
      'https://rp.example/logged%2Dout', // encoded character
      'https://rp.example@evil.example/logged-out', // userinfo
      'https://evil.example/logged-out', // other host
      'http://rp.example/logged-out', // other scheme
      'https://rp.example.evil.example/logged-out', // host suffix
      ' https://rp.example/logged-out', // whitespace
      '//evil.example',
      '',
    ]) {
      assert.equal(isRegisteredPostLogoutRedirectUri(client, attempt), false, attempt);
    }
  });

  test('a client without registered values matches nothing', () => {
    assert.equal(isRegisteredPostLogoutRedirectUri(makeClient(), 'https://rp.example/logged-out'), false);
    assert.equal(
      isRegisteredPostLogoutRedirectUri(
        makeClient({ metadata: { post_logout_redirect_uris: 'https://rp.example/logged-out' } }),
        'https://rp.example/logged-out',
      ),
      false,
    );
  });
});

describe('RP-Initiated Logout §2 state on the post-logout redirect', () => {
  test('state is added, encoded', () => {
    assert.equal(postLogoutRedirectTarget('https://rp.example/logged-out', 'a b&c=d'), 'https://rp.example/logged-out?state=a%20b%26c%3Dd');
  });

  test('oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri: the registered query is kept', () => {
    assert.equal(postLogoutRedirectTarget('https://rp.example/bye?from=op', 'xyz'), 'https://rp.example/bye?from=op&state=xyz');
    assert.equal(postLogoutRedirectTarget('https://rp.example/bye?a=%20+b', 's'), 'https://rp.example/bye?a=%20+b&state=s');
  });

  test('oidcc-rp-initiated-logout-no-state: the URI is used unchanged', () => {
    assert.equal(postLogoutRedirectTarget('https://rp.example/bye?from=op', null), 'https://rp.example/bye?from=op');
  });

  test('a fragment stays last', () => {
    assert.equal(postLogoutRedirectTarget('https://rp.example/bye#top', 's'), 'https://rp.example/bye?state=s#top');
  });
});

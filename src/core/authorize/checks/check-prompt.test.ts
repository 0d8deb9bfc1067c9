import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { webClient } from '../../../../test/support/authorize-fixtures.ts';
import { OAuthError } from '../../errors.ts';
import { checkDisplay, checkLoginHint, checkUiLocales } from './check-display.ts';
import { checkMaxAge, checkPrompt } from './check-prompt.ts';

const invalid = (e: unknown) => e instanceof OAuthError && e.code === 'invalid_request';

describe('OIDC Core §3.1.2.1 prompt, max_age, display, ui_locales, login_hint', () => {
  test('OIDC Core §3.1.2.1 prompt values are parsed, duplicates dropped', () => {
    assert.deepEqual(checkPrompt({}), []);
    assert.deepEqual(checkPrompt({ prompt: 'login consent login' }), ['login', 'consent']);
    assert.deepEqual(checkPrompt({ prompt: 'select_account' }), ['select_account']);
    assert.deepEqual(checkPrompt({ prompt: 'none' }), ['none']);
  });
  test('OIDC Core §3.1.2.1 prompt=none with any other value is invalid_request', () => {
    assert.throws(() => checkPrompt({ prompt: 'none login' }), invalid);
    assert.throws(() => checkPrompt({ prompt: 'consent none' }), invalid);
  });
  test('OIDC Core §3.1.2.1 unknown prompt values and malformed lists are invalid_request', () => {
    assert.throws(() => checkPrompt({ prompt: 'create' }), invalid);
    assert.throws(() => checkPrompt({ prompt: 'login  consent' }), invalid);
    assert.throws(() => checkPrompt({ prompt: 'Login' }), invalid);
  });
  test('OIDC Core §3.1.2.1 max_age is a non-negative integer; OIDC Registration §2 default_max_age applies without it', () => {
    const client = webClient();
    assert.equal(checkMaxAge(client, { max_age: '0' }), 0);
    assert.equal(checkMaxAge(client, { max_age: '3600' }), 3600);
    assert.equal(checkMaxAge(client, {}), null);
    const withDefault = webClient({ metadata: { default_max_age: 600 } });
    assert.equal(checkMaxAge(withDefault, {}), 600);
    assert.equal(checkMaxAge(withDefault, { max_age: '60' }), 60, 'the request overrides the default');
    for (const bad of ['-1', '1.5', 'abc', '1e3', ' 1', '99999999999']) assert.throws(() => checkMaxAge(client, { max_age: bad }), invalid, bad);
  });
  test('OIDC Core §3.1.2.1 display accepts page, popup, touch, wap only', () => {
    for (const d of ['page', 'popup', 'touch', 'wap']) assert.equal(checkDisplay({ display: d }), d);
    assert.equal(checkDisplay({}), null);
    assert.throws(() => checkDisplay({ display: 'tv' }), invalid);
  });
  test('OIDC Core §3.1.2.1 ui_locales keeps BCP 47 tags in order, drops junk', () => {
    assert.deepEqual(checkUiLocales({ ui_locales: 'fr-CA fr en <script>' }), ['fr-CA', 'fr', 'en']);
  });
  test('OIDC Core §3.1.2.1 login_hint is kept as given; an oversized one is refused', () => {
    assert.equal(checkLoginHint({ login_hint: 'jane@example.com' }), 'jane@example.com');
    assert.throws(() => checkLoginHint({ login_hint: 'x'.repeat(257) }), invalid);
  });
});

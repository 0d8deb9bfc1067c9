import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lookupLocale, negotiateLocale, parseAcceptLanguage } from './negotiate.ts';

const SUPPORTED = ['en', 'de', 'fr', 'es'];

describe('page language negotiation', () => {
  test('OIDC Core §3.1.2.1 ui_locales: the first supported tag in preference order wins', () => {
    assert.equal(negotiateLocale(SUPPORTED, 'en', ['se', 'fr-CA', 'de'], 'de'), 'fr');
    assert.equal(negotiateLocale(SUPPORTED, 'en', ['es'], 'de-DE,de;q=0.9'), 'es', 'ui_locales before Accept-Language');
  });

  test('RFC 4647 §3.4 lookup: a region (or script, or private use) falls back to the language', () => {
    assert.equal(lookupLocale(SUPPORTED, 'de-AT'), 'de');
    assert.equal(lookupLocale(SUPPORTED, 'DE-at'), 'de', 'tags compare case-insensitively');
    assert.equal(lookupLocale(SUPPORTED, 'fr-Latn-CA'), 'fr');
    assert.equal(lookupLocale(['en', 'de', 'de-CH'], 'de-CH-x-phonebk'), 'de-CH', 'the singleton is removed with its subtag');
    assert.equal(lookupLocale(['en', 'pt-BR'], 'pt-BR'), 'pt-BR');
    assert.equal(lookupLocale(['en', 'pt-BR'], 'pt'), null, 'lookup never widens to a more specific tag');
    assert.equal(lookupLocale(SUPPORTED, 'se'), null);
  });

  test('RFC 9110 §12.5.4 Accept-Language: by q-value, ties in header order, q=0 and * dropped', () => {
    assert.deepEqual(parseAcceptLanguage('fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5'), ['fr-CH', 'fr', 'en', 'de']);
    assert.deepEqual(parseAcceptLanguage('en;q=0.5, de;q=0.9, es'), ['es', 'de', 'en']);
    assert.deepEqual(parseAcceptLanguage('de;q=0, en'), ['en']);
    assert.deepEqual(parseAcceptLanguage('<script>, en;q=oops, fr'), ['en', 'fr'], 'junk ranges are skipped, a bad q reads as 1');
    assert.deepEqual(parseAcceptLanguage(undefined), []);
    assert.equal(negotiateLocale(SUPPORTED, 'en', [], 'it-IT, es-MX;q=0.8, de;q=0.7'), 'es');
  });

  test('nothing matches: the configured default', () => {
    assert.equal(negotiateLocale(SUPPORTED, 'de', ['ja'], 'zh-CN, ko;q=0.5'), 'de');
    assert.equal(negotiateLocale(SUPPORTED, 'en', [], undefined), 'en');
  });

  test('a huge header is read only up to its limit', () => {
    const header = `${'xx-YY;q=0.1, '.repeat(5000)}de`;
    assert.equal(negotiateLocale(SUPPORTED, 'en', [], header), 'en');
  });
});

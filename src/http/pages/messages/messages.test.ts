import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildConfig } from '../../../config/load.ts';
import { buildCatalogues, DEFAULT_LOCALE_SETTINGS, EN, localeSettingsProblems, MESSAGE_KEYS, placeholdersOf, SHIPPED_LOCALES } from './catalogue.ts';

/**
 * Texts that are rightly the same word as in English (checked by a native reader), per locale.
 * Anything else equal to the English text is an untranslated string.
 */
const SAME_AS_ENGLISH: Readonly<Record<string, ReadonlySet<string>>> = {
  de: new Set(['device.codeLabel']),
  fr: new Set(['device.codeLabel']),
  es: new Set(),
};

describe('page message catalogues', () => {
  for (const [locale, messages] of Object.entries(SHIPPED_LOCALES)) {
    if (locale === 'en') continue;
    test(`${locale}: every key of en.ts, nothing else, and the same placeholders`, () => {
      assert.deepEqual(Object.keys(messages).sort(), [...MESSAGE_KEYS].sort());
      for (const key of MESSAGE_KEYS) {
        assert.ok(messages[key].trim().length > 0, `${locale} ${key} is empty`);
        assert.deepEqual(placeholdersOf(messages[key]), placeholdersOf(EN[key]), `${locale} ${key}: placeholders differ from English`);
      }
    });
    test(`${locale}: no English left (a text equal to the English one is an untranslated string)`, () => {
      const same = MESSAGE_KEYS.filter((k) => messages[k] === EN[k] && !SAME_AS_ENGLISH[locale]?.has(k));
      assert.deepEqual(same, []);
    });
  }

  test('placeholders are read once each, sorted', () => {
    assert.deepEqual(placeholdersOf('{b} and {a}, again {b}'), ['a', 'b']);
    assert.deepEqual(placeholdersOf('no placeholder, {not one}'), []);
  });

  test('the shipped defaults are valid', () => {
    assert.deepEqual(localeSettingsProblems(DEFAULT_LOCALE_SETTINGS), []);
  });

  test('an override replaces one text of one language; the rest stays shipped', () => {
    const c = buildCatalogues({ ...DEFAULT_LOCALE_SETTINGS, messages: { de: { 'login.title': 'Willkommen' } } });
    assert.equal(c.get('de')!['login.title'], 'Willkommen');
    assert.equal(c.get('de')!['login.password'], 'Passwort');
    assert.equal(c.get('en')!['login.title'], 'Sign in');
  });
});

describe('S8 pages.* validated at start, every problem with its path', () => {
  const problems = (pages: Record<string, unknown>) => localeSettingsProblems({ ...DEFAULT_LOCALE_SETTINGS, ...pages });

  test('an unknown message key is refused, with the closest key suggested', () => {
    assert.deepEqual(problems({ messages: { de: { 'login.titel': 'x' } } }), [
      'pages.messages.de.login.titel: unknown message key (did you mean login.title?); the keys are in src/http/pages/messages/en.ts',
    ]);
  });

  test('a missing or unknown placeholder is refused, naming the English text', () => {
    const p = problems({ messages: { fr: { 'common.signedInAs': 'Connecté', 'logout.doneBody': 'Au revoir de {produit}' } } });
    assert.equal(p.length, 3);
    assert.match(p[0]!, /^pages\.messages\.fr\.common\.signedInAs: missing placeholder \{user\} \(English: "Signed in as \{user\}"\)$/);
    assert.match(p[1]!, /^pages\.messages\.fr\.logout\.doneBody: missing placeholder \{product\}/);
    assert.match(p[2]!, /^pages\.messages\.fr\.logout\.doneBody: unknown placeholder \{produit\} \(allowed: \{product\}\)$/);
  });

  test('texts for a language that is not enabled, and a default outside pages.locales, are refused', () => {
    const p = problems({ locales: ['en', 'de'], defaultLocale: 'fr', messages: { es: { 'login.title': 'Hola' } } });
    assert.deepEqual(p, [
      'pages.defaultLocale: fr is not in pages.locales (en, de)',
      'pages.messages.es: es is not in pages.locales; add it there or remove these texts',
    ]);
  });

  test('an added language needs every text; complete, it is accepted', () => {
    const [p] = problems({ locales: ['en', 'it'], messages: { it: { 'login.title': 'Accedi' } } });
    assert.match(p!, new RegExp(`^pages\\.messages\\.it: it does not ship with Gatehouse, so every text is needed; ${MESSAGE_KEYS.length - 1} missing`));
    const it = Object.fromEntries(MESSAGE_KEYS.map((k) => [k, `IT ${EN[k]}`]));
    assert.deepEqual(problems({ locales: ['en', 'it'], messages: { it } }), []);
    assert.equal(buildCatalogues({ locales: ['en', 'it'], defaultLocale: 'en', messages: { it } }).get('it')!['login.title'], 'IT Sign in');
  });

  test('buildConfig refuses them as GH_CONFIG_INVALID at start', () => {
    assert.throws(
      () => buildConfig({ pages: { locales: ['en', 'de'], messages: { de: { 'consent.heading': 'Zugriff' } } } }),
      (e: Error & { code?: string }) => e.code === 'GH_CONFIG_INVALID' && e.message.includes('pages.messages.de.consent.heading: missing placeholder {client}'),
    );
    assert.throws(() => buildConfig({ pages: { locales: ['english'] } }), /pages\.locales\.0: must be a BCP 47 language tag/);
  });
});

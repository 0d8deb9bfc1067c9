import { closestName } from '../../../config/closest.ts';
import { DE } from './de.ts';
import { EN, type MessageKey, type Messages } from './en.ts';
import { ES } from './es.ts';
import { FR } from './fr.ts';

/** The catalogues that ship with Gatehouse (complete translations of en.ts). */
export const SHIPPED_LOCALES: Readonly<Record<string, Messages>> = Object.freeze({ en: EN, de: DE, fr: FR, es: ES });

export const MESSAGE_KEYS: readonly MessageKey[] = Object.keys(EN) as MessageKey[];

/** What the `pages` config section says about languages (a slice of Config['pages']). */
export interface LocaleSettings {
  readonly locales: readonly string[];
  readonly defaultLocale: string;
  readonly messages: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export const DEFAULT_LOCALE_SETTINGS: LocaleSettings = { locales: Object.keys(SHIPPED_LOCALES), defaultLocale: 'en', messages: {} };

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The placeholder names of a text, sorted, each once (`'{a} and {b}'` → `['a', 'b']`). */
export function placeholdersOf(text: string): string[] {
  return [...new Set(Array.from(text.matchAll(PLACEHOLDER), (m) => m[1]!))].sort();
}

const isKey = (k: string): k is MessageKey => Object.hasOwn(EN, k);

/**
 * Start-up validation of `pages.locales`, `pages.defaultLocale` and `pages.messages` (S8: every
 * problem, with its dotted path). An override must name a known key and keep exactly the
 * placeholders of the English text; a language that does not ship needs every key.
 */
export function localeSettingsProblems(s: LocaleSettings): string[] {
  const out: string[] = [];
  const lower = (l: string) => l.toLowerCase();
  const enabled = new Set(s.locales.map(lower));
  if (enabled.size !== s.locales.length) out.push('pages.locales: lists a language twice');
  if (!enabled.has(lower(s.defaultLocale))) out.push(`pages.defaultLocale: ${s.defaultLocale} is not in pages.locales (${s.locales.join(', ')})`);
  for (const [locale, texts] of Object.entries(s.messages)) {
    const path = `pages.messages.${locale}`;
    if (!enabled.has(lower(locale))) out.push(`${path}: ${locale} is not in pages.locales; add it there or remove these texts`);
    for (const [key, text] of Object.entries(texts)) {
      if (!isKey(key)) {
        const hint = closestName(key, MESSAGE_KEYS);
        out.push(`${path}.${key}: unknown message key${hint ? ` (did you mean ${hint}?)` : ''}; the keys are in src/http/pages/messages/en.ts`);
        continue;
      }
      const want = placeholdersOf(EN[key]);
      const got = placeholdersOf(text);
      const missing = want.filter((p) => !got.includes(p));
      const extra = got.filter((p) => !want.includes(p));
      if (missing.length) out.push(`${path}.${key}: missing placeholder ${missing.map((p) => `{${p}}`).join(', ')} (English: "${EN[key]}")`);
      if (extra.length)
        out.push(`${path}.${key}: unknown placeholder ${extra.map((p) => `{${p}}`).join(', ')} (allowed: ${want.map((p) => `{${p}}`).join(', ') || 'none'})`);
    }
  }
  for (const locale of s.locales) {
    if (shippedFor(locale)) continue;
    const texts = Object.entries(s.messages).find(([l]) => lower(l) === lower(locale))?.[1] ?? {};
    const missing = MESSAGE_KEYS.filter((k) => !Object.hasOwn(texts, k));
    if (missing.length) {
      out.push(
        `pages.messages.${locale}: ${locale} does not ship with Gatehouse, so every text is needed; ${missing.length} missing (first: ${missing.slice(0, 3).join(', ')})`,
      );
    }
  }
  return out;
}

function shippedFor(locale: string): Messages | undefined {
  return SHIPPED_LOCALES[locale.toLowerCase()];
}

/** The complete catalogue of every enabled locale: shipped texts (if any) with the operator's overrides on top. */
export function buildCatalogues(s: LocaleSettings): ReadonlyMap<string, Messages> {
  const out = new Map<string, Messages>();
  for (const locale of s.locales) {
    const overrides = Object.entries(s.messages).find(([l]) => l.toLowerCase() === locale.toLowerCase())?.[1] ?? {};
    const merged: Record<string, string> = { ...(shippedFor(locale) ?? EN) };
    for (const [k, v] of Object.entries(overrides)) if (isKey(k)) merged[k] = v;
    out.set(locale, Object.freeze(merged) as Messages);
  }
  return out;
}

export { EN, type MessageKey, type Messages };

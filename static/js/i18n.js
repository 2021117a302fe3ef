// The app's words in the auditor's language. Every text the app shows is
// t('key', {name: value}) from a catalogue (static/i18n/<code>.json, precached
// by the service worker so every language works offline). A catalogue value
// is a string with {name} placeholders, or for counts an object of plural
// forms ({"one": "...", "other": "..."}, chosen by Intl.PluralRules with the
// `count` parameter). Numbers given as parameters are formatted for the
// language; dates go through the formats below.
//
// Adding a language: a catalogue file with every key of en.json, and its code
// and own name in LANGUAGES (tests/test_pwa_i18n.py checks both).

export const LANGUAGES = { en: 'English', fr: 'Français' };
export const DEFAULT_LANGUAGE = 'en';

let current = DEFAULT_LANGUAGE;
// The locale of dates and numbers: the browser's own variant of the language
// shown (en-GB writes "2 November 2026", en-US "November 2, 2026"), else the language.
let locale = DEFAULT_LANGUAGE;
let messages = {};
let plurals = new Intl.PluralRules(DEFAULT_LANGUAGE);
let numbers = new Intl.NumberFormat(DEFAULT_LANGUAGE);
const formats = new Map();

/** The language shown now ("en", "fr"). */
export function language() {
  return current;
}

/** The code of LANGUAGES a BCP 47 tag asks for ("fr-CA" → "fr"), or null. */
export function supported(tag) {
  const base = String(tag ?? '').toLowerCase().split(/[-_]/)[0];
  return Object.hasOwn(LANGUAGES, base) ? base : null;
}

/** Load a language's catalogue and make it the current one. */
export async function useLanguage(code) {
  const chosen = supported(code) ?? DEFAULT_LANGUAGE;
  const response = await fetch(`/static/i18n/${chosen}.json`);
  if (!response.ok) throw new Error(`catalogue ${chosen}: ${response.status}`);
  messages = await response.json();
  current = chosen;
  locale = (navigator.languages ?? [navigator.language]).find((tag) => supported(tag) === chosen) ?? chosen;
  plurals = new Intl.PluralRules(locale);
  numbers = new Intl.NumberFormat(locale);
  formats.clear();
  document.documentElement.lang = chosen;
  return chosen;
}

function fill(text, params) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => {
    if (!Object.hasOwn(params, name)) return whole;
    const value = params[name];
    return typeof value === 'number' ? numbers.format(value) : String(value ?? '');
  });
}

/** The text of `key` in the current language, its {placeholders} filled from `params`. */
export function t(key, params = {}) {
  let entry = messages[key];
  if (entry === undefined) {
    console.warn(`no text for ${key}`);
    return key;
  }
  if (typeof entry === 'object') entry = entry[plurals.select(params.count ?? 0)] ?? entry.other;
  return fill(entry, params);
}

/** A number as the language writes it ("1,200" / "1 200"). */
export function formatNumber(value, options) {
  return options ? new Intl.NumberFormat(locale, options).format(value) : numbers.format(value);
}

/** An Intl.DateTimeFormat for the current language, made once per language and options. */
export function dateFormat(options) {
  const key = JSON.stringify(options);
  if (!formats.has(key)) formats.set(key, new Intl.DateTimeFormat(locale, options));
  return formats.get(key);
}

/** "3 November 2026" / "3 novembre 2026" of a YYYY-MM-DD day or a moment (its day as given). */
export function longDay(value) {
  if (!value) return '';
  const date = new Date(`${String(value).slice(0, 10)}T12:00:00`);
  if (Number.isNaN(date.getTime())) return String(value);
  return dateFormat({ day: 'numeric', month: 'long', year: 'numeric' }).format(date);
}

/** "3 Nov" / "3 nov." of a YYYY-MM-DD day. */
export function shortDay(value) {
  const date = new Date(`${String(value).slice(0, 10)}T12:00:00`);
  if (Number.isNaN(date.getTime())) return String(value ?? '');
  return dateFormat({ day: 'numeric', month: 'short' }).format(date);
}

/** Give the static parts of index.html (data-i18n="key") the current language's text. */
export function translatePage(root = document) {
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll('[data-i18n-content]')) node.setAttribute('content', t(node.dataset.i18nContent));
  document.title = t('app.title');
}

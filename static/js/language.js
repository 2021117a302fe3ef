// Which language the app speaks. On a first start, the browser's languages
// (navigator.languages: French for fr, fr-FR, fr-CA…, else English); then
// the choice made with the switch, remembered on this device. Signed in, the
// switch also saves the choice to the account (PATCH /api/session), and on
// signing in the account's stored choice (GET /api/session "language") wins
// over this device's. A choice made offline is saved at the next sign-in.

import { api, NetworkError } from './api.js';
import { h } from './dom.js';
import { DEFAULT_LANGUAGE, language, LANGUAGES, supported, t } from './i18n.js';

const KEY = 'audit.language';
// A choice made while signed in that the server has not stored yet.
const UNSAVED = 'audit.language.unsaved';

/** The language to start in: the device's remembered choice, else the browser's. */
export function initialLanguage() {
  const kept = supported(localStorage.getItem(KEY));
  if (kept) return kept;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const found = supported(tag);
    if (found) return found;
  }
  return DEFAULT_LANGUAGE;
}

export function rememberLanguage(code) {
  localStorage.setItem(KEY, code);
}

/** Store the signed-in user's choice; kept to retry when the server cannot be reached. */
export async function saveLanguage(code) {
  try {
    await api.setLanguage(code);
    localStorage.removeItem(UNSAVED);
  } catch (error) {
    if (error instanceof NetworkError) localStorage.setItem(UNSAVED, code);
    else console.warn('language not saved', error);
  }
}

/**
 * The language a newly signed-in session should use: a choice made here
 * offline is sent now and kept; otherwise the account's stored one, if any.
 */
export async function languageOfSession(session) {
  const unsaved = supported(localStorage.getItem(UNSAVED));
  if (unsaved) {
    await saveLanguage(unsaved);
    return unsaved;
  }
  let stored = session.language;
  if (stored === undefined) {
    // Signed in by POST /api/session or a link: only GET names the stored choice.
    try {
      stored = (await api.getSession()).language;
    } catch {
      stored = null;
    }
  }
  return supported(stored) ?? language();
}

export function forgetUnsavedLanguage() {
  localStorage.removeItem(UNSAVED);
}

/** The switch: a select of the languages, each in its own name. */
export function languageSwitch(onChoose) {
  const select = h('select', { id: 'language', class: 'language-switch', 'aria-label': t('language.label') },
    Object.entries(LANGUAGES).map(([code, name]) => h('option', { value: code, lang: code, selected: code === language() }, name)));
  select.addEventListener('change', () => onChoose(select.value));
  return select;
}

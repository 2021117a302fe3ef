// What the owner portal's views share: dates in words, notes on loading, chips.

import { ApiError, NetworkError } from '../api.js';
import { h, when } from '../dom.js';
import { longDay, t } from '../i18n.js';

/** "2 November 2026" of a date or a moment (its day as the server gave it). */
export const dateText = longDay;

/** What to tell the owner when a page could not be loaded. */
export function loadProblem(error) {
  if (error instanceof NetworkError || (error instanceof ApiError && error.transient)) {
    return t('owner.not_kept');
  }
  if (error instanceof ApiError && error.status === 404) return t('owner.no_such');
  return error?.message || t('owner.went_wrong');
}

/** "Kept on this phone, from 3 Dec, 14:05" when a page is shown from the cache. */
export function offlineNote(loaded) {
  if (loaded.fresh) return null;
  return h('p', { class: 'notice', role: 'status' },
    t('owner.offline_copy', { when: when(loaded.at) }));
}


/** The status of an appeal as a chip: waiting, upheld, partly upheld, rejected. */
export function appealChip(appeal) {
  return h('span', { class: `chip chip-appeal-${appeal.status}` }, appeal.status_label);
}

/** Replace ``node``'s children, leaving out the parts a page does not have (null, false). */
export function fill(node, ...children) {
  node.replaceChildren(...children.flat().filter((child) => child != null && child !== false));
}

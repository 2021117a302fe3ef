// What the owner portal's views share: dates in words, notes on loading, chips.

import { ApiError, NetworkError } from '../api.js';
import { h, when } from '../dom.js';

const longDate = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'long', year: 'numeric' });

/** "2 November 2026" of a date or a moment (its day as the server gave it). */
export function dateText(value) {
  if (!value) return '';
  const date = new Date(`${value.slice(0, 10)}T12:00:00`);
  return Number.isNaN(date.getTime()) ? value : longDate.format(date);
}

/** What to tell the owner when a page could not be loaded. */
export function loadProblem(error) {
  if (error instanceof NetworkError || (error instanceof ApiError && error.transient)) {
    return 'This page has not been opened on this phone yet, and there is no connection. Connect and try again.';
  }
  if (error instanceof ApiError && error.status === 404) return 'There is no such report or appeal.';
  return error?.message || 'Something went wrong. Reload the page.';
}

/** "Kept on this phone, from 3 Dec, 14:05" when a page is shown from the cache. */
export function offlineNote(loaded) {
  if (loaded.fresh) return null;
  return h('p', { class: 'notice', role: 'status' },
    `You are offline: this is the copy kept on this phone from ${when(loaded.at)}.`);
}


/** The status of an appeal as a chip: waiting, upheld, partly upheld, rejected. */
export function appealChip(appeal) {
  return h('span', { class: `chip chip-appeal-${appeal.status}` }, appeal.status_label);
}

/** Replace ``node``'s children, leaving out the parts a page does not have (null, false). */
export function fill(node, ...children) {
  node.replaceChildren(...children.flat().filter((child) => child != null && child !== false));
}

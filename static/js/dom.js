// Building DOM nodes without HTML strings: no HTML parsing (so no injection from
// checklist text) and no style attributes (the CSP forbids inline styles).

/**
 * h('button', {class: 'primary', onclick: fn}, 'Save draft')
 * Attributes whose value is null, undefined or false are left out; true sets
 * an empty attribute; keys starting with "on" add event listeners.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value == null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'checked' || key === 'value' || key === 'selected') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

import { dateFormat } from './i18n.js';

let counter = 0;
/** A document-unique id, for label/aria wiring. */
export function uid(prefix = 'el') {
  counter += 1;
  return `${prefix}-${counter}`;
}

const TIME = { hour: '2-digit', minute: '2-digit' };
const DAY_AND_TIME = { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' };

/** "14:05" today, "3 Mar, 14:05" otherwise (in the app's language). */
export function when(value) {
  if (!value) return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return '';
  const today = new Date().toDateString() === date.toDateString();
  return dateFormat(today ? TIME : DAY_AND_TIME).format(date);
}

/** "YYYY-MM-DD" of a moment (default now) in the phone's own time zone. */
export function localDay(value) {
  const date = value ? new Date(value) : new Date();
  if (Number.isNaN(date.getTime())) return null;
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/**
 * A raw score as the server prints it: a whole number, halves away from zero
 * (72.5 → "73"), "–" when there is none. The server's audit JSON carries its
 * figures already formatted in `display` (audit/presentation.py); this mirror
 * is for lists and for results kept on the device from before `display`.
 */
export function score(value) {
  if (value == null || !Number.isFinite(value)) return '–';
  const cleaned = Number(value.toFixed(9)); // as the server: float error cannot move a half
  const shown = Math.sign(cleaned) * Math.round(Math.abs(cleaned));
  return shown < 0 ? `\u2212${-shown}` : String(Math.abs(shown));
}

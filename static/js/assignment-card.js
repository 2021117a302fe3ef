// What a visit's card says about its wave, slot, window and due day (home and job board).

import { h } from './dom.js';
import { shortDay, t } from './i18n.js';

/** "Due 12 Dec", "Due today", "Overdue: was due 3 Dec" for a YYYY-MM-DD due day. */
export function dueText(assignment) {
  if (!assignment.due) return t('due.none');
  const due = new Date(`${assignment.due}T12:00:00`);
  const label = shortDay(assignment.due);
  if (assignment.overdue) return t('due.overdue', { day: label });
  const today = new Date();
  if (due.toDateString() === today.toDateString()) return t('due.today');
  return t('due.on', { day: label });
}

function windowText(assignment) {
  return t('due.from', { day: shortDay(assignment.assigned) });
}

/** The facts of a visit on a card: wave, slot, window and due day. */
export function visitFacts(assignment) {
  return h('p', { class: 'card-meta' },
    assignment.wave ? h('span', {}, assignment.wave) : null,
    assignment.coverage ? h('span', { class: 'badge slot' }, assignment.coverage) : null,
    h('span', {}, windowText(assignment)),
    h('span', { class: assignment.overdue ? 'badge problem' : 'badge ok' }, dueText(assignment)));
}


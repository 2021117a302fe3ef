// What a visit's card says about its wave, slot, window and due day (home and job board).

import { h } from './dom.js';

/** "Due 12 Dec", "Due today", "Overdue since 3 Dec" for a YYYY-MM-DD due day. */
export function dueText(assignment) {
  if (!assignment.due) return 'No due date';
  const due = new Date(`${assignment.due}T12:00:00`);
  const label = due.toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
  if (assignment.overdue) return `Overdue: was due ${label}`;
  const today = new Date();
  if (due.toDateString() === today.toDateString()) return 'Due today';
  return `Due ${label}`;
}

function windowText(assignment) {
  const from = new Date(`${assignment.assigned}T12:00:00`);
  return `From ${from.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })}`;
}

/** The facts of a visit on a card: wave, slot, window and due day. */
export function visitFacts(assignment) {
  return h('p', { class: 'card-meta' },
    assignment.wave ? h('span', {}, assignment.wave) : null,
    assignment.coverage ? h('span', { class: 'badge slot' }, assignment.coverage) : null,
    h('span', {}, windowText(assignment)),
    h('span', { class: assignment.overdue ? 'badge problem' : 'badge ok' }, dueText(assignment)));
}


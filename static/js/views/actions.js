// The owner's corrective actions: what they will do about each failed or weak
// item of an approved report, who in their team does it and by when; marked
// done with a note. #/actions lists every action of the owner's locations
// (overdue first, as the server orders them); #/actions/UUID is one visit's
// failed and weak items, each with its action or a form to record one.
// Readable offline: the service worker keeps the last answer of each list.
// Nothing here names the shopper: the server sends items and scores only.

import { ApiError, NetworkError, request } from '../api.js';
import { h, uid } from '../dom.js';
import { formatNumber, longDay as dayText, t } from '../i18n.js';

const enc = encodeURIComponent;

export const actionsApi = {
  list: (query = '') => request('GET', `/api/actions${query}`),
  ofAudit: (uuid) => request('GET', `/api/audits/${enc(uuid)}/actions`),
  save: (uuid, item, body) => request('PUT', `/api/audits/${enc(uuid)}/actions/${enc(item)}`, { json: body }),
};

/** `what` is 'visit' (this visit's actions) or 'all' (the owner's actions). */
function loadError(error, what) {
  const text = error instanceof NetworkError
    ? t(what === 'visit' ? 'actions.offline_visit' : 'actions.offline_all')
    : t(what === 'visit' ? 'actions.failed_visit' : 'actions.failed_all', { message: error.message });
  return h('p', { class: 'error', role: 'alert' }, text);
}

function saveError(error) {
  if (error instanceof NetworkError) return t('actions.offline_save');
  if (error instanceof ApiError && Object.keys(error.fields).length) {
    return Object.entries(error.fields).map(([field, message]) => `${field}: ${message}`).join('; ');
  }
  return error.message;
}

function statusBadges(action) {
  return h('p', { class: 'badges' },
    action.status === 'done'
      ? h('span', { class: 'badge ok' }, t('actions.done_on', { day: dayText(action.done_at) }))
      : h('span', { class: action.overdue ? 'badge problem' : 'badge waiting' },
        action.overdue ? t('actions.overdue_since', { day: dayText(action.due) }) : t('due.on', { day: dayText(action.due) })),
    action.check
      ? h('span', { class: action.check.verdict === 'fixed' ? 'badge ok' : 'badge problem' },
        t('actions.check', { label: action.check.label, day: dayText(action.check.visited_at) }))
      : null);
}

function field(label, control, help) {
  const id = uid('action');
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control,
    help ? h('p', { class: 'muted' }, help) : null);
}

/** The form that records or changes one item's action; onSaved gets the stored action. */
function actionForm(auditUuid, item, action, onSaved, onCancel) {
  const what = h('textarea', { name: 'what', rows: '3', maxlength: '2000', required: true });
  what.value = action?.what ?? '';
  const who = h('input', { name: 'who', type: 'text', maxlength: '200', required: true, autocomplete: 'off' });
  who.value = action?.who ?? '';
  const due = h('input', { name: 'due', type: 'date', required: true });
  due.value = action?.due ?? '';
  const problem = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'action-form', novalidate: true },
    field(t('actions.what'), what),
    field(t('actions.who'), who, t('actions.who_help')),
    field(t('actions.due'), due),
    problem,
    h('p', { class: 'report-links' },
      h('button', { type: 'submit', class: 'primary' }, action ? t('actions.save_changes') : t('actions.save')),
      onCancel ? h('button', { type: 'button', class: 'secondary', onclick: onCancel }, t('actions.cancel')) : null));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    problem.textContent = '';
    try {
      const stored = await actionsApi.save(auditUuid, item, { what: what.value, who: who.value, due: due.value });
      onSaved(stored);
    } catch (error) {
      problem.textContent = saveError(error);
    }
  });
  return form;
}

function doneForm(auditUuid, action, onSaved, onCancel) {
  const note = h('textarea', { name: 'note', rows: '2', maxlength: '2000', required: true });
  const problem = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'action-form', novalidate: true },
    field(t('actions.what_done'), note),
    problem,
    h('p', { class: 'report-links' },
      h('button', { type: 'submit', class: 'primary' }, t('actions.mark_done')),
      h('button', { type: 'button', class: 'secondary', onclick: onCancel }, t('actions.cancel'))));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    problem.textContent = '';
    try {
      onSaved(await actionsApi.save(auditUuid, action.item, { status: 'done', note: note.value }));
    } catch (error) {
      problem.textContent = saveError(error);
    }
  });
  return form;
}

/** One action as a card, with Change and Mark done (or Reopen). */
function actionCard(action, { heading, auditUuid, onChange }) {
  const card = h('li', { class: 'card action-card' });
  const show = (current) => {
    const buttons = current.status === 'done'
      ? [h('button', {
        type: 'button',
        class: 'secondary',
        onclick: async () => {
          try {
            show(await actionsApi.save(auditUuid, current.item, { status: 'open' }));
            onChange?.();
          } catch (error) {
            card.append(h('p', { class: 'error', role: 'alert' }, saveError(error)));
          }
        },
      }, t('actions.reopen'))]
      : [
        h('button', { type: 'button', class: 'secondary', onclick: () => edit(current) }, t('actions.change')),
        h('button', { type: 'button', class: 'primary', onclick: () => done(current) }, t('actions.mark_done')),
      ];
    card.replaceChildren(...[
      heading(current),
      h('p', { class: 'action-what' }, current.what),
      h('p', { class: 'card-meta' }, t('actions.who_is', { who: current.who })),
      current.status === 'done' && current.note ? h('p', { class: 'card-meta' }, t('actions.done_note', { note: current.note })) : null,
      statusBadges(current),
      h('p', { class: 'report-links' }, ...buttons),
    ].filter(Boolean));
  };
  const edit = (current) => {
    card.replaceChildren(heading(current),
      actionForm(auditUuid, current.item, current, (stored) => { show(stored); onChange?.(); }, () => show(current)));
  };
  const done = (current) => {
    card.replaceChildren(heading(current), h('p', { class: 'action-what' }, current.what),
      doneForm(auditUuid, current, (stored) => { show(stored); onChange?.(); }, () => show(current)));
  };
  show(action);
  return card;
}

function back() {
  return h('p', {}, h('a', { href: '#/' }, `\u2190 ${t('actions.your_reports')}`));
}

/** #/actions/UUID: one visit's failed and weak items and their actions. */
async function renderAuditActions(main, auditUuid) {
  const body = h('div', { 'aria-live': 'polite' }, h('p', { class: 'card-subtitle' }, t('app.loading')));
  const title = h('h1', { id: 'actions-title' }, t('actions.title'));
  main.replaceChildren(h('section', { 'aria-labelledby': 'actions-title' }, back(), title, body));
  let data;
  try {
    data = await actionsApi.ofAudit(auditUuid);
  } catch (error) {
    body.replaceChildren(loadError(error, 'visit'));
    return;
  }
  title.textContent = t('actions.title_of', { location: data.location_name });
  const intro = h('p', {}, t('actions.intro', { percent: formatNumber(0.7, { style: 'percent' }), day: dayText(data.visited_at) }));
  if (!data.items.length) {
    body.replaceChildren(intro, h('p', {}, t('actions.nothing')));
    return;
  }
  const heading = (item) => () => h('div', {},
    h('p', { class: 'card-title' }, item.text),
    h('p', { class: 'card-meta' },
      [item.touchpoint_label, item.shortfall_label && `${item.shortfall_label}: ${item.score}`,
        item.answer && t('owner.answer', { answer: item.answer })].filter(Boolean).join(' \u00b7 ')));
  const cards = data.items.map((item) => {
    if (item.action) return actionCard(item.action, { heading: heading(item), auditUuid });
    const card = h('li', { class: 'card action-card' });
    const open = () => card.replaceChildren(heading(item)(),
      actionForm(auditUuid, item.item, null, (stored) => {
        card.replaceWith(actionCard(stored, { heading: heading(item), auditUuid }));
      }, closed));
    const closed = () => card.replaceChildren(heading(item)(),
      h('p', { class: 'badges' }, h('span', { class: 'badge required' }, t('actions.none_yet'))),
      h('button', { type: 'button', class: 'primary', onclick: open }, t('actions.record')));
    closed();
    return card;
  });
  body.replaceChildren(intro, h('ul', { class: 'cards' }, cards));
}

/** #/actions: every action of the owner's locations, overdue first, by location. */
async function renderAllActions(main) {
  const body = h('div', { 'aria-live': 'polite' }, h('p', { class: 'card-subtitle' }, t('app.loading')));
  main.replaceChildren(h('section', { 'aria-labelledby': 'actions-title' },
    back(), h('h1', { id: 'actions-title' }, t('actions.yours')), body));
  let data;
  try {
    data = await actionsApi.list('?limit=1000');
  } catch (error) {
    body.replaceChildren(loadError(error, 'all'));
    return;
  }
  if (!data.actions.length) {
    body.replaceChildren(h('p', {}, t('actions.empty')));
    return;
  }
  const places = new Map();
  for (const action of data.actions) {
    if (!places.has(action.location)) places.set(action.location, { name: action.location_name, actions: [] });
    places.get(action.location).actions.push(action);
  }
  const overdue = data.actions.filter((a) => a.overdue).length;
  const heading = (action) => h('div', {},
    h('p', { class: 'card-title' }, action.item_text),
    h('p', { class: 'card-meta' }, `${action.touchpoint_label} \u00b7 `,
      h('a', { href: `#/actions/${action.audit}` }, t('actions.visit_of', { day: dayText(action.visited_at) }))));
  body.replaceChildren(
    h('p', {}, overdue ? t('actions.overdue_count', { count: overdue }) : t('actions.none_overdue')),
    ...[...places].map(([code, place]) => h('section', { class: 'panel', 'aria-label': place.name },
      h('h2', {}, place.name),
      h('p', { class: 'card-subtitle' }, code),
      h('ul', { class: 'cards' }, place.actions.map((action) =>
        actionCard(action, { heading, auditUuid: action.audit }))))));
}

/** The owner's action views, by hash; false when the hash is none of theirs. */
export async function renderActions(main, hash) {
  const one = hash.match(/^#\/actions\/([0-9a-fA-F-]{36})$/);
  if (one) {
    await renderAuditActions(main, one[1]);
    return true;
  }
  if (hash === '#/actions') {
    await renderAllActions(main);
    return true;
  }
  return false;
}

/** The link on each report card: to the visit's actions. */
export function actionsLink(auditUuid) {
  return h('a', { class: 'button secondary', href: `#/actions/${auditUuid}` }, t('actions.title'));
}

/** "3 open actions, 1 overdue" with a link to the list; null when there are none. */
export async function actionsSummary() {
  let data;
  try {
    data = await actionsApi.list('?status=open&limit=1');
  } catch {
    return null;
  }
  if (!data.total) return null;
  const overdue = await actionsApi.list('?status=overdue&limit=1').then((d) => d.total, () => 0);
  return h('p', { class: overdue ? 'notice warning' : 'notice' },
    overdue ? t('actions.open_overdue', { count: data.total, overdue }) : t('actions.open', { count: data.total }), ' ',
    h('a', { href: '#/actions' }, t('actions.see')));
}

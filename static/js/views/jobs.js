// The job board (#/jobs): open visits any auditor of the programme may claim.
//
// Claiming and giving back need the network: the server decides who gets a
// visit (of two shoppers claiming it at once, exactly one), so nothing is
// queued offline. Offline, the board shows what was open when the phone was
// last online, says so, and its buttons wait for the connection.

import { api, ApiError, NetworkError } from '../api.js';
import { dueText, visitFacts } from '../assignment-card.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { cachedFetch } from '../reference.js';
import { mapLink } from './home.js';

export function claimProblem(error) {
  if (error instanceof NetworkError) return t('jobs.offline_claim');
  if (error instanceof ApiError && error.status === 404) return t('jobs.gone');
  if (error instanceof ApiError) return error.message;
  return t('jobs.failed');
}

export function renderJobs(container, ctx) {
  const { store } = ctx;
  let disposed = false;
  let board = [];
  let fresh = false;
  const notes = new Map(); // assignment id → what happened to it here

  const offlineNote = h('p', { class: 'notice warning', hidden: true },
    t('jobs.offline'));
  const status = h('p', { class: 'status-note', role: 'status', 'aria-live': 'polite' });
  const search = h('input', { id: 'jobs-search', type: 'search', placeholder: t('jobs.search_placeholder'), autocomplete: 'off' });
  const list = h('ul', { class: 'cards' });
  const empty = h('p', { class: 'empty', hidden: true }, t('jobs.empty'));

  container.replaceChildren(h('div', { class: 'jobs' },
    h('p', {}, h('a', { href: '#/' }, `← ${t('nav.back_to_visits')}`)),
    h('h1', {}, t('jobs.title')),
    h('p', { class: 'lead' }, t('jobs.lead')),
    offlineNote,
    h('div', { class: 'field' }, h('label', { for: 'jobs-search' }, t('jobs.search')), search),
    status,
    h('section', { 'aria-labelledby': 'h-open' },
      h('h2', { id: 'h-open', class: 'visually-hidden' }, t('jobs.open')), list, empty)));

  function online() {
    return navigator.onLine && fresh;
  }

  function draw() {
    const query = search.value.trim().toLowerCase();
    const shown = board.filter((a) => !query
      || `${a.location_name} ${a.location} ${a.address ?? ''} ${a.wave ?? ''}`.toLowerCase().includes(query));
    list.replaceChildren(...shown.map((a) => {
      const note = notes.get(a.id);
      const button = h('button', {
        type: 'button', class: 'primary', disabled: !online(),
        onclick: () => claim(a, button),
      }, t('jobs.claim'), h('span', { class: 'visually-hidden' }, ` (${a.location_name}, ${dueText(a)})`));
      return h('li', { class: 'card assignment', dataset: { assignment: String(a.id) } },
        h('p', { class: 'card-title' }, a.location_name ?? a.location),
        h('p', { class: 'card-subtitle' }, a.checklist_title ?? a.checklist),
        a.address ? h('p', { class: 'card-address' }, mapLink(a.address)) : null,
        visitFacts(a),
        note ? h('p', { class: note.ok ? 'notice' : 'error', role: 'alert' }, note.text) : null,
        note ? null : button);
    }));
    empty.hidden = shown.length > 0;
    offlineNote.hidden = online();
  }

  async function load() {
    try {
      const { value, fresh: isFresh } = await cachedFetch(store, 'assignments', api.assignments);
      fresh = isFresh;
      board = (value ?? []).filter((a) => a.mine === false);
    } catch (error) {
      if (!ctx.handleError(error)) status.textContent = t('jobs.not_loaded');
    }
    if (!disposed) draw();
  }

  async function claim(assignment, button) {
    button.disabled = true;
    status.textContent = t('jobs.claiming');
    try {
      const claimed = await api.claim(assignment.id);
      notes.set(assignment.id, { ok: true, text: t('jobs.claimed', { due: dueText(claimed) }) });
      status.textContent = t('jobs.yours', { location: assignment.location_name });
      // Keep the phone's list in step, so the visit can be begun offline.
      const kept = (await store.getMeta('assignments')) ?? [];
      await store.setMeta('assignments', [claimed, ...kept.filter((a) => a.id !== assignment.id)]);
    } catch (error) {
      if (ctx.handleError(error)) return;
      status.textContent = claimProblem(error);
      if (error instanceof NetworkError) fresh = false; // the buttons wait for the connection
      else notes.set(assignment.id, { ok: false, text: claimProblem(error) });
    }
    if (!disposed) draw();
  }

  const onConnection = () => { if (!disposed) load(); };
  search.addEventListener('input', draw);
  window.addEventListener('online', onConnection);
  window.addEventListener('offline', onConnection);
  const ready = load();
  return {
    ready,
    dispose() {
      disposed = true;
      window.removeEventListener('online', onConnection);
      window.removeEventListener('offline', onConnection);
    },
  };
}

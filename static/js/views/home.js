// Home: visits in progress, assigned visits, "Start a new audit", sent visits.
//
// After every sync (and whenever the connection comes back) the lists are
// drawn again from the server's list of this auditor's audits: a visit the
// server has as submitted is shown as sent, never as a draft, and a copy on
// this phone with nothing left to send is let go once the server has it
// locked. The offline note follows the real connection.

import { api, NetworkError } from '../api.js';
import { visitFacts } from '../assignment-card.js';
import { h, localDay, score, when } from '../dom.js';
import { language, t } from '../i18n.js';
import { EDITABLE } from '../merge.js';
import { cachedFetch, loadChecklist, prefetchChecklists } from '../reference.js';
import { needsHomeScreen } from '../session.js';

// On poor signal, show what is on the phone rather than a blank screen.
const FIRST_PAINT_WAIT_MS = 1_500;

const SENT_LABELS = {
  submitted: () => t('home.status_submitted'),
  approved: () => t('home.status_approved'),
  returned: () => t('home.status_returned'),
  rejected: () => t('home.status_rejected'),
};

/** Head office's grade of the report, as the shopper reads it. */
export function gradeWords(grade) {
  return grade ? t('home.grade', { grade }) : null;
}

function notesWords(row) {
  const count = Object.keys(row.item_notes ?? {}).length;
  if (!count) return null;
  return t('home.items_to_check', { count });
}

export function newAuditRecord({ checklist, location, assignment }) {
  return {
    uuid: crypto.randomUUID(),
    checklistId: checklist.id,
    checklistHash: checklist.hash ?? null,
    checklistTitle: checklist.title,
    checklist,
    checklistLanguage: checklist.requestedLanguage ?? null,
    location: location.code,
    locationName: location.name,
    assignment: assignment?.id ?? null,
    assignmentNotes: assignment?.notes || null,
    assignedOn: assignment?.assigned ?? null,
    address: assignment?.address || location.address || null,
    visitDate: localDay(),
    touchpointDates: {},
    answers: {},
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    startedAt: null,
    finishedAt: null,
    rev: 0,
    syncedRev: 0,
    state: 'draft',
    problem: null,
    deletedPhotos: [],
    serverStatus: null,
    reviewNote: null,
    serverRevision: null, // unknown until the server has it: the first PUT has no If-Match
    base: null, // the server's answers at serverRevision (the three-way merge's base)
    conflict: null,
  };
}

/** A link that opens the address in the phone's map app (or OpenStreetMap). */
export function mapLink(address) {
  return h('a', {
    href: `https://www.openstreetmap.org/search?query=${encodeURIComponent(address)}`,
    target: '_blank', rel: 'noopener', class: 'address',
  }, address, h('span', { class: 'visually-hidden' }, ` ${t('home.opens_map')}`));
}

/** Nothing of this visit waits on the phone: everything it holds is on the server. */
function settled(record, queued) {
  return !queued.has(record.uuid) && !record.conflict && !record.problem
    && record.rev <= (record.syncedRev ?? 0) && !(record.deletedPhotos ?? []).length;
}

function localBadge(record) {
  if (record.conflict) return [t('home.badge_conflict'), 'problem'];
  if (record.state === 'queued') return [t('home.badge_queued'), 'waiting'];
  if (record.problem) return [t('home.badge_problem'), 'problem'];
  if (record.serverStatus === 'returned') return [t('home.badge_returned'), 'problem'];
  if (record.rev > (record.syncedRev ?? 0)) return [t('home.badge_local'), 'local'];
  return [t('home.badge_draft'), 'ok'];
}

function visitCard(href, title, subtitle, badge, detail) {
  return h('li', { class: 'card' },
    h('a', { href, class: 'card-link' },
      h('span', { class: 'card-title' }, title),
      h('span', { class: 'card-subtitle' }, subtitle),
      h('span', { class: 'card-meta' },
        badge ? h('span', { class: `badge ${badge[1]}` }, badge[0]) : null,
        detail ? h('span', {}, detail) : null)));
}

export function renderHome(container, ctx) {
  const { store } = ctx;
  const data = { locations: null, checklists: null, assignments: null, audits: null, fresh: false };
  let disposed = false;

  const offlineNote = h('p', { class: 'notice', hidden: true },
    t('home.offline'));
  const conflictNotes = h('div', { class: 'conflict-notes' });
  const inProgress = h('ul', { class: 'cards' });
  const assigned = h('ul', { class: 'cards' });
  const sent = h('ul', { class: 'cards' });
  const assignedSection = h('section', { 'aria-labelledby': 'h-assigned', hidden: true },
    h('h2', { id: 'h-assigned' }, t('home.assigned')), assigned);
  const progressSection = h('section', { 'aria-labelledby': 'h-progress', hidden: true },
    h('h2', { id: 'h-progress' }, t('home.in_progress')), inProgress);
  const jobsCount = h('p', { class: 'card-meta' });
  const jobsSection = h('section', { 'aria-labelledby': 'h-jobs', class: 'panel' },
    h('h2', { id: 'h-jobs' }, t('jobs.title')), jobsCount,
    h('a', { href: '#/jobs', class: 'button secondary wide' }, t('home.open_jobs')));
  const releaseNotes = new Map();
  const sentSection = h('section', { 'aria-labelledby': 'h-sent', hidden: true },
    h('h2', { id: 'h-sent' }, t('home.sent')), sent);

  const locationSelect = h('select', { id: 'new-location', name: 'location' });
  const checklistSelect = h('select', { id: 'new-checklist', name: 'checklist' });
  const startError = h('p', { class: 'error', role: 'alert' });
  const startButton = h('button', { type: 'submit', class: 'primary wide' }, t('home.start_button'));
  const startForm = h('form', { novalidate: true, onsubmit: (e) => { e.preventDefault(); start(); } },
    h('div', { class: 'field' }, h('label', { for: 'new-location' }, t('home.location')), locationSelect),
    h('div', { class: 'field' }, h('label', { for: 'new-checklist' }, t('home.checklist')), checklistSelect),
    startError, startButton);

  container.replaceChildren(h('div', { class: 'home' },
    needsHomeScreen() ? h('p', { class: 'notice warning' },
      t('home.ios')) : null,
    offlineNote,
    conflictNotes,
    progressSection,
    assignedSection,
    jobsSection,
    h('section', { 'aria-labelledby': 'h-new', class: 'panel' },
      h('h2', { id: 'h-new' }, t('home.start_title')), startForm),
    sentSection));

  function fillSelect(select, options, placeholder) {
    const previous = select.value;
    const nodes = [h('option', { value: '' }, placeholder)];
    for (const [value, label] of options) nodes.push(h('option', { value }, label));
    select.replaceChildren(...nodes);
    if (options.some(([value]) => value === previous)) select.value = previous;
    else if (options.length === 1) select.value = options[0][0];
  }

  /**
   * The server's list is the truth once it answered: a phone copy with
   * nothing to send is let go when the server has the visit locked, and takes
   * the server's status (returned, with its note) otherwise.
   */
  async function reconcile(local) {
    if (!data.fresh) return local;
    const queued = new Set((await store.outbox()).map((e) => e.uuid));
    const byUuid = new Map((data.audits ?? []).map((a) => [a.uuid, a]));
    const kept = [];
    for (const record of local) {
      const row = byUuid.get(record.uuid);
      if (row && !EDITABLE.has(row.status) && settled(record, queued)) {
        await store.forgetAudit(record.uuid);
        continue;
      }
      if (row && row.status !== record.serverStatus && !queued.has(record.uuid)) {
        await store.updateAudit(record.uuid, (r) => {
          r.serverStatus = row.status;
          r.reviewNote = row.review_note || r.reviewNote;
          r.itemNotes = row.item_notes ?? r.itemNotes ?? {};
        });
        record.serverStatus = row.status;
        record.reviewNote = row.review_note || record.reviewNote;
        record.itemNotes = row.item_notes ?? record.itemNotes ?? {};
      }
      kept.push(record);
    }
    return kept;
  }

  async function drawLists() {
    const local = (await reconcile(await store.listAudits())).filter((r) => !r.discarded);
    const results = (await store.getMeta('results')) ?? [];
    if (disposed) return;
    const localIds = new Set(local.map((r) => r.uuid));
    // A visit this phone sent is sent, even while the kept list is older.
    const sentHere = new Map(results.map((r) => [r.uuid, r]));
    const server = (data.audits ?? []).map((a) => (a.status === 'draft' && sentHere.has(a.uuid)
      ? { ...a, status: sentHere.get(a.uuid).status ?? 'submitted', overall: a.overall ?? sentHere.get(a.uuid).overall }
      : a));

    const cards = local
      .sort((a, b) => (b.updatedAt ?? '').localeCompare(a.updatedAt ?? ''))
      .map((r) => visitCard(r.conflict ? `#/conflict/${r.uuid}` : `#/audit/${r.uuid}`,
        r.locationName, r.checklistTitle, localBadge(r),
        r.conflict ? t('home.review') : t('home.changed', { when: when(r.updatedAt) })));
    conflictNotes.replaceChildren(...local.filter((r) => r.conflict).map((r) => h('p', { class: 'notice warning' },
      h('a', { href: `#/conflict/${r.uuid}` }, t('home.conflict_link')),
      ' ', t('home.conflict_note', { location: r.locationName, checklist: r.checklistTitle }))));
    for (const a of server) {
      if (localIds.has(a.uuid) || (a.status !== 'draft' && a.status !== 'returned')) continue;
      const badge = a.status === 'returned' ? [t('home.badge_returned_hq'), 'problem'] : [t('home.badge_server_draft'), 'ok'];
      const detail = [a.review_note, notesWords(a)].filter(Boolean).join(' · ');
      cards.push(visitCard(`#/audit/${a.uuid}`, a.location_name ?? a.location,
        a.checklist_title ?? a.checklist, badge, detail || null));
    }
    inProgress.replaceChildren(...cards);
    progressSection.hidden = cards.length === 0;

    const startedAssignments = new Set([...local.map((r) => r.assignment).filter(Boolean)]);
    // The auditor's own visits here; the open ones wait on the job board.
    const assignments = (data.assignments ?? []).filter((a) => !startedAssignments.has(a.id) && !a.audit && a.mine !== false);
    assigned.replaceChildren(...assignments.map((a) => h('li', { class: 'card assignment' },
      h('p', { class: 'card-title' }, a.location_name ?? a.location),
      h('p', { class: 'card-subtitle' }, a.checklist_title ?? a.checklist),
      a.address ? h('p', { class: 'card-address' }, mapLink(a.address)) : null,
      a.due ? visitFacts(a) : null,
      a.notes ? h('div', { class: 'instructions' },
        h('p', { class: 'instructions-title' }, t('home.instructions')), h('p', {}, a.notes)) : null,
      releaseNotes.get(a.id) ? h('p', { class: 'error', role: 'alert' }, releaseNotes.get(a.id)) : null,
      h('button', { type: 'button', class: 'secondary', onclick: () => start(a) }, t('home.begin')),
      a.can_release ? h('button', {
        type: 'button', class: 'link give-back', disabled: !(navigator.onLine && data.fresh),
        onclick: (event) => release(a, event.currentTarget),
      }, t('home.give_back'), h('span', { class: 'visually-hidden' }, ` (${a.location_name})`)) : null)));
    assignedSection.hidden = assignments.length === 0;
    const open = (data.assignments ?? []).filter((a) => a.mine === false).length;
    jobsCount.textContent = t('home.open_count', { count: open });

    const sentCards = [];
    const serverIds = new Set(server.map((a) => a.uuid));
    for (const r of results) {
      if (serverIds.has(r.uuid)) continue;
      sentCards.push(visitCard(`#/done/${r.uuid}`, r.location_name, r.checklist_title,
        [t('home.status_submitted'), 'ok'], t('home.score', { score: score(r.overall) })));
    }
    for (const a of server) {
      if (a.status === 'draft' || a.status === 'returned') continue;
      const rejected = a.status === 'rejected';
      const detail = rejected ? t('home.not_counted', { note: a.review_note ?? '' })
        : [t('home.score', { score: score(a.overall) }), gradeWords(a.grade)].filter(Boolean).join(' · ');
      sentCards.push(visitCard(`#/done/${a.uuid}`, a.location_name ?? a.location,
        a.checklist_title ?? a.checklist, [SENT_LABELS[a.status]?.() ?? a.status, rejected ? 'problem' : 'ok'],
        detail));
    }
    sent.replaceChildren(...sentCards.slice(0, 20));
    sentSection.hidden = sentCards.length === 0;
  }

  function drawStartForm() {
    const locations = [...(data.locations ?? [])].sort((a, b) => a.name.localeCompare(b.name, language()));
    fillSelect(locationSelect, locations.map((l) => [l.code, l.name]), t('home.choose_location'));
    fillSelect(checklistSelect, (data.checklists ?? []).map((c) => [c.id, c.title]), t('home.choose_checklist'));
  }

  /** Give a claimed visit back to the job board (needs the network: the server decides). */
  async function release(assignment, button) {
    button.disabled = true;
    try {
      await api.release(assignment.id);
      releaseNotes.delete(assignment.id);
      await resync();
    } catch (error) {
      if (ctx.handleError(error)) return;
      releaseNotes.set(assignment.id, error instanceof NetworkError
        ? t('home.give_back_offline')
        : error.message);
      await drawLists();
    }
  }

  async function start(assignment) {
    startError.textContent = '';
    const locationCode = assignment?.location ?? locationSelect.value;
    const checklistId = assignment?.checklist ?? checklistSelect.value;
    if (!locationCode || !checklistId) {
      startError.textContent = !locationCode ? t('home.need_location') : t('home.need_checklist');
      (!locationCode ? locationSelect : checklistSelect).focus();
      return;
    }
    startButton.disabled = true;
    try {
      const checklist = await loadChecklist(store, checklistId);
      const location = (data.locations ?? []).find((l) => l.code === locationCode)
        ?? { code: locationCode, name: assignment?.location_name ?? locationCode };
      const record = newAuditRecord({ checklist, location, assignment });
      await store.putAudit(record);
      ctx.navigate(`#/audit/${record.uuid}`);
    } catch (error) {
      if (ctx.handleError(error)) return;
      startError.textContent = t('home.checklist_missing');
    } finally {
      startButton.disabled = false;
    }
  }

  async function load(key, fetcher) {
    try {
      const { value, fresh } = await cachedFetch(store, key, fetcher);
      data[key] = value;
      return fresh;
    } catch (error) {
      ctx.handleError(error);
      return false;
    }
  }

  function showConnection() {
    offlineNote.hidden = navigator.onLine && data.fresh;
  }

  /** After a sync or when the connection is back: the server's list again. */
  async function resync() {
    if (disposed) return;
    const fresh = await Promise.all([load('audits', () => api.audits('?limit=50')), load('assignments', api.assignments)]);
    if (disposed) return;
    data.fresh = fresh.every(Boolean) && navigator.onLine;
    showConnection();
    await drawLists();
  }

  async function refresh() {
    const fetched = Promise.all([
      load('locations', api.locations),
      load('checklists', api.checklists),
      load('assignments', api.assignments),
      load('audits', () => api.audits('?limit=50')),
    ]);
    const firstPaint = new Promise((resolve) => { setTimeout(resolve, FIRST_PAINT_WAIT_MS); });
    const quick = await Promise.race([fetched, firstPaint]);
    if (!quick) {
      // Slow network: paint the kept copies now, the fresh data when it comes.
      for (const key of ['locations', 'checklists', 'assignments', 'audits']) {
        data[key] ??= (await store.getMeta(key)) ?? null;
      }
      if (disposed) return;
      drawStartForm();
      await drawLists();
    }
    const fresh = await fetched;
    if (disposed) return;
    data.fresh = fresh.every(Boolean);
    showConnection();
    drawStartForm();
    await drawLists();
    if (fresh[1]) prefetchChecklists(store, data.checklists);
  }

  const SYNCED = ['sent', 'saved', 'discarded', 'merged'];
  const onSynced = () => resync();
  const onOutbox = () => { if (!disposed) drawLists(); };
  const onOnline = () => { showConnection(); resync(); };
  const onOffline = () => { data.fresh = false; showConnection(); };
  for (const type of SYNCED) ctx.outbox.addEventListener(type, onSynced);
  for (const type of ['rejected', 'conflict']) ctx.outbox.addEventListener(type, onOutbox);
  window.addEventListener('online', onOnline);
  window.addEventListener('offline', onOffline);
  const ready = refresh();

  return {
    ready,
    dispose() {
      disposed = true;
      for (const type of SYNCED) ctx.outbox.removeEventListener(type, onSynced);
      for (const type of ['rejected', 'conflict']) ctx.outbox.removeEventListener(type, onOutbox);
      window.removeEventListener('online', onOnline);
      window.removeEventListener('offline', onOffline);
    },
  };
}

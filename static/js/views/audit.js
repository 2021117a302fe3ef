// One visit: the assignment and scenario, the visit date, the checklist form,
// photos, "Save draft", "Submit" and "Discard this visit". Every change is
// written to the phone at once; "Save draft" and "Submit" put the visit in the
// outbox, which sends it whenever there is a connection. A visit the server
// holds as submitted (or approved) is never opened as a form: its scorecard is.

import { api, ApiError } from '../api.js';
import { h, localDay, uid, when } from '../dom.js';
import { language, longDay, t } from '../i18n.js';
import { AuditForm } from '../form.js';
import { EDITABLE } from '../merge.js';
import { PhotoReadError, preparePhoto } from '../photos.js';
import { loadChecklist, loadChecklistVersion, relabel } from '../reference.js';
import {
  checkFromServer, describeCheck, failureWords, minutesOnSite, readPosition,
} from '../visit.js';
import { mapLink } from './home.js';

const dayInWords = longDay;

/** A visit started on another device (or returned by HQ): bring it onto this phone; null once it is sent. */
async function importServerAudit(store, uuid) {
  const audit = await api.audit(uuid);
  if (!EDITABLE.has(audit.status)) return null;
  const checklist = await loadChecklistVersion(store, audit.checklist, audit.checklist_hash);
  const record = {
    uuid,
    checklistId: audit.checklist,
    checklistHash: audit.checklist_hash ?? checklist.hash ?? null,
    checklistTitle: audit.checklist_title ?? checklist.title,
    checklist,
    checklistLanguage: checklist.requestedLanguage ?? null,
    location: audit.location,
    locationName: audit.location_name ?? audit.location,
    assignment: null,
    answers: audit.answers ?? {},
    base: structuredClone(audit.answers ?? {}),
    visitDate: audit.visited_at ? localDay(audit.visited_at) : null,
    touchpointDates: { ...(audit.touchpoint_dates ?? {}) },
    createdAt: audit.started_at ?? audit.visited_at ?? new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    startedAt: audit.started_at ?? null,
    finishedAt: null,
    rev: 0,
    syncedRev: 0,
    state: 'draft',
    problem: null,
    deletedPhotos: [],
    serverStatus: audit.status,
    reviewNote: audit.review_note || null,
    itemNotes: audit.item_notes ?? {},
    // What every later write names in If-Match (outbox.js).
    serverRevision: Number.isInteger(audit.revision) ? audit.revision : null,
    conflict: null,
    // Proof of visit already on the server (checked in from another device).
    checkIn: checkFromServer(audit.visit?.check_in),
    checkOut: checkFromServer(audit.visit?.check_out),
  };
  await store.putAudit(record);
  let created = Date.now();
  for (const photo of audit.photos ?? []) {
    created += 1;
    await store.putPhoto({
      uuid: photo.uuid, audit: uuid, item: photo.item, blob: null, thumb: null, sent: true, remote: true, created,
    });
  }
  return record;
}

// Lines that start a step of their own ("1.", "2)", "-", "*", "•").
const STEP = /^\s*(\d+[.)]|[-*•])\s/;

/** Scenario text as paragraphs: hard-wrapped YAML lines joined, numbered steps kept apart. */
function paragraphs(text) {
  const blocks = [];
  for (const chunk of (text ?? '').split(/\n\s*\n/)) {
    let current = null;
    for (const line of chunk.split('\n').map((l) => l.trim()).filter(Boolean)) {
      if (current === null || STEP.test(line)) {
        current = [line];
        blocks.push(current);
      } else {
        current.push(line);
      }
    }
  }
  return blocks.map((lines) => h('p', {}, lines.join(' ')));
}

export async function renderAudit(container, ctx, uuid) {
  const { store, outbox } = ctx;
  let record = await store.getAudit(uuid);
  if (!record) {
    try {
      record = await importServerAudit(store, uuid);
      if (record === null) {
        ctx.navigate(`#/done/${uuid}`);
        return {};
      }
    } catch (error) {
      if (ctx.handleError(error)) return {};
      const message = error instanceof ApiError && error.status === 404
        ? t('audit.not_found_text') : t('audit.unreachable');
      container.replaceChildren(h('div', { class: 'panel' }, h('h1', {}, t('audit.not_found')),
        h('p', {}, message), h('p', {}, h('a', { href: '#/' }, t('nav.back_to_visits')))));
      return {};
    }
  }

  if (record.discarded) {
    ctx.navigate('#/');
    return {};
  }
  // Sent from here or elsewhere, with nothing left to send: it is read-only, as its scorecard.
  if (record.serverStatus && !EDITABLE.has(record.serverStatus) && record.state !== 'queued' && !record.conflict) {
    ctx.navigate(`#/done/${uuid}`);
    return {};
  }

  // The checklist's words in the app's language (a change of language, or a visit
  // begun in another): same items, so the answers (kept by item id) stay as they are.
  // A visit from before languages were kept was begun in English.
  if ((record.checklistLanguage ?? 'en') !== language()) record = await relabel(store, record);

  const urls = new Map(); // photo uuid → object URL of its thumbnail
  let photos = await store.photosOf(uuid);
  // Changed on the server meanwhile: nothing more is typed until the auditor has compared.
  const conflict = record.conflict ?? null;
  const readOnly = record.state === 'queued' || conflict !== null;
  const answers = structuredClone(record.answers ?? {});
  let startedAt = record.startedAt;
  let writing = Promise.resolve();
  let disposed = false;

  const savedLine = h('span', { class: 'saved-line' });
  const progressLine = h('span', { class: 'progress-line', id: uid('progress') });
  const summary = h('div', { class: 'summary', tabindex: '-1', hidden: true });
  const banner = h('div', { class: 'banner', role: 'status' });

  function photoSrc(photo) {
    if (photo.thumb) {
      if (!urls.has(photo.uuid)) urls.set(photo.uuid, URL.createObjectURL(photo.thumb));
      return urls.get(photo.uuid);
    }
    return api.photoUrl(uuid, photo.uuid);
  }

  /** Serialised writes: the last change always lands last. */
  function persist(change) {
    writing = writing.then(() => store.updateAudit(uuid, (r) => {
      change?.(r);
      r.answers = structuredClone(answers);
      r.startedAt ??= startedAt;
      r.rev += 1;
      r.updatedAt = new Date().toISOString();
    })).then(() => {
      savedLine.textContent = t('audit.saved_phone', { when: when(new Date()) });
      savedLine.dataset.where = 'phone';
    }, (error) => {
      savedLine.textContent = t('audit.save_failed');
      console.error(error);
    });
    return writing;
  }

  const visitDay = record.visitDate ?? localDay(record.startedAt ?? record.createdAt);
  const touchpointDates = { ...(record.touchpointDates ?? {}) };
  // Not before HQ assigned it; never after today.
  const earliest = record.assignedOn ?? null;

  /** An error for a chosen day, or null. */
  function dayProblem(day) {
    if (!day) return t('audit.date_missing');
    if (day > localDay()) return t('audit.date_future');
    if (earliest && day < earliest) return t('audit.date_before', { day: dayInWords(earliest) });
    return null;
  }

  const form = new AuditForm({
    checklist: record.checklist,
    answers,
    photos,
    readOnly,
    photoSrc,
    touchpointDates,
    itemNotes: record.serverStatus === 'returned' ? (record.itemNotes ?? {}) : {},
    dateLimits: { min: earliest, max: localDay() },
    dayProblem,
    onTouchpointDate(sectionId, day) {
      if (day) touchpointDates[sectionId] = day;
      else delete touchpointDates[sectionId];
      persist((r) => { r.touchpointDates = { ...touchpointDates }; });
    },
    onAnswer() {
      startedAt ??= new Date().toISOString();
      persist();
      updateProgress();
    },
    async onAddPhotos(itemId, files) {
      form.setPhotoStatus(itemId, t('audit.preparing_photos', { count: files.length }));
      try {
        for (const file of files) {
          const { blob, thumb } = await preparePhoto(file);
          await store.putPhoto({
            uuid: crypto.randomUUID(), audit: uuid, item: itemId, blob, thumb, sent: false, created: Date.now(),
          });
        }
        form.setPhotoStatus(itemId, t('audit.photos_added', { count: files.length }));
      } catch (error) {
        form.setPhotoStatus(itemId, error instanceof PhotoReadError ? error.message : t('audit.photo_not_saved'));
      }
      startedAt ??= new Date().toISOString();
      await persist();
      await reloadPhotos();
    },
    async onRemovePhoto(photo) {
      await store.removePhoto(photo.uuid);
      URL.revokeObjectURL(urls.get(photo.uuid));
      urls.delete(photo.uuid);
      form.setPhotoStatus(photo.item, t('audit.photo_removed'));
      await persist();
      await reloadPhotos();
    },
  });

  async function reloadPhotos() {
    photos = await store.photosOf(uuid);
    form.setPhotos(photos);
    updateProgress();
  }

  function updateProgress() {
    // Required items shown only: an item that appears with an answer is counted in
    // both figures, so the count moves by what the auditor did, not by the form.
    const { answered, total, missing } = form.state;
    progressLine.textContent = t('form.required_answered', { done: answered, count: total })
      + (missing.length ? '' : t('audit.ready'));
  }

  /**
   * A short summary: how many items need an answer (the items themselves are
   * marked in place, and so are their sections' chips) and a button to the
   * first; other problems (not tied to an unanswered item) are listed.
   */
  function showSummary(title, list, missing = []) {
    summary.hidden = false;
    summary.setAttribute('role', 'alert');
    const first = missing.find((id) => form.items.has(id));
    const others = list.filter((entry) => !entry.itemId || !missing.includes(entry.itemId));
    summary.replaceChildren(...[
      h('h2', {}, title),
      missing.length ? h('p', {}, t('audit.marked')) : null,
      first ? h('button', { type: 'button', class: 'primary wide', onclick: () => form.goToItem(first) }, t('audit.first_unanswered')) : null,
      others.length ? h('ul', {}, others.map((entry) => h('li', {},
        entry.itemId
          ? h('button', { type: 'button', class: 'link', onclick: () => form.goToItem(entry.itemId) },
            entry.text)
          : h('span', {}, entry.field ? t('audit.field', { field: entry.field }) : ''),
        h('span', { class: 'summary-message' }, ` — ${entry.message}`)))) : null,
    ].filter(Boolean));
    summary.focus();
  }

  function missingTitle(count) {
    return t('audit.missing_title', { count });
  }

  // A merge notice stays up until the auditor next saves; the 'saved' event that
  // follows the merge must not replace it with the plain saved line.
  let keepNotice = false;

  function setBanner(kind, ...content) {
    banner.className = `banner ${kind}`;
    banner.replaceChildren(...content);
    banner.hidden = content.length === 0;
  }

  async function saveDraft() {
    keepNotice = false;
    setBanner('info', navigator.onLine ? t('audit.draft_sending') : t('audit.draft_later'));
    await persist();
    await store.enqueue(uuid, 'save');
    outbox.run();
  }

  async function submit() {
    const { missing } = form.refresh();
    const dateError = dayProblem(visitInput.value);
    if (dateError) {
      setDateError(dateError);
      visitInput.focus();
      return;
    }
    if (missing.length) {
      const list = form.showErrors({}, missing);
      form.markGaps(true);
      showSummary(missingTitle(missing.length), list, missing);
      return;
    }
    form.showErrors({}, []);
    form.markGaps(false);
    summary.hidden = true;
    if (checkIn && !checkOut) {
      // Checked in but not out: the reading is taken now (no prompt: the
      // permission was given or refused at check-in), whatever it gives.
      setBanner('info', t('audit.checking_out'));
      await keepCheck('checkOut', await readPosition({ timeout: 10_000 }), { send: false });
    }
    const now = new Date().toISOString();
    startedAt ??= now;
    await persist((r) => {
      r.state = 'queued';
      r.finishedAt = now;
      r.problem = null;
    });
    await store.enqueue(uuid, 'submit');
    outbox.run();
    ctx.refreshStatus();
    await rerender(); // read-only while waiting
    window.scrollTo(0, 0); // the "Waiting to send" banner is at the top
  }

  async function rerender() {
    if (disposed) return;
    dispose();
    const next = await renderAudit(container, ctx, uuid);
    Object.assign(view, next);
  }

  function confirmDiscard() {
    return new Promise((resolve) => {
      const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'discard-title', 'aria-describedby': 'discard-text' },
        h('h2', { id: 'discard-title' }, t('discard.title')),
        h('p', { id: 'discard-text' }, t('discard.text')),
        h('div', { class: 'dialog-buttons' },
          h('button', { type: 'button', class: 'primary', onclick: () => dialog.close('keep') }, t('discard.keep')),
          h('button', { type: 'button', class: 'danger', onclick: () => dialog.close('discard') }, t('discard.confirm'))));
      dialog.addEventListener('close', () => {
        dialog.remove();
        resolve(dialog.returnValue === 'discard');
      });
      document.body.append(dialog);
      dialog.showModal();
    });
  }

  async function discard() {
    if (!(await confirmDiscard())) return;
    await writing;
    dispose();
    if (await store.discardAudit(uuid)) outbox.run();
    ctx.refreshStatus();
    ctx.navigate('#/');
  }

  // --- proof of visit: check in on arrival, check out when leaving

  let checkIn = record.checkIn ?? null;
  let checkOut = record.checkOut ?? null;
  let visitBusy = false;
  let visitFailure = null; // { key, reading } of the last reading that gave no position
  const visitPanel = h('section', { class: 'panel visit-check', 'aria-labelledby': 'visit-check-title' });

  /** Keep a check on the phone; the outbox sends it (now, or once back online). */
  async function keepCheck(key, reading, { send = true } = {}) {
    const check = reading.permission
      ? { permission: reading.permission, time: reading.time, sent: false }
      : {
        latitude: reading.latitude, longitude: reading.longitude, accuracy: reading.accuracy, time: reading.time, sent: false,
      };
    if (key === 'checkIn') checkIn = check;
    else checkOut = check;
    visitFailure = null;
    startedAt ??= new Date().toISOString();
    await persist((r) => { r[key] = check; });
    drawVisit();
    if (send) {
      await store.enqueue(uuid, 'save');
      outbox.run();
    }
    return check;
  }

  async function takeReading(key) {
    visitBusy = true;
    visitFailure = null;
    drawVisit();
    const reading = await readPosition();
    visitBusy = false;
    if (disposed) return;
    if (reading.permission) {
      visitFailure = { key, reading };
      drawVisit();
      visitPanel.querySelector('.error')?.focus();
      return;
    }
    await keepCheck(key, reading);
  }

  function drawVisit() {
    const parts = [h('h2', { id: 'visit-check-title' }, checkIn ? t('visit.yours') : t('visit.arrival'))];
    if (checkIn) parts.push(h('p', { class: 'check-line done' }, describeCheck('visit.checked_in', checkIn)));
    if (checkOut) {
      parts.push(h('p', { class: 'check-line done' }, describeCheck('visit.checked_out', checkOut)));
      const minutes = minutesOnSite(checkIn, checkOut);
      if (minutes !== null) parts.push(h('p', { class: 'help' }, t('visit.minutes', { count: minutes })));
    }
    const failure = visitFailure;
    if (readOnly) {
      if (!checkIn) parts.push(h('p', { class: 'help' }, t('visit.no_check_in')));
    } else if (visitBusy) {
      parts.push(h('p', { class: 'check-busy', role: 'status' }, t('visit.finding')));
    } else if (failure) {
      parts.push(
        h('p', { class: 'error', role: 'alert', tabindex: '-1' }, failureWords(failure.reading)),
        h('div', { class: 'check-buttons' },
          h('button', { type: 'button', class: 'primary', onclick: () => takeReading(failure.key) }, t('visit.try_again')),
          h('button', { type: 'button', class: 'secondary', onclick: () => keepCheck(failure.key, failure.reading) },
            t('visit.without_location'))),
      );
    } else if (!checkIn) {
      parts.push(
        h('p', {}, t('visit.check_in_help')),
        h('button', { type: 'button', class: 'primary wide', onclick: () => takeReading('checkIn') }, t('visit.check_in')),
      );
    } else if (!checkOut) {
      parts.push(
        h('p', { class: 'help' }, t('visit.check_out_help')),
        h('button', { type: 'button', class: 'secondary wide', onclick: () => takeReading('checkOut') }, t('visit.check_out')),
      );
    }
    visitPanel.replaceChildren(...parts);
  }
  drawVisit();

  // --- the visit date

  const dateError = h('p', { class: 'error', id: uid('visit-date-error'), hidden: true });
  const visitInput = h('input', {
    type: 'date', id: 'visit-date', value: visitDay, max: localDay(), min: earliest,
    disabled: readOnly, 'aria-describedby': `${dateError.id}`, required: true,
  });
  function setDateError(message) {
    dateError.textContent = message ?? '';
    dateError.hidden = !message;
    if (message) visitInput.setAttribute('aria-invalid', 'true');
    else visitInput.removeAttribute('aria-invalid');
  }
  visitInput.addEventListener('change', () => {
    const problem = dayProblem(visitInput.value);
    setDateError(problem);
    if (problem) return;
    startedAt ??= new Date().toISOString();
    persist((r) => { r.visitDate = visitInput.value; });
  });
  const datePanel = h('div', { class: 'field visit-date' },
    h('label', { for: 'visit-date' }, t('audit.date_label')),
    visitInput, dateError,
    h('p', { class: 'help' }, earliest ? t('audit.date_help_assigned', { day: dayInWords(earliest) }) : t('audit.date_help')));

  // --- layout

  const problem = record.problem;
  // Items head office wrote a note on, in the order of the journey.
  const noted = record.serverStatus === 'returned'
    ? record.checklist.sections.flatMap((sec) => sec.items.map((i) => i.id))
      .filter((id) => (record.itemNotes ?? {})[id])
    : [];
  if (conflict) {
    setBanner('problem', h('strong', {}, `${t('home.conflict_link')}. `),
      `${t('audit.conflict_text')} `,
      h('a', { href: `#/conflict/${uuid}`, class: 'button primary banner-action' }, t('home.review')));
  } else if (readOnly) {
    setBanner('waiting', h('strong', {}, `${t('audit.waiting')} `),
      navigator.onLine ? t('audit.sending_now') : t('audit.offline_queued'));
  } else if (problem) {
    setBanner('problem', h('strong', {}, `${t('audit.not_sent')} `), problem.note ? t(problem.note.key, problem.note.params) : problem.message);
  } else if (record.serverStatus === 'returned' && (record.reviewNote || noted.length)) {
    setBanner('problem', h('strong', {}, t('audit.returned')),
      record.reviewNote ? t('audit.returned_note', { note: record.reviewNote }) : '.',
      noted.length ? h('p', {}, `${t('audit.noted', { count: noted.length })} `,
      h('button', { type: 'button', class: 'link', onclick: () => form.goToItem(noted[0]) },
        t('audit.go_first'))) : null);
  } else {
    setBanner('info');
  }

  const actions = readOnly ? null : h('div', { class: 'action-bar' },
    h('p', { class: 'action-status' }, progressLine, savedLine),
    h('div', { class: 'action-buttons' },
      h('button', { type: 'button', class: 'secondary', onclick: saveDraft }, t('audit.save_draft')),
      h('button', { type: 'button', class: 'primary', onclick: submit }, t('audit.submit'))));

  container.replaceChildren(h('div', { class: 'audit' },
    h('p', { class: 'back' }, h('a', { href: '#/' }, `‹ ${t('nav.your_visits')}`)),
    h('h1', {}, record.checklistTitle),
    h('p', { class: 'lead' }, record.locationName,
      startedAt ? h('span', { class: 'muted' }, t('audit.started', { when: when(startedAt) })) : null),
    banner,
    record.address ? h('p', { class: 'visit-address' }, mapLink(record.address)) : null,
    visitPanel,
    h('details', { class: 'scenario', open: Object.keys(answers).length === 0 },
      h('summary', {}, record.assignmentNotes ? t('audit.assignment_and_scenario') : t('audit.scenario')),
      record.assignmentNotes ? h('div', { class: 'instructions' },
        h('p', { class: 'instructions-title' }, t('audit.assignment')), h('p', {}, record.assignmentNotes)) : null,
      paragraphs(record.checklist.scenario ?? t('audit.no_scenario'))),
    datePanel,
    form.nav,
    h('p', { class: 'count-note muted' }, t('audit.count_note')),
    h('form', { novalidate: true, class: 'audit-form', onsubmit: (e) => e.preventDefault() }, form.element),
    summary,
    readOnly ? null : h('p', { class: 'discard' },
      h('button', { type: 'button', class: 'danger-link', onclick: discard }, t('audit.discard'))),
    actions));
  updateProgress();
  const onServer = Number.isInteger(record.serverRevision) && record.rev <= (record.syncedRev ?? 0);
  savedLine.textContent = onServer ? t('audit.saved_server')
    : record.updatedAt && record.rev > 0 ? t('audit.saved_phone', { when: when(record.updatedAt) }) : '';
  savedLine.dataset.where = onServer ? 'server' : 'phone';

  if (problem && (Object.keys(problem.fields ?? {}).length || problem.missing?.length)) {
    const list = form.showErrors(problem.fields, problem.missing);
    form.markGaps(Boolean(problem.missing?.length));
    showSummary(problem.missing?.length ? missingTitle(problem.missing.length) : t('audit.server_check'), list, problem.missing ?? []);
  }

  // --- outbox events about this visit
  const onSent = (event) => {
    if (event.detail.uuid === uuid) ctx.navigate(`#/done/${uuid}`, { result: event.detail.result });
  };
  const onRejected = (event) => { if (event.detail.uuid === uuid) rerender(); };
  // Just saved or submitted and refused because of another device: compare now.
  const onConflict = (event) => { if (event.detail.uuid === uuid) ctx.navigate(`#/conflict/${uuid}`); };
  const onRetry = (event) => {
    if (event.detail.uuid !== uuid || !readOnly) return;
    setBanner('waiting', h('strong', {}, `${t('audit.waiting')} `), t('audit.no_connection_queued'));
  };
  const onSaved = async (event) => {
    if (event.detail.uuid !== uuid || readOnly) return;
    if (!keepNotice) setBanner('info', t('audit.draft_saved_both'));
    const fresh = await store.getAudit(uuid);
    // Typed on meanwhile: those changes are on the phone only, until the next send.
    if (fresh && fresh.rev <= (fresh.syncedRev ?? 0) && !disposed) {
      savedLine.textContent = t('audit.saved_server_at', { when: when(new Date()) });
      savedLine.dataset.where = 'server';
    }
  };
  // Merged with another device's changes without a choice to make: show the merge.
  const onMerged = async (event) => {
    if (event.detail.uuid !== uuid) return;
    await rerender();
    view.notice?.(t('audit.merged'));
  };
  outbox.addEventListener('sent', onSent);
  outbox.addEventListener('rejected', onRejected);
  outbox.addEventListener('retry', onRetry);
  outbox.addEventListener('saved', onSaved);
  outbox.addEventListener('conflict', onConflict);
  outbox.addEventListener('merged', onMerged);

  function dispose() {
    disposed = true;
    outbox.removeEventListener('sent', onSent);
    outbox.removeEventListener('rejected', onRejected);
    outbox.removeEventListener('retry', onRetry);
    outbox.removeEventListener('saved', onSaved);
    outbox.removeEventListener('conflict', onConflict);
    outbox.removeEventListener('merged', onMerged);
    for (const url of urls.values()) URL.revokeObjectURL(url);
    urls.clear();
  }

  const view = {
    dispose,
    settled: () => writing,
    notice(text) {
      keepNotice = true;
      setBanner('info', h('strong', {}, text), ` ${t('audit.merged_detail')}`);
    },
  };
  // A queued visit that is already known to be stuck offline says so at once.
  if (readOnly && !conflict && navigator.onLine) outbox.run();
  return view;
}

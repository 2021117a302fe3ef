// One visit: the scenario, the checklist form, photos, "Save draft" and "Submit".
// Every change is written to the phone at once; "Save draft" and "Submit"
// put the visit in the outbox, which sends it whenever there is a connection.

import { api, ApiError, request } from '../api.js';
import { h, when } from '../dom.js';
import { AuditForm } from '../form.js';
import { PhotoReadError, preparePhoto } from '../photos.js';
import { loadChecklist } from '../reference.js';

/** A visit started on another device (or returned by HQ): bring it onto this phone. */
async function importServerAudit(store, uuid) {
  const audit = await api.audit(uuid);
  const checklist = await loadChecklistVersion(store, audit.checklist, audit.checklist_hash);
  const record = {
    uuid,
    checklistId: audit.checklist,
    checklistHash: audit.checklist_hash ?? checklist.hash ?? null,
    checklistTitle: audit.checklist_title ?? checklist.title,
    checklist,
    location: audit.location,
    locationName: audit.location_name ?? audit.location,
    assignment: null,
    answers: audit.answers ?? {},
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
    // What every later write names in If-Match (outbox.js).
    serverRevision: Number.isInteger(audit.revision) ? audit.revision : null,
    conflict: null,
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

async function loadChecklistVersion(store, id, hash) {
  const kept = await store.getMeta(`checklist:${id}`);
  if (kept && (!hash || kept.hash === hash)) return kept;
  if (!hash) return loadChecklist(store, id);
  // The exact version the audit is pinned to; not kept as "the current one".
  return request('GET', `/api/checklists/${encodeURIComponent(id)}?hash=${encodeURIComponent(hash)}`);
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
    } catch (error) {
      if (ctx.handleError(error)) return {};
      const message = error instanceof ApiError && error.status === 404
        ? 'This visit was not found.'
        : 'This visit is not on this phone, and the server cannot be reached right now.';
      container.replaceChildren(h('div', { class: 'panel' }, h('h1', {}, 'Visit not found'),
        h('p', {}, message), h('p', {}, h('a', { href: '#/' }, 'Back to your visits'))));
      return {};
    }
  }

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
  const progressLine = h('span', { class: 'progress-line' });
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
      savedLine.textContent = `Saved on this phone ${when(new Date())}`;
    }, (error) => {
      savedLine.textContent = 'Could not save on this phone! Free some space, then try again.';
      console.error(error);
    });
    return writing;
  }

  const form = new AuditForm({
    checklist: record.checklist,
    answers,
    photos,
    readOnly,
    photoSrc,
    onAnswer() {
      startedAt ??= new Date().toISOString();
      persist();
      updateProgress();
    },
    async onAddPhotos(itemId, files) {
      form.setPhotoStatus(itemId, files.length > 1 ? 'Preparing photos…' : 'Preparing photo…');
      try {
        for (const file of files) {
          const { blob, thumb } = await preparePhoto(file);
          await store.putPhoto({
            uuid: crypto.randomUUID(), audit: uuid, item: itemId, blob, thumb, sent: false, created: Date.now(),
          });
        }
        form.setPhotoStatus(itemId, files.length > 1 ? 'Photos added.' : 'Photo added.');
      } catch (error) {
        form.setPhotoStatus(itemId, error instanceof PhotoReadError ? error.message
          : 'The photo could not be saved on this phone. Free some space, then try again.');
      }
      startedAt ??= new Date().toISOString();
      await persist();
      await reloadPhotos();
    },
    async onRemovePhoto(photo) {
      await store.removePhoto(photo.uuid);
      URL.revokeObjectURL(urls.get(photo.uuid));
      urls.delete(photo.uuid);
      form.setPhotoStatus(photo.item, 'Photo removed.');
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
    const { answered, total, missing } = form.state;
    progressLine.textContent = `${answered} of ${total} answered`
      + (missing.length ? ` · ${missing.length} required left` : ' · ready to submit');
  }

  function showSummary(title, list, role = 'alert') {
    summary.hidden = false;
    summary.setAttribute('role', role);
    summary.replaceChildren(
      h('h2', {}, title),
      h('ul', {}, list.map((entry) => h('li', {},
        entry.itemId
          ? h('button', { type: 'button', class: 'link', onclick: () => form.goToItem(entry.itemId) },
            entry.text)
          : h('span', {}, entry.field ? `${entry.field}: ` : ''),
        h('span', { class: 'summary-message' }, ` — ${entry.message}`)))));
    summary.focus();
  }

  function setBanner(kind, ...content) {
    banner.className = `banner ${kind}`;
    banner.replaceChildren(...content);
    banner.hidden = content.length === 0;
  }

  async function saveDraft() {
    setBanner('info', navigator.onLine
      ? 'Draft saved on this phone. Sending it to head office…'
      : 'Draft saved on this phone. It will be sent when you are back online.');
    await persist();
    await store.enqueue(uuid, 'save');
    outbox.run();
  }

  async function submit() {
    const { missing } = form.refresh();
    if (missing.length) {
      const list = form.showErrors({}, missing);
      showSummary(`Please answer ${missing.length === 1 ? 'this item' : `these ${missing.length} items`} first`, list);
      return;
    }
    form.showErrors({}, []);
    summary.hidden = true;
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

  // --- layout

  const problem = record.problem;
  if (conflict) {
    setBanner('problem', h('strong', {}, 'Changed on another device — review the differences. '),
      'Your answers are kept on this phone and are not sent until you have compared them with the server’s. ',
      h('a', { href: `#/conflict/${uuid}`, class: 'button primary banner-action' }, 'Review the differences'));
  } else if (readOnly) {
    setBanner('waiting', h('strong', {}, 'Waiting to send. '),
      navigator.onLine
        ? 'Sending your visit now…'
        : 'You are offline. Your visit is saved on this phone and will be sent by itself when you are back online. You can close the app.');
  } else if (problem) {
    setBanner('problem', h('strong', {}, 'Not sent yet. '), problem.message);
  } else if (record.serverStatus === 'returned' && record.reviewNote) {
    setBanner('problem', h('strong', {}, 'Head office returned this visit: '), record.reviewNote);
  } else {
    setBanner('info');
  }

  const actions = readOnly ? null : h('div', { class: 'action-bar' },
    h('p', { class: 'action-status' }, progressLine, savedLine),
    h('div', { class: 'action-buttons' },
      h('button', { type: 'button', class: 'secondary', onclick: saveDraft }, 'Save draft'),
      h('button', { type: 'button', class: 'primary', onclick: submit }, 'Submit')));

  container.replaceChildren(h('div', { class: 'audit' },
    h('p', { class: 'back' }, h('a', { href: '#/' }, '‹ Your visits')),
    h('h1', {}, record.checklistTitle),
    h('p', { class: 'lead' }, record.locationName,
      startedAt ? h('span', { class: 'muted' }, ` · started ${when(startedAt)}`) : null),
    banner,
    h('details', { class: 'scenario', open: Object.keys(answers).length === 0 },
      h('summary', {}, 'Your scenario'),
      paragraphs(record.checklist.scenario ?? 'No scenario for this checklist.')),
    form.nav,
    h('form', { novalidate: true, class: 'audit-form', onsubmit: (e) => e.preventDefault() }, form.element),
    summary,
    actions));
  updateProgress();
  savedLine.textContent = record.updatedAt ? `Saved on this phone ${when(record.updatedAt)}` : '';

  if (problem && (Object.keys(problem.fields ?? {}).length || problem.missing?.length)) {
    const list = form.showErrors(problem.fields, problem.missing);
    showSummary('The server asked you to check these', list, 'alert');
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
    setBanner('waiting', h('strong', {}, 'Waiting to send. '),
      'No connection right now. Your visit is saved on this phone and will be sent by itself. You can close the app.');
  };
  const onSaved = (event) => {
    if (event.detail.uuid === uuid && !readOnly) setBanner('info', 'Draft saved on this phone and on the server.');
  };
  outbox.addEventListener('sent', onSent);
  outbox.addEventListener('rejected', onRejected);
  outbox.addEventListener('retry', onRetry);
  outbox.addEventListener('saved', onSaved);
  outbox.addEventListener('conflict', onConflict);

  function dispose() {
    disposed = true;
    outbox.removeEventListener('sent', onSent);
    outbox.removeEventListener('rejected', onRejected);
    outbox.removeEventListener('retry', onRetry);
    outbox.removeEventListener('saved', onSaved);
    outbox.removeEventListener('conflict', onConflict);
    for (const url of urls.values()) URL.revokeObjectURL(url);
    urls.clear();
  }

  const view = { dispose };
  // A queued visit that is already known to be stuck offline says so at once.
  if (readOnly && !conflict && navigator.onLine) outbox.run();
  return view;
}

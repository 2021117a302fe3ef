// The durable outbox: audits waiting to reach the server, replayed in order.
//
// For each entry: PUT the audit, POST its check-in (proof of visit, visit.js),
// delete photos removed since, PUT every photo not yet acknowledged, POST its
// check-out, then (for a submit) POST submit: the server receives the check-in
// before the photos taken after it, and both checks before the submit that
// computes the visit's trust score. Only when the server
// has acknowledged the audit and all of its photos does the record leave the
// device. A network failure, 408, 429 or 5xx puts the entry back at the front
// of the queue with capped exponential backoff; other 4xx are permanent and
// are handed to the auditor (answers to fix, a photo to replace).
//
// Every write names the server revision the phone's copy is based on
// (If-Match). A 412 means the audit changed on the server meanwhile: it is
// not retried; the entry stays queued, marked "conflict", with the server's
// audit kept beside the phone's until the auditor chooses (views/conflict.js).
// A 412 that is only the echo of this phone's own earlier write (its answer
// was lost on the way back) is settled here, without asking, and so is one
// whose three-way merge (merge.js) needs no choice: items changed only on the
// server are taken, the phone's own changes kept, and the merge is sent.
//
// A discarded visit is deleted on the server (DELETE, If-Match); whatever the
// server answers, the phone lets go of it: a copy the server keeps (changed
// elsewhere, or already HQ's) shows again from the server's list.

import { api, ApiError, NetworkError } from './api.js';
import { backoffDelay } from './backoff.js';
import { localDay } from './dom.js';
import { t } from './i18n.js';
import { answersKey, EDITABLE, photoChanges, sameAnswers, threeWay } from './merge.js';
import { checkBody } from './visit.js';

// When another tab holds the send lock, look again after this long.
const LOCK_RETRY_MS = 5_000;
// Results kept on the device so a scorecard can be shown again offline.
const KEEP_RESULTS = 20;
// Answers sent without an answer back, remembered to recognise our own write
// in a 412; a handful covers a long run of lost responses.
const KEEP_UNACKNOWLEDGED = 5;

/** The body of PUT /api/audits/{uuid} (and of submit). */
export function auditPayload(record) {
  const payload = { checklist: record.checklistId, location: record.location, answers: record.answers };
  // Pins the audit to the version the auditor saw, even if HQ changed it while offline.
  if (record.checklistHash) payload.checklist_hash = record.checklistHash;
  const visited = visitedAt(record);
  if (visited) payload.visited_at = visited;
  const dates = Object.entries(record.touchpointDates ?? {}).filter(([, day]) => day);
  if (dates.length) payload.touchpoint_dates = Object.fromEntries(dates);
  if (record.startedAt) payload.started_at = record.startedAt;
  if (record.finishedAt) payload.finished_at = record.finishedAt;
  // Links the audit to the assignment it was started from (HQ sees it follow the audit).
  if (record.assignment) payload.assignment = record.assignment;
  return payload;
}

/**
 * The visit's moment: when the form was first touched, unless the auditor set
 * another day (then that day alone: the server takes a date as that day).
 */
export function visitedAt(record) {
  const touched = record.startedAt ?? record.createdAt;
  if (record.visitDate && record.visitDate !== localDay(touched)) return record.visitDate;
  return touched;
}

/**
 * Words for the auditor about a permanent failure, as a catalogue key and its
 * parameters (kept with the visit, so they read in whatever language is shown later).
 */
export function describeFailure(error) {
  if (error.photo) {
    return { key: 'outbox.photo_refused', params: { item: error.photo.itemText ?? error.photo.item, message: error.message } };
  }
  if (error.status === 422) return { key: 'outbox.check_answers', params: {} };
  if (error.status === 409) return { key: 'outbox.already_sent', params: {} };
  if (error.status === 404) return { key: 'outbox.unknown', params: {} };
  return { key: 'outbox.refused', params: { message: error.message } };
}

function isAuthError(error) {
  return error instanceof ApiError && (error.status === 401 || error.status === 403);
}

/** The server's revision in a 412: its body, else its ETag (api.js copies that into the body). */
function conflictRevision(error) {
  const revision = error.body?.revision ?? error.body?.audit?.revision;
  return Number.isInteger(revision) ? revision : null;
}

function isTransient(error) {
  return error instanceof NetworkError || (error instanceof ApiError && error.transient);
}

export class Outbox extends EventTarget {
  /**
   * store: the signed-in auditor's store; lockName: one sender per auditor
   * across tabs; refreshSession(): true when the session is still good (it
   * also renews the CSRF token).
   */
  constructor(store, { lockName, refreshSession }) {
    super();
    this.store = store;
    this.lockName = lockName;
    this.refreshSession = refreshSession;
    this.running = false;
    this.again = false;
    this.stopped = false;
    this.blocked = false; // needs the auditor to sign in again
    this.timer = null;
    this.current = null; // uuid being sent
    this.onOnline = () => this.kick();
    this.onVisible = () => {
      if (document.visibilityState === 'visible') this.run();
    };
  }

  start() {
    window.addEventListener('online', this.onOnline);
    document.addEventListener('visibilitychange', this.onVisible);
    this.run();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    window.removeEventListener('online', this.onOnline);
    document.removeEventListener('visibilitychange', this.onVisible);
  }

  /** Try everything now: the connection is back or the auditor asked. */
  async kick() {
    this.blocked = false;
    for (const entry of await this.store.outbox()) {
      if (entry.nextAt) await this.store.updateEntry(entry.uuid, (e) => { e.nextAt = 0; });
    }
    return this.run();
  }

  async run() {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    clearTimeout(this.timer);
    this.emit('change');
    let lockHeld = true;
    try {
      const drain = async () => {
        do {
          this.again = false;
          await this.drain();
        } while (this.again && !this.stopped);
      };
      if (navigator.locks) {
        await navigator.locks.request(this.lockName, { ifAvailable: true }, async (lock) => {
          if (!lock) {
            lockHeld = false;
            return;
          }
          await drain();
        });
      } else {
        await drain();
      }
    } finally {
      this.running = false;
      this.current = null;
    }
    await this.schedule(lockHeld);
    this.emit('change');
  }

  async schedule(lockHeld) {
    if (this.stopped || this.blocked) return;
    const entries = (await this.store.outbox()).filter((e) => !e.conflict);
    if (!entries.length) return;
    const now = Date.now();
    const wait = lockHeld
      ? Math.max(0, Math.min(...entries.map((e) => e.nextAt || now)) - now)
      : LOCK_RETRY_MS;
    // Offline: the 'online' event will kick us; keep a slow timer in case it lies.
    this.timer = setTimeout(() => this.run(), navigator.onLine ? wait : Math.max(wait, LOCK_RETRY_MS));
  }

  async drain() {
    for (const entry of await this.store.outbox()) {
      if (this.stopped || this.blocked) return;
      if (entry.conflict) continue; // waits for the auditor, not for the network
      if (entry.nextAt && entry.nextAt > Date.now()) return; // the head waits; keep the order
      if (!navigator.onLine) return;
      this.current = entry.uuid;
      this.emit('change');
      const outcome = await this.sendWithAuthRetry(entry);
      if (outcome === 'stop') return;
    }
  }

  async sendWithAuthRetry(entry) {
    let settled = false;
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.send(entry);
        return 'sent';
      } catch (error) {
        if (error instanceof ApiError && error.status === 412) {
          // Once only: a server that keeps answering 412 goes to the auditor.
          if (!settled && (await this.settleAlone(entry, error))) {
            settled = true;
            continue;
          }
          if (!settled && (await this.mergeAlone(entry, error))) {
            this.again = true; // the merged entry is queued anew: the next pass sends it
            return 'merged';
          }
          await this.conflict(entry, error);
          return 'conflict';
        }
        if (isAuthError(error)) {
          if (attempt === 0 && (await this.refreshSession())) continue;
          this.blocked = true;
          this.emit('auth');
          return 'stop';
        }
        if (isTransient(error)) {
          await this.store.updateEntry(entry.uuid, (e) => {
            e.attempts = (e.attempts ?? 0) + 1;
            e.nextAt = Date.now() + Math.max(backoffDelay(e.attempts), (error.retryAfter ?? 0) * 1000);
            e.lastError = error.message;
          });
          this.emit('retry', { uuid: entry.uuid, error });
          return 'stop';
        }
        await this.reject(entry, error);
        return 'rejected';
      }
    }
  }

  /**
   * A 412 that needs no choice: the server's answers are the phone's own (now
   * or as sent earlier without an answer back), or the server no longer has
   * the audit. Take the server's revision and send again; true if so.
   */
  async settleAlone(entry, error) {
    const server = error.body?.audit ?? null;
    const revision = conflictRevision(error);
    const record = await this.store.getAudit(entry.uuid);
    if (!record) return false;
    let alone;
    if (server === null) {
      alone = Number.isInteger(record.serverRevision); // send it again as new
    } else {
      const ours = sameAnswers(server.answers, record.answers)
        || (record.unacknowledged ?? []).includes(answersKey(server.answers));
      alone = ours && revision !== record.serverRevision
        && (EDITABLE.has(server.status) || entry.intent === 'submit');
    }
    if (!alone) return false;
    await this.store.updateAudit(entry.uuid, (r) => {
      r.serverRevision = server ? revision : null;
      r.base = server ? structuredClone(server.answers ?? {}) : null;
    });
    return true;
  }

  /**
   * A 412 whose three-way merge needs no choice: nothing was changed on both
   * sides to different answers. The merge is queued with the server's
   * revision; true if so.
   */
  async mergeAlone(entry, error) {
    const server = error.body?.audit ?? null;
    const record = await this.store.getAudit(entry.uuid);
    if (!server || !record || !EDITABLE.has(server.status) || record.base == null) return false;
    const { merged, conflicts, taken } = threeWay(record.checklist, record.base, record.answers, server.answers);
    if (conflicts.length) return false;
    const photos = photoChanges(await this.store.photosOf(entry.uuid), server.photos, record.deletedPhotos);
    await this.store.resolveConflict(entry.uuid, (r) => {
      r.answers = merged;
      r.base = structuredClone(server.answers ?? {});
      r.serverRevision = conflictRevision(error);
      r.serverStatus = server.status;
      r.reviewNote = server.review_note || r.reviewNote;
      r.unacknowledged = [];
      r.rev += 1;
      r.mergedAt = new Date().toISOString();
    }, entry.intent, photos);
    this.emit('merged', { uuid: entry.uuid, taken });
    return true;
  }

  /** Keep everything, mark the entry, and let the auditor compare (nothing is dropped). */
  async conflict(entry, error) {
    const server = error.body?.audit ?? null;
    if (server === null) {
      await this.reject(entry, error);
      return;
    }
    await this.store.markConflict(entry.uuid, {
      server,
      revision: conflictRevision(error),
      intent: entry.intent,
      at: new Date().toISOString(),
      message: error.message,
    });
    this.emit('conflict', { uuid: entry.uuid });
  }

  async reject(entry, error) {
    await this.store.updateAudit(entry.uuid, (record) => {
      record.state = 'draft';
      record.finishedAt = null;
      record.problem = {
        status: error.status ?? null,
        note: describeFailure(error),
        fields: error.fields ?? {},
        missing: error.missing ?? [],
      };
    });
    await this.store.removeEntry(entry.uuid, entry.token);
    this.emit('rejected', { uuid: entry.uuid, error });
  }

  async send(entry) {
    const { uuid } = entry;
    const record = await this.store.getAudit(uuid);
    if (!record) {
      await this.store.removeEntry(uuid, entry.token);
      return;
    }
    if (entry.intent === 'discard') {
      await this.discard(entry, record);
      return;
    }
    const payload = auditPayload(record);
    let revision = Number.isInteger(record.serverRevision) ? record.serverRevision : null;
    let alreadySubmitted = false;
    await this.noteAttempt(record, payload.answers);
    try {
      revision = await this.noteRevision(uuid, await api.saveAudit(uuid, payload, revision), revision);
    } catch (error) {
      // A submit acknowledged just before the phone died: the replay below
      // returns the same result, and the photos were all sent before it.
      if (entry.intent === 'submit' && error instanceof ApiError && error.status === 409) {
        alreadySubmitted = true;
      } else {
        throw error;
      }
    }
    if (!alreadySubmitted) {
      await this.sendCheck(uuid, record, 'checkIn');
      await this.sendPhotos(uuid, record, revision);
      await this.sendCheck(uuid, record, 'checkOut');
    }
    if (entry.intent === 'submit') {
      const result = await api.submitAudit(uuid, payload, revision);
      await this.keepResult(record, result);
      await this.store.forgetAudit(uuid);
      this.emit('sent', { uuid, result });
    } else {
      await this.store.updateAudit(uuid, (r) => {
        r.syncedRev = Math.max(r.syncedRev ?? 0, record.rev);
        r.problem = null;
      });
      await this.store.removeEntry(uuid, entry.token);
      this.emit('saved', { uuid });
    }
  }

  async discard(entry, record) {
    let kept = false;
    try {
      await api.discardAudit(record.uuid, Number.isInteger(record.serverRevision) ? record.serverRevision : undefined);
    } catch (error) {
      // 404: already gone. 409 / 412: the server's copy is HQ's, or newer than
      // this phone's; it stays there and the phone's copy goes.
      if (!(error instanceof ApiError && [404, 409, 412].includes(error.status))) throw error;
      kept = error.status !== 404;
    }
    await this.store.forgetAudit(record.uuid);
    this.emit('discarded', { uuid: record.uuid, kept });
  }

  /** Remember answers about to be sent until the server acknowledges them. */
  async noteAttempt(record, answers) {
    const key = answersKey(answers);
    if ((record.unacknowledged ?? []).includes(key)) return;
    await this.store.updateAudit(record.uuid, (r) => {
      r.unacknowledged = [...(r.unacknowledged ?? []), key].slice(-KEEP_UNACKNOWLEDGED);
    });
  }

  /** A 2xx for the audit: the server holds what was sent, at this revision. */
  async noteRevision(uuid, view, fallback) {
    const revision = Number.isInteger(view?.revision) ? view.revision : fallback;
    await this.store.updateAudit(uuid, (r) => {
      r.serverRevision = revision;
      r.unacknowledged = [];
      // The base of the next three-way merge: what the server holds at this revision.
      if (view?.answers && typeof view.answers === 'object') r.base = structuredClone(view.answers);
    });
    return revision;
  }

  /** A check-in or check-out kept on the phone and not yet acknowledged. */
  async sendCheck(uuid, record, key) {
    const check = record[key];
    if (!check || check.sent) return;
    try {
      await (key === 'checkIn' ? api.checkIn : api.checkOut)(uuid, checkBody(check));
    } catch (error) {
      // 409: the server keeps an earlier check of this visit (sent from here
      // with its answer lost, or from another device); the first one stands.
      if (!(error instanceof ApiError && error.status === 409)) throw error;
    }
    await this.store.updateAudit(uuid, (r) => {
      if (r[key]) r[key].sent = true;
    });
  }

  async sendPhotos(uuid, record, revision) {
    // Photos do not change the audit's revision: one If-Match serves them all.
    for (const photoUuid of record.deletedPhotos ?? []) {
      try {
        await api.deletePhoto(uuid, photoUuid, revision);
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) throw error;
      }
      await this.store.updateAudit(uuid, (r) => {
        r.deletedPhotos = (r.deletedPhotos ?? []).filter((p) => p !== photoUuid);
      });
    }
    const texts = new Map();
    for (const section of record.checklist.sections) {
      for (const item of section.items) texts.set(item.id, item.text);
    }
    for (const photo of await this.store.photosOf(uuid)) {
      if (photo.sent) continue;
      try {
        await api.putPhoto(uuid, photo.uuid, photo.item, photo.blob);
      } catch (error) {
        if (error instanceof ApiError && !error.transient && !isAuthError(error)) {
          error.photo = { ...photo, itemText: texts.get(photo.item) };
        }
        throw error;
      }
      await this.store.markPhotoSent(photo.uuid);
    }
  }

  async keepResult(record, result) {
    const results = (await this.store.getMeta('results')) ?? [];
    const kept = {
      uuid: record.uuid,
      status: result?.status ?? 'submitted',
      location: record.location,
      location_name: record.locationName,
      checklist: record.checklistId,
      checklist_title: record.checklistTitle,
      visited_at: visitedAt(record),
      overall: result?.scorecard?.overall ?? null,
      scorecard: result?.scorecard ?? null,
      sections: record.checklist.sections.map((s) => ({ id: s.id, title: s.title })),
      items: Object.fromEntries(
        record.checklist.sections.flatMap((s) => s.items.map((i) => [i.id, i.text])),
      ),
    };
    const next = [kept, ...results.filter((r) => r.uuid !== record.uuid)].slice(0, KEEP_RESULTS);
    await this.store.setMeta('results', next);
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

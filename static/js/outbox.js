// The durable outbox: audits waiting to reach the server, replayed in order.
//
// For each entry: PUT the audit, delete photos removed since, PUT every photo
// not yet acknowledged, then (for a submit) POST submit. Only when the server
// has acknowledged the audit and all of its photos does the record leave the
// device. A network failure, 408, 429 or 5xx puts the entry back at the front
// of the queue with capped exponential backoff; other 4xx are permanent and
// are handed to the auditor (answers to fix, a photo to replace).

import { api, ApiError, NetworkError } from './api.js';
import { backoffDelay } from './backoff.js';

// When another tab holds the send lock, look again after this long.
const LOCK_RETRY_MS = 5_000;
// Results kept on the device so a scorecard can be shown again offline.
const KEEP_RESULTS = 20;

/** The body of PUT /api/audits/{uuid} (and of submit). */
export function auditPayload(record) {
  const payload = { checklist: record.checklistId, location: record.location, answers: record.answers };
  // Pins the audit to the version the auditor saw, even if HQ changed it while offline.
  if (record.checklistHash) payload.checklist_hash = record.checklistHash;
  const visited = record.startedAt ?? record.createdAt;
  if (visited) payload.visited_at = visited;
  if (record.startedAt) payload.started_at = record.startedAt;
  if (record.finishedAt) payload.finished_at = record.finishedAt;
  return payload;
}

/** Words for the auditor about a permanent failure. */
export function describeFailure(error) {
  if (error.photo) {
    return `A photo for “${error.photo.itemText ?? error.photo.item}” was not accepted: ${error.message}. Remove it and add it again.`;
  }
  if (error.status === 422) return 'Some answers need another look before this visit can be sent.';
  if (error.status === 409) {
    return 'This visit was already sent with different answers. Please contact head office.';
  }
  if (error.status === 404) {
    return 'The server does not know this visit, its location or its checklist any more. Please contact head office.';
  }
  return `The server refused this visit: ${error.message}`;
}

function isAuthError(error) {
  return error instanceof ApiError && (error.status === 401 || error.status === 403);
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
    const entries = await this.store.outbox();
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
      if (entry.nextAt && entry.nextAt > Date.now()) return; // the head waits; keep the order
      if (!navigator.onLine) return;
      this.current = entry.uuid;
      this.emit('change');
      const outcome = await this.sendWithAuthRetry(entry);
      if (outcome === 'stop') return;
    }
  }

  async sendWithAuthRetry(entry) {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.send(entry);
        return 'sent';
      } catch (error) {
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

  async reject(entry, error) {
    await this.store.updateAudit(entry.uuid, (record) => {
      record.state = 'draft';
      record.finishedAt = null;
      record.problem = {
        status: error.status ?? null,
        message: describeFailure(error),
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
    const payload = auditPayload(record);
    let alreadySubmitted = false;
    try {
      await api.saveAudit(uuid, payload);
    } catch (error) {
      // A submit acknowledged just before the phone died: the replay below
      // returns the same result, and the photos were all sent before it.
      if (entry.intent === 'submit' && error instanceof ApiError && error.status === 409) {
        alreadySubmitted = true;
      } else {
        throw error;
      }
    }
    if (!alreadySubmitted) await this.sendPhotos(uuid, record);
    if (entry.intent === 'submit') {
      const result = await api.submitAudit(uuid, payload);
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

  async sendPhotos(uuid, record) {
    for (const photoUuid of record.deletedPhotos ?? []) {
      try {
        await api.deletePhoto(uuid, photoUuid);
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
      visited_at: record.startedAt ?? record.createdAt,
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

// IndexedDB, one database per signed-in auditor ("audit-<hash of email>"), so a
// second auditor on the same phone never sees or sends the first one's work.
//
//   audits  — drafts and submissions, keyed by the client-made audit uuid
//   photos  — resized photos and thumbnails, keyed by photo uuid (index: audit)
//   outbox  — what must reach the server, keyed by audit uuid, replayed by seq
//   meta    — cached reference data (locations, checklists, assignments)

const DB_VERSION = 1;
// Flush to disk before reporting success: a flat battery must not lose an answer.
const DURABLE = { durability: 'strict' };

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function openDatabase(name) {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore('audits', { keyPath: 'uuid' });
      db.createObjectStore('photos', { keyPath: 'uuid' }).createIndex('audit', 'audit');
      db.createObjectStore('outbox', { keyPath: 'uuid' }).createIndex('seq', 'seq');
      db.createObjectStore('meta');
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error('The app is open in another tab that must be closed'));
  });
}

export async function openStore(userKey) {
  const db = await openDatabase(`audit-${userKey}`);
  return new Store(db);
}

class Store {
  constructor(db) {
    this.db = db;
    // Another tab upgraded the schema: let it, and stop using this connection.
    db.onversionchange = () => db.close();
  }

  close() {
    this.db.close();
  }

  /** Run fn(stores) in one transaction; resolves with fn's result once committed. */
  transact(names, mode, fn) {
    return new Promise((resolve, reject) => {
      const tx = this.db.transaction(names, mode, mode === 'readwrite' ? DURABLE : undefined);
      const stores = Object.fromEntries(names.map((n) => [n, tx.objectStore(n)]));
      let result;
      Promise.resolve()
        .then(() => fn(stores))
        .then((value) => { result = value; }, (error) => {
          try {
            tx.abort();
          } catch {
            // already finished
          }
          reject(error);
        });
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('Saving on this phone failed'));
    });
  }

  // --- audits

  getAudit(uuid) {
    return this.transact(['audits'], 'readonly', (s) => done(s.audits.get(uuid)));
  }

  listAudits() {
    return this.transact(['audits'], 'readonly', (s) => done(s.audits.getAll()));
  }

  putAudit(record) {
    return this.transact(['audits'], 'readwrite', (s) => done(s.audits.put(record)));
  }

  /** Read-modify-write in one transaction, so concurrent writers never clobber each other. */
  updateAudit(uuid, change) {
    return this.transact(['audits'], 'readwrite', async (s) => {
      const record = await done(s.audits.get(uuid));
      if (!record) return undefined;
      change(record);
      await done(s.audits.put(record));
      return record;
    });
  }

  /** Everything about one audit leaves the device at once. */
  forgetAudit(uuid) {
    return this.transact(['audits', 'photos', 'outbox'], 'readwrite', async (s) => {
      const keys = await done(s.photos.index('audit').getAllKeys(uuid));
      for (const key of keys) s.photos.delete(key);
      s.outbox.delete(uuid);
      s.audits.delete(uuid);
    });
  }

  /**
   * The auditor discards a visit: its photos and queued work leave the phone
   * at once. If the server may have it (it answered, or a send went out), the
   * record stays, hidden, with an outbox entry to delete it there; otherwise
   * nothing is left. Resolves with whether the server must be told.
   */
  discardAudit(uuid) {
    return this.transact(['audits', 'photos', 'outbox'], 'readwrite', async (s) => {
      const record = await done(s.audits.get(uuid));
      const keys = await done(s.photos.index('audit').getAllKeys(uuid));
      for (const key of keys) s.photos.delete(key);
      const onServer = Boolean(record) && (Number.isInteger(record.serverRevision) || (record.unacknowledged ?? []).length > 0);
      if (!onServer) {
        s.outbox.delete(uuid);
        s.audits.delete(uuid);
        return false;
      }
      Object.assign(record, { discarded: true, conflict: null, problem: null, state: 'discarding' });
      await done(s.audits.put(record));
      const existing = await done(s.outbox.get(uuid));
      await done(s.outbox.put({
        uuid, seq: existing?.seq ?? Date.now() + Math.random(), intent: 'discard', token: crypto.randomUUID(),
        attempts: 0, nextAt: 0, lastError: null, conflict: false,
      }));
      return true;
    });
  }

  // --- photos

  photosOf(auditUuid) {
    return this.transact(['photos'], 'readonly', async (s) => {
      const photos = await done(s.photos.index('audit').getAll(auditUuid));
      return photos.sort((a, b) => a.created - b.created);
    });
  }

  putPhoto(photo) {
    return this.transact(['photos'], 'readwrite', (s) => done(s.photos.put(photo)));
  }

  /** Once the server has it, keep the thumbnail and drop the full-size image. */
  markPhotoSent(uuid) {
    return this.transact(['photos'], 'readwrite', async (s) => {
      const photo = await done(s.photos.get(uuid));
      if (!photo) return;
      photo.sent = true;
      photo.blob = null;
      await done(s.photos.put(photo));
    });
  }

  /** Removes a photo; one the server already has is remembered for deletion there. */
  removePhoto(uuid) {
    return this.transact(['photos', 'audits'], 'readwrite', async (s) => {
      const photo = await done(s.photos.get(uuid));
      if (!photo) return;
      s.photos.delete(uuid);
      if (photo.sent) {
        const record = await done(s.audits.get(photo.audit));
        if (record) {
          record.deletedPhotos = [...(record.deletedPhotos ?? []), uuid];
          record.rev += 1;
          await done(s.audits.put(record));
        }
      }
    });
  }

  // --- outbox

  /**
   * Queue an audit for sending. It keeps its place in the queue if already
   * there; a queued submit is never downgraded to a save. Each enqueue gets a
   * new token, so a send that started before it cannot remove it.
   */
  enqueue(uuid, intent) {
    return this.transact(['outbox'], 'readwrite', async (s) => {
      const existing = await done(s.outbox.get(uuid));
      const entry = existing ?? { uuid, seq: Date.now() + Math.random() };
      entry.intent = existing?.intent === 'discard' || existing?.intent === 'submit' ? existing.intent : intent;
      entry.token = crypto.randomUUID();
      entry.attempts = 0;
      entry.nextAt = 0;
      entry.lastError = null;
      await done(s.outbox.put(entry));
    });
  }

  /**
   * The server's audit changed meanwhile (a 412): the record keeps the
   * server's version beside the phone's, and the entry stays queued but is
   * not sent until the auditor has chosen (resolveConflict).
   */
  markConflict(uuid, conflict) {
    return this.transact(['audits', 'outbox'], 'readwrite', async (s) => {
      const record = await done(s.audits.get(uuid));
      const entry = await done(s.outbox.get(uuid));
      if (!record || !entry) return;
      record.conflict = conflict;
      entry.conflict = true;
      entry.attempts = 0;
      entry.nextAt = 0;
      entry.lastError = conflict.message ?? null;
      await done(s.audits.put(record));
      await done(s.outbox.put(entry));
    });
  }

  /**
   * The auditor's choice is made: change the record, take the server's photo
   * list ({add: [{uuid, item}], drop: [uuid]}) and send it again, in one step.
   */
  resolveConflict(uuid, change, intent, photos = { add: [], drop: [] }) {
    return this.transact(['audits', 'outbox', 'photos'], 'readwrite', async (s) => {
      const record = await done(s.audits.get(uuid));
      if (!record) return;
      change(record);
      record.conflict = null;
      await done(s.audits.put(record));
      let created = Date.now();
      for (const photo of photos.add) {
        created += 1;
        s.photos.put({
          uuid: photo.uuid, audit: uuid, item: photo.item, blob: null, thumb: null, sent: true, remote: true, created,
        });
      }
      for (const photoUuid of photos.drop) s.photos.delete(photoUuid);
      const existing = await done(s.outbox.get(uuid));
      const entry = existing ?? { uuid, seq: Date.now() + Math.random() };
      entry.intent = existing?.intent === 'submit' ? 'submit' : intent;
      Object.assign(entry, { conflict: false, token: crypto.randomUUID(), attempts: 0, nextAt: 0, lastError: null });
      await done(s.outbox.put(entry));
    });
  }

  /** The queue in order: oldest first. */
  outbox() {
    return this.transact(['outbox'], 'readonly', (s) => done(s.outbox.index('seq').getAll()));
  }

  updateEntry(uuid, change) {
    return this.transact(['outbox'], 'readwrite', async (s) => {
      const entry = await done(s.outbox.get(uuid));
      if (!entry) return undefined;
      change(entry);
      await done(s.outbox.put(entry));
      return entry;
    });
  }

  /** Removes the entry unless it was queued again (new token) meanwhile. */
  removeEntry(uuid, token) {
    return this.transact(['outbox'], 'readwrite', async (s) => {
      const entry = await done(s.outbox.get(uuid));
      if (entry && (token === undefined || entry.token === token)) s.outbox.delete(uuid);
    });
  }

  // --- meta

  getMeta(key) {
    return this.transact(['meta'], 'readonly', (s) => done(s.meta.get(key)));
  }

  setMeta(key, value) {
    return this.transact(['meta'], 'readwrite', (s) => done(s.meta.put(value, key)));
  }
}

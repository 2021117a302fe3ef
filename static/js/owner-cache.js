// What the owner has opened, kept on this phone so it reads offline.
//
// Each answer the portal shows (the locations, the report list, a report's
// data, its appeals) is stored in the owner's own IndexedDB database
// (store.js, "audit-owner-<hash of the e-mail>") when it arrives. Without a
// connection the last stored answer is shown instead, with the time it was
// fetched; something never opened on this phone cannot be shown offline.
// Signing out deletes the database (app.js): reports are private.

import { ApiError, NetworkError } from './api.js';

export class OwnerCache {
  constructor(store) {
    this.store = store;
  }

  /** {value, fresh, at}: from the server (and kept), or what was kept when it cannot answer. */
  async load(key, fetcher) {
    try {
      const value = await fetcher();
      const at = new Date().toISOString();
      await this.store.setMeta(`owner:${key}`, { value, at });
      return { value, fresh: true, at };
    } catch (error) {
      const unreachable = error instanceof NetworkError || (error instanceof ApiError && error.transient);
      if (!unreachable) throw error;
      const kept = await this.store.getMeta(`owner:${key}`);
      if (!kept) throw error;
      return { value: kept.value, fresh: false, at: kept.at };
    }
  }

  /** What was kept for ``key``, or null (no request made). */
  async kept(key) {
    const found = await this.store.getMeta(`owner:${key}`);
    return found ? found.value : null;
  }
}

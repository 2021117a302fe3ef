// Reference data (locations, checklists, assignments, the server's list of
// this auditor's audits): fresh from the server when it answers, otherwise
// the copy kept in the auditor's own store, so a visit can start offline.

import { api, ApiError, NetworkError } from './api.js';

function unreachable(error) {
  return error instanceof NetworkError || (error instanceof ApiError && error.transient);
}

/** {value, fresh}: the server's answer (then kept), else the kept copy. */
export async function cachedFetch(store, key, fetcher) {
  try {
    const value = await fetcher();
    await store.setMeta(key, value);
    return { value, fresh: true };
  } catch (error) {
    if (!unreachable(error)) throw error;
    return { value: (await store.getMeta(key)) ?? null, fresh: false };
  }
}

/** The full checklist; kept per id so a visit can be started with no signal. */
export async function loadChecklist(store, id, hash) {
  const kept = await store.getMeta(`checklist:${id}`);
  if (kept && (!hash || kept.hash === hash)) return kept;
  try {
    const checklist = await api.checklist(id);
    await store.setMeta(`checklist:${id}`, checklist);
    return checklist;
  } catch (error) {
    if (unreachable(error) && kept) return kept;
    throw error;
  }
}

/** Download every current checklist that changed, so they are all there offline. */
export async function prefetchChecklists(store, list) {
  for (const summary of list ?? []) {
    const kept = await store.getMeta(`checklist:${summary.id}`);
    if (kept && summary.hash && kept.hash === summary.hash) continue;
    try {
      await store.setMeta(`checklist:${summary.id}`, await api.checklist(summary.id));
    } catch {
      return; // offline again: try next time
    }
  }
}

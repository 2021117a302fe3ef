// Reference data (locations, checklists, assignments, the server's list of
// this auditor's audits): fresh from the server when it answers, otherwise
// the copy kept in the auditor's own store, so a visit can start offline.
//
// Checklists are fetched in the app's language (GET /api/checklists/ID?lang=);
// the kept copy notes the language it was asked in (`requestedLanguage`), so a
// change of language fetches them again, and offline the copy in the other
// language is used rather than none.

import { api, ApiError, NetworkError } from './api.js';
import { language } from './i18n.js';

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

function inLanguage(checklist) {
  return { ...checklist, requestedLanguage: language() };
}

/** The full checklist; kept per id so a visit can be started with no signal. */
export async function loadChecklist(store, id, hash) {
  const kept = await store.getMeta(`checklist:${id}`);
  if (kept && (!hash || kept.hash === hash) && kept.requestedLanguage === language()) return kept;
  try {
    const checklist = inLanguage(await api.checklist(id));
    await store.setMeta(`checklist:${id}`, checklist);
    return checklist;
  } catch (error) {
    if (unreachable(error) && kept && (!hash || kept.hash === hash)) return kept;
    throw error;
  }
}

/** The exact version an audit is pinned to (by its hash); not kept as "the current one". */
export async function loadChecklistVersion(store, id, hash) {
  if (!hash) return loadChecklist(store, id);
  const kept = await store.getMeta(`checklist:${id}`);
  if (kept && kept.hash === hash && kept.requestedLanguage === language()) return kept;
  try {
    return inLanguage(await api.checklist(id, hash));
  } catch (error) {
    if (unreachable(error) && kept && kept.hash === hash) return kept;
    throw error;
  }
}

/** Download every current checklist that changed, so they are all there offline. */
export async function prefetchChecklists(store, list) {
  for (const summary of list ?? []) {
    const kept = await store.getMeta(`checklist:${summary.id}`);
    if (kept && summary.hash && kept.hash === summary.hash && kept.requestedLanguage === language()) continue;
    try {
      await store.setMeta(`checklist:${summary.id}`, inLanguage(await api.checklist(summary.id)));
    } catch {
      return; // offline again: try next time
    }
  }
}

function itemIds(checklist) {
  return (checklist?.sections ?? []).flatMap((s) => s.items.map((i) => i.id)).join('\n');
}

/**
 * A visit's checklist in the app's language: the same version (its hash) with
 * the same items, so the answers, kept by item id, are untouched. Offline, or
 * when the server's copy differs in its items, the visit keeps the words it has.
 */
export async function relabel(store, record) {
  const hash = record.checklistHash ?? record.checklist?.hash ?? null;
  let fresh;
  try {
    fresh = await loadChecklistVersion(store, record.checklistId, hash);
  } catch {
    return record;
  }
  if (fresh.requestedLanguage !== language() || itemIds(fresh) !== itemIds(record.checklist)) return record;
  const change = (r) => {
    r.checklist = fresh;
    r.checklistTitle = fresh.title ?? r.checklistTitle;
    r.checklistLanguage = language();
  };
  // Words only: no new revision, nothing to send.
  await store.updateAudit(record.uuid, change);
  const next = { ...record };
  change(next);
  return next;
}

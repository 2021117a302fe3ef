// Three versions of one audit's answers after a 412 (outbox.js): the base (the
// answers of the server revision the phone's edit was based on, from its last
// 2xx), the phone's and the server's. An item changed on one side only takes
// that side's answer; only an item changed on both sides to different answers
// is the auditor's choice. Also each answer in words and the chosen merge.
// Pure: no DOM, no storage.

import { factInWords, sameValue } from './facts.js';
import { formatNumber, t } from './i18n.js';

// Statuses in which the server still accepts changes to an audit.
export const EDITABLE = new Set(['draft', 'returned']);

/** An answer as compared: value, N/A and comment only (photos are resources of their own). */
export function comparable(answer) {
  if (!answer || typeof answer !== 'object') return undefined;
  const out = {};
  if (answer.na) out.na = true;
  else if (answer.value !== undefined && answer.value !== null) out.value = answer.value;
  const comment = typeof answer.comment === 'string' ? answer.comment.trim() : '';
  if (comment) out.comment = comment;
  return Object.keys(out).length ? out : undefined;
}

export function same(a, b) {
  const x = comparable(a);
  const y = comparable(b);
  if (x === undefined || y === undefined) return x === y;
  return x.na === y.na && sameValue(x.value, y.value) && x.comment === y.comment;
}

/** A stable text form of a set of answers, for "is this what we sent?" checks. */
export function answersKey(answers) {
  const ids = Object.keys(answers ?? {}).sort();
  return JSON.stringify(ids.map((id) => [id, comparable(answers[id]) ?? null]).filter(([, a]) => a));
}

export function sameAnswers(a, b) {
  return answersKey(a) === answersKey(b);
}

/**
 * The items whose answers differ, in the checklist's order (then any item the
 * phone's checklist does not know): [{id, item, section, mine, theirs}].
 */
export function differences(checklist, mine, theirs) {
  const rows = [];
  const seen = new Set();
  for (const section of checklist?.sections ?? []) {
    for (const item of section.items) {
      seen.add(item.id);
      if (!same(mine?.[item.id], theirs?.[item.id])) {
        rows.push({ id: item.id, item, section, mine: comparable(mine?.[item.id]), theirs: comparable(theirs?.[item.id]) });
      }
    }
  }
  const others = new Set([...Object.keys(mine ?? {}), ...Object.keys(theirs ?? {})]);
  for (const id of [...others].sort()) {
    if (seen.has(id) || same(mine?.[id], theirs?.[id])) continue;
    rows.push({ id, item: { id, text: id, type: null }, section: null, mine: comparable(mine?.[id]), theirs: comparable(theirs?.[id]) });
  }
  return rows;
}

function itemsInOrder(checklist, ...versions) {
  const rows = [];
  const seen = new Set();
  for (const section of checklist?.sections ?? []) {
    for (const item of section.items) {
      seen.add(item.id);
      rows.push({ id: item.id, item, section });
    }
  }
  const others = new Set(versions.flatMap((answers) => Object.keys(answers ?? {})));
  for (const id of [...others].sort()) {
    if (!seen.has(id)) rows.push({ id, item: { id, text: id, type: null }, section: null });
  }
  return rows;
}

/**
 * The three-way merge: {merged, conflicts, taken}. `merged` holds the phone's
 * answers with every item changed only on the server taken from it (`taken`:
 * their ids); `conflicts` are the items changed on both sides to different
 * answers ([{id, item, section, base, mine, theirs}], checklist order), still
 * holding the phone's answer in `merged`. Without a base (null: a copy from
 * before bases were kept) every difference is a conflict.
 */
export function threeWay(checklist, base, mine, theirs) {
  const merged = structuredClone(mine ?? {});
  const conflicts = [];
  const taken = [];
  const known = base !== null && base !== undefined;
  for (const row of itemsInOrder(checklist, base, mine, theirs)) {
    const [b, m, t] = [base?.[row.id], mine?.[row.id], theirs?.[row.id]];
    if (same(m, t) || (known && same(b, t))) continue; // agreed, or only the phone changed it
    if (known && same(b, m)) {
      if (t === undefined || comparable(t) === undefined) delete merged[row.id];
      else merged[row.id] = structuredClone(t);
      taken.push(row.id);
      continue;
    }
    conflicts.push({ ...row, base: comparable(b), mine: comparable(m), theirs: comparable(t) });
  }
  return { merged, conflicts, taken };
}

/**
 * The phone's unsent answers that differ from a server copy that can no
 * longer change: items the phone changed since its base (all, without one).
 */
export function unsentChanges(checklist, base, mine, theirs) {
  const known = base !== null && base !== undefined;
  return differences(checklist, mine, theirs)
    .filter((row) => row.mine !== undefined && !(known && same(base[row.id], mine?.[row.id])));
}

/**
 * Server photos this phone does not know are kept (unless removed here and
 * waiting to be deleted there); sent ones the server no longer has are let go.
 */
export function photoChanges(localPhotos, serverPhotos, deletedHere) {
  const local = new Set([...localPhotos.map((p) => p.uuid), ...(deletedHere ?? [])]);
  const server = new Set((serverPhotos ?? []).map((p) => p.uuid));
  return {
    add: (serverPhotos ?? []).filter((p) => !local.has(p.uuid)),
    drop: localPhotos.filter((p) => p.sent && !server.has(p.uuid)).map((p) => p.uuid),
  };
}

function number(value) {
  return typeof value === 'number' ? formatNumber(value) : String(value);
}

/** The value of an answer as the auditor saw it on the form. */
export function valueInWords(item, answer) {
  if (answer === undefined) return t('merge.no_answer');
  if (answer.na) return t('form.na');
  if (answer.value === undefined) return t('merge.no_answer');
  const { value } = answer;
  switch (item.type) {
    case 'yes_no':
      return value === true ? t('form.yes') : value === false ? t('form.no') : String(value);
    case 'choice':
      return item.options?.find((o) => o.value === value)?.label ?? String(value);
    case 'scale':
      return t('merge.out_of', { value: number(value), max: number(item.max ?? 5) });
    case 'nps':
      return t('merge.out_of', { value: number(value), max: number(10) });
    case 'number':
      return item.unit ? `${number(value)} ${item.unit}` : number(value);
    case 'text':
      return t('merge.quoted', { text: value });
    case 'time_range':
    case 'money':
      return factInWords(item, value);
    default:
      return typeof value === 'string' ? t('merge.quoted', { text: value }) : number(value);
  }
}

/** The merged answers: for each differing item, 'mine' or 'theirs' (every row must be chosen). */
export function mergeAnswers(mine, rows, choices) {
  const merged = structuredClone(mine ?? {});
  for (const row of rows) {
    const choice = choices.get(row.id);
    if (choice !== 'mine' && choice !== 'theirs') throw new Error(`no choice for ${row.id}`);
    const answer = choice === 'mine' ? row.mine : row.theirs;
    if (answer === undefined) delete merged[row.id];
    else merged[row.id] = structuredClone(answer);
  }
  return merged;
}

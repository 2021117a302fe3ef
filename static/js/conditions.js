// show_if and completeness, mirroring the server's answers.py and scoring.py.
// The server is the authority; this is for the auditor's comfort while offline.

/** The value an answer contributes to conditions, or undefined when it has none. */
export function answerValue(answer) {
  if (!answer || answer.na) return undefined;
  return answer.value ?? undefined;
}

/**
 * A condition on an item that has no value (unanswered, N/A or hidden) is
 * false whatever its operator. Comparison is strict: true is not 1.
 */
export function conditionHolds(cond, values) {
  if (Array.isArray(cond.all)) return cond.all.every((c) => conditionHolds(c, values));
  if (Array.isArray(cond.any)) return cond.any.some((c) => conditionHolds(c, values));
  if (!values.has(cond.item)) return false;
  const actual = values.get(cond.item);
  if ('equals' in cond) return actual === cond.equals;
  if ('not_equals' in cond) return actual !== cond.not_equals;
  if (Array.isArray(cond.in)) return cond.in.some((v) => v === actual);
  return false;
}

export function* allItems(checklist) {
  for (const section of checklist.sections) yield* section.items;
}

/** Ids of the items shown for these answers, in journey order. */
export function visibleItems(checklist, answers) {
  const values = new Map();
  const shown = new Set();
  for (const item of allItems(checklist)) {
    if (item.show_if && !conditionHolds(item.show_if, values)) continue;
    shown.add(item.id);
    const value = answerValue(answers[item.id]);
    if (value !== undefined) values.set(item.id, value);
  }
  return shown;
}

/** Whether a shown item still needs something before the audit can be submitted. */
export function isMissing(item, answer, photoCount) {
  if (answer?.na) return false;
  if (item.type === 'photo') return Boolean(item.required) && photoCount === 0;
  const answered = answerValue(answer) !== undefined;
  if (item.required && !answered) return true;
  return answered && item.photo === 'required' && photoCount === 0;
}

/** Whether the auditor has given anything for an item (for progress). */
export function isAnswered(item, answer, photoCount) {
  if (answer?.na) return true;
  if (item.type === 'photo') return photoCount > 0;
  return answerValue(answer) !== undefined;
}

/**
 * Progress of every section and the ids of missing items. Per section:
 * total/answered over the items shown, and required/requiredDone over the
 * required items shown (the figure the auditor sees: an optional item answered
 * or a conditional one appearing does not move it by itself).
 * photoCounts: Map item id → photos kept for it.
 */
export function progress(checklist, answers, photoCounts) {
  const shown = visibleItems(checklist, answers);
  const sections = new Map();
  const missing = [];
  for (const section of checklist.sections) {
    let total = 0;
    let answered = 0;
    let needed = 0;
    let required = 0;
    for (const item of section.items) {
      if (!shown.has(item.id)) continue;
      const photos = photoCounts.get(item.id) ?? 0;
      total += 1;
      if (isAnswered(item, answers[item.id], photos)) answered += 1;
      const gap = isMissing(item, answers[item.id], photos);
      // An optional item answered without its required photo is a gap too.
      if (item.required || gap) required += 1;
      if (gap) {
        needed += 1;
        missing.push(item.id);
      }
    }
    sections.set(section.id, { total, answered, needed, required, requiredDone: required - needed });
  }
  return { shown, sections, missing };
}

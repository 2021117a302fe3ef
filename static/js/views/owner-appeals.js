// The owner's appeals: every item they disputed with head office's decision,
// one appeal in full, and the form that opens one (a reason, the answer the
// item should have had, an optional evidence photo).

import { api, ApiError } from '../api.js';
import { h, uid } from '../dom.js';
import { preparePhoto, PhotoReadError } from '../photos.js';
import { appealChip, dateText, fill, offlineNote } from './owner-common.js';

function appealCard(appeal) {
  return h('li', { class: 'card' },
    h('a', { class: 'card-link', href: `#/appeal/${encodeURIComponent(appeal.uuid)}` },
      h('p', { class: 'card-title' }, appeal.item_text),
      h('p', { class: 'card-subtitle' }, `${appeal.location_name} \u00b7 visit of ${dateText(appeal.visited_at)}`),
      h('p', { class: 'card-meta' }, appealChip(appeal),
        appeal.status === 'open'
          ? ` Head office decides by ${dateText(appeal.due_at)}`
          : ` Decided ${dateText(appeal.decided_at)}`)));
}

async function renderList(node, ctx) {
  node.replaceChildren(h('h1', {}, 'Your appeals'), h('p', { role: 'status', class: 'card-subtitle' }, 'Loading\u2026'));
  const loaded = await ctx.cache.load('appeals', () => api.appeals());
  const { appeals } = loaded.value;
  fill(node,
    h('h1', {}, 'Your appeals'),
    offlineNote(loaded),
    h('p', { class: 'lead' }, 'When a report gets an item wrong, open the report\u2019s summary and dispute it. '
      + 'Head office looks at it again; an upheld appeal changes the score and issues the report again.'),
    appeals.length
      ? h('ul', { class: 'cards' }, appeals.map(appealCard))
      : h('p', {}, 'You have not disputed any item yet.'));
}

async function renderAppeal(node, ctx, appealUuid) {
  const loaded = await ctx.cache.load(`appeal:${appealUuid}`, () => api.appeal(appealUuid));
  const appeal = loaded.value;
  const decided = appeal.decision;
  const facts = [
    ['The report said', decided ? decided.original_text : appeal.answer_text],
    ['You said', appeal.proposed_text || 'no answer proposed'],
    ['Your reason', appeal.reason],
    ['Opened', dateText(appeal.opened_at)],
  ];
  if (!decided) facts.push(['Head office decides by', dateText(appeal.due_at)]);
  fill(node,
    h('p', { class: 'back' }, h('a', { href: '#/appeals' }, '\u2190 All appeals')),
    offlineNote(loaded),
    h('h1', {}, appeal.item_text),
    h('p', { class: 'lead' }, `${appeal.location_name} \u00b7 visit of ${dateText(appeal.visited_at)}`),
    h('p', {}, appealChip(appeal)),
    h('dl', { class: 'facts' }, facts.flatMap(([term, text]) => [h('dt', {}, term), h('dd', {}, text)])),
    decided ? h('section', { class: `panel decision decision-${decided.status}`, 'aria-labelledby': 'decision-title' },
      h('h2', { id: 'decision-title' }, `Head office\u2019s decision: ${appeal.status_label.toLowerCase()}`),
      decided.answer_text ? h('p', {}, `The item now reads: ${decided.answer_text}.`) : h('p', {}, 'The item stays as reported.'),
      h('p', { class: 'decision-note' }, decided.note),
      decided.report_version
        ? h('p', {}, `The report was issued again as version ${decided.report_version}, with every score worked out anew. `,
          h('a', { href: `#/report/${encodeURIComponent(appeal.audit)}` }, 'See the amended report'))
        : null) : null,
    appeal.photo ? h('p', {}, h('img', {
      class: 'appeal-photo', src: `/api/appeals/${encodeURIComponent(appeal.uuid)}/photo?size=thumb`,
      alt: 'Your evidence photo', width: 240, height: 180,
    })) : null,
    h('p', {}, h('a', { href: `#/report/${encodeURIComponent(appeal.audit)}` }, 'Back to the report')));
}

function answerField(input) {
  const legend = 'What should the answer have been? (optional)';
  if (input.options) {
    const name = uid('proposed');
    return h('fieldset', { class: 'item' }, h('legend', {}, legend),
      h('div', { class: `options options-${input.type}` }, input.options.map((option) => {
        const id = uid('proposed-option');
        return h('div', { class: 'option' },
          h('input', { type: 'radio', id, name, value: JSON.stringify(option.value) }),
          h('label', { for: id }, option.label));
      })));
  }
  const id = uid('proposed');
  return h('div', { class: 'field' },
    h('label', { for: id }, `${legend}${input.unit ? ` (${input.unit})` : ''}`),
    h('input', { id, type: 'number', inputmode: 'decimal', min: input.min ?? null, max: input.max ?? null, step: input.integer ? 1 : 'any' }));
}

function proposedAnswer(field) {
  const picked = field.querySelector('input[type="radio"]:checked');
  if (picked) return { value: JSON.parse(picked.value) };
  const number = field.querySelector('input[type="number"]');
  if (number && number.value.trim() !== '') return { value: Number(number.value) };
  return undefined;
}

async function renderDispute(node, ctx, auditUuid, itemId) {
  const loaded = await ctx.cache.load(`appeals:${auditUuid}`, () => api.auditAppeals(auditUuid));
  const item = loaded.value.items.find((i) => i.item === itemId);
  const back = h('p', { class: 'back' }, h('a', { href: `#/report/${encodeURIComponent(auditUuid)}` }, '\u2190 Back to the report'));
  if (!loaded.fresh || !item || !loaded.value.window_open) {
    node.replaceChildren(back, h('p', { class: 'notice', role: 'alert' }, !loaded.fresh
      ? 'Connect to dispute an item: an appeal goes straight to head office.'
      : 'This item cannot be disputed any more.'));
    return;
  }
  const reasonId = uid('reason');
  const photoId = uid('photo');
  const answer = answerField(item.input);
  const reason = h('textarea', { id: reasonId, rows: 5, maxlength: 4000, required: true });
  const photo = h('input', { id: photoId, type: 'file', accept: 'image/*' });
  const problem = h('p', { class: 'error', role: 'alert', hidden: true });
  const send = h('button', { type: 'submit', class: 'primary' }, 'Send the appeal');
  const form = h('form', { class: 'appeal-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: reasonId }, 'Why is this item wrong?'),
      h('p', { class: 'muted' }, 'Say what happened; head office reads this with the shopper\u2019s record.'), reason),
    answer,
    h('div', { class: 'field' }, h('label', { for: photoId }, 'Evidence photo (optional)'), photo),
    problem,
    send);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    problem.hidden = true;
    if (!reason.value.trim()) {
      problem.textContent = 'Say why the item is wrong.';
      problem.hidden = false;
      reason.focus();
      return;
    }
    send.disabled = true;
    send.textContent = 'Sending\u2026';
    try {
      const body = { item: itemId, reason: reason.value.trim() };
      const proposed = proposedAnswer(answer);
      if (proposed !== undefined) body.proposed = proposed;
      let prepared = null;
      if (photo.files?.[0]) prepared = await preparePhoto(photo.files[0]);
      const opened = await api.openAppeal(auditUuid, body);
      if (prepared) await api.putAppealPhoto(opened.uuid, prepared.blob);
      ctx.navigate(`#/appeal/${encodeURIComponent(opened.uuid)}`);
    } catch (error) {
      if (ctx.handleError(error)) return;
      let text = error.message;
      if (error instanceof PhotoReadError) text = 'That file is not a photo this phone can read. Pick another.';
      else if (error instanceof ApiError && Object.keys(error.fields).length) {
        text = `${error.message}: ${Object.values(error.fields).join('; ')}`;
      }
      problem.textContent = text;
      problem.hidden = false;
      send.disabled = false;
      send.textContent = 'Send the appeal';
    }
  });
  fill(node,
    back,
    h('h1', {}, 'Dispute an item'),
    h('p', { class: 'lead' }, item.text),
    h('p', {}, `The report says: ${item.answer_text}.`),
    form);
}

export const appealsSection = {
  id: 'appeals',
  label: 'Appeals',
  href: '#/appeals',
  routes: [
    { pattern: /^#\/appeals$/, render: renderList },
    { pattern: /^#\/appeal\/([0-9a-fA-F-]{36})$/, render: renderAppeal },
    { pattern: /^#\/report\/([0-9a-fA-F-]{36})\/dispute\/([^/]+)$/, render: renderDispute },
  ],
};

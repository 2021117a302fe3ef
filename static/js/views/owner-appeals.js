// The owner's appeals: every item they disputed with head office's decision,
// one appeal in full, and the form that opens one (a reason, the answer the
// item should have had, an optional evidence photo).

import { api, ApiError } from '../api.js';
import { h, uid } from '../dom.js';
import { language, t } from '../i18n.js';
import { preparePhoto, PhotoReadError } from '../photos.js';
import { appealChip, dateText, fill, offlineNote } from './owner-common.js';

function appealCard(appeal) {
  return h('li', { class: 'card' },
    h('a', { class: 'card-link', href: `#/appeal/${encodeURIComponent(appeal.uuid)}` },
      h('p', { class: 'card-title' }, appeal.item_text),
      h('p', { class: 'card-subtitle' }, t('appeal.where', { location: appeal.location_name, day: dateText(appeal.visited_at) })),
      h('p', { class: 'card-meta' }, appealChip(appeal), ' ',
        appeal.status === 'open'
          ? t('appeal.decides_by', { day: dateText(appeal.due_at) })
          : t('appeal.decided', { day: dateText(appeal.decided_at) }))));
}

async function renderList(node, ctx) {
  node.replaceChildren(h('h1', {}, t('owner.your_appeals')), h('p', { role: 'status', class: 'card-subtitle' }, t('app.loading')));
  const loaded = await ctx.cache.load('appeals', () => api.appeals());
  const { appeals } = loaded.value;
  fill(node,
    h('h1', {}, t('owner.your_appeals')),
    offlineNote(loaded),
    h('p', { class: 'lead' }, t('appeal.lead')),
    appeals.length
      ? h('ul', { class: 'cards' }, appeals.map(appealCard))
      : h('p', {}, t('appeal.none')));
}

async function renderAppeal(node, ctx, appealUuid) {
  const loaded = await ctx.cache.load(`appeal:${appealUuid}`, () => api.appeal(appealUuid));
  const appeal = loaded.value;
  const decided = appeal.decision;
  const facts = [
    [t('appeal.report_said'), decided ? decided.original_text : appeal.answer_text],
    [t('appeal.you_said'), appeal.proposed_text || t('appeal.no_proposal')],
    [t('appeal.your_reason'), appeal.reason],
    [t('appeal.opened'), dateText(appeal.opened_at)],
  ];
  if (!decided) facts.push([t('appeal.decides_by_term'), dateText(appeal.due_at)]);
  fill(node,
    h('p', { class: 'back' }, h('a', { href: '#/appeals' }, `\u2190 ${t('appeal.all')}`)),
    offlineNote(loaded),
    h('h1', {}, appeal.item_text),
    h('p', { class: 'lead' }, t('appeal.where', { location: appeal.location_name, day: dateText(appeal.visited_at) })),
    h('p', {}, appealChip(appeal)),
    h('dl', { class: 'facts' }, facts.flatMap(([term, text]) => [h('dt', {}, term), h('dd', {}, text)])),
    decided ? h('section', { class: `panel decision decision-${decided.status}`, 'aria-labelledby': 'decision-title' },
      h('h2', { id: 'decision-title' }, t('appeal.decision', { status: appeal.status_label.toLocaleLowerCase(language()) })),
      decided.answer_text ? h('p', {}, t('appeal.now_reads', { answer: decided.answer_text })) : h('p', {}, t('appeal.stays')),
      h('p', { class: 'decision-note' }, decided.note),
      decided.report_version
        ? h('p', {}, `${t('appeal.reissued', { version: decided.report_version })} `,
          h('a', { href: `#/report/${encodeURIComponent(appeal.audit)}` }, t('appeal.see_amended')))
        : null) : null,
    appeal.photo ? h('p', {}, h('img', {
      class: 'appeal-photo', src: `/api/appeals/${encodeURIComponent(appeal.uuid)}/photo?size=thumb`,
      alt: t('appeal.photo_alt'), width: 240, height: 180,
    })) : null,
    h('p', {}, h('a', { href: `#/report/${encodeURIComponent(appeal.audit)}` }, t('appeal.back_report'))));
}

function answerField(input) {
  const legend = t('appeal.should_have_been');
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
    h('label', { for: id }, input.unit ? `${legend} (${input.unit})` : legend),
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
  const back = h('p', { class: 'back' }, h('a', { href: `#/report/${encodeURIComponent(auditUuid)}` }, `\u2190 ${t('appeal.back_report')}`));
  if (!loaded.fresh || !item || !loaded.value.window_open) {
    node.replaceChildren(back, h('p', { class: 'notice', role: 'alert' }, !loaded.fresh
      ? t('appeal.connect')
      : t('appeal.closed')));
    return;
  }
  const reasonId = uid('reason');
  const photoId = uid('photo');
  const answer = answerField(item.input);
  const reason = h('textarea', { id: reasonId, rows: 5, maxlength: 4000, required: true });
  const photo = h('input', { id: photoId, type: 'file', accept: 'image/*' });
  const problem = h('p', { class: 'error', role: 'alert', hidden: true });
  const send = h('button', { type: 'submit', class: 'primary' }, t('appeal.send'));
  const form = h('form', { class: 'appeal-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: reasonId }, t('appeal.why')),
      h('p', { class: 'muted' }, t('appeal.why_help')), reason),
    answer,
    h('div', { class: 'field' }, h('label', { for: photoId }, t('appeal.photo')), photo),
    problem,
    send);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    problem.hidden = true;
    if (!reason.value.trim()) {
      problem.textContent = t('appeal.reason_missing');
      problem.hidden = false;
      reason.focus();
      return;
    }
    send.disabled = true;
    send.textContent = t('appeal.sending');
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
      if (error instanceof PhotoReadError) text = t('appeal.bad_photo');
      else if (error instanceof ApiError && Object.keys(error.fields).length) {
        text = `${error.message}: ${Object.values(error.fields).join('; ')}`;
      }
      problem.textContent = text;
      problem.hidden = false;
      send.disabled = false;
      send.textContent = t('appeal.send');
    }
  });
  fill(node,
    back,
    h('h1', {}, t('owner.dispute_title')),
    h('p', { class: 'lead' }, item.text),
    h('p', {}, t('appeal.report_says', { answer: item.answer_text })),
    form);
}

export const appealsSection = {
  id: 'appeals',
  label: () => t('owner.tab_appeals'),
  href: '#/appeals',
  routes: [
    { pattern: /^#\/appeals$/, render: renderList },
    { pattern: /^#\/appeal\/([0-9a-fA-F-]{36})$/, render: renderAppeal },
    { pattern: /^#\/report\/([0-9a-fA-F-]{36})\/dispute\/([^/]+)$/, render: renderDispute },
  ],
};

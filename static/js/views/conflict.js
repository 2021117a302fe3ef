// "Changed on another device", after the server refused a write with 412
// (outbox.js keeps both versions and the base they grew from). Items changed
// on one side only were merged already; the screen shows only the items both
// sides changed to different answers (outbox.js merges without it when there
// are none). The auditor keeps theirs or takes the server's, item by item;
// saving sends the merge with If-Match of the server's revision. A server
// audit that can no longer change (submitted, approved) is shown with the
// phone's unsent answers read-only until dismissed, so nothing typed on the
// phone disappears unseen.

import { h, uid } from '../dom.js';
import { t } from '../i18n.js';
import { EDITABLE, mergeAnswers, photoChanges, threeWay, unsentChanges, valueInWords } from '../merge.js';

const LOCKED_WORDS = {
  submitted: () => t('conflict.locked_submitted'),
  approved: () => t('conflict.locked_approved'),
};

function answerLines(item, answer) {
  return [
    h('span', { class: 'answer-value' }, valueInWords(item, answer)),
    answer?.comment ? h('span', { class: 'answer-comment' }, t('conflict.comment', { comment: answer.comment })) : null,
  ];
}

function itemCaption(row) {
  return row.section ? h('p', { class: 'conflict-section' }, row.section.title) : null;
}

function choiceRow(row, choices, onChoose) {
  const key = uid('conflict');
  const name = `${key}-choice`;
  const error = h('p', { class: 'error', id: `${key}-error`, hidden: true }, t('conflict.choose_one'));
  const option = (value, label, caption, answer) => {
    const id = `${key}-${value}`;
    const described = `${id}-answer`;
    const radio = h('input', {
      type: 'radio', id, name, value, 'aria-describedby': `${described} ${key}-error`,
      onchange: () => onChoose(row.id, value),
    });
    return h('div', { class: 'conflict-option' }, radio,
      h('label', { for: id }, label),
      h('p', { class: 'conflict-answer', id: described },
        h('span', { class: 'conflict-caption' }, caption), answerLines(row.item, answer)));
  };
  const fieldset = h('fieldset', { class: 'item conflict-item', id: `conflict-${row.id}` },
    h('legend', {}, row.item.text),
    itemCaption(row),
    h('div', { class: 'conflict-options' },
      option('mine', t('conflict.keep_mine'), t('conflict.on_phone'), row.mine),
      option('theirs', t('conflict.use_server'), t('conflict.on_server'), row.theirs)),
    error);
  const radios = [...fieldset.querySelectorAll('input[type="radio"]')];
  return {
    id: row.id,
    fieldset,
    set(value) {
      for (const radio of radios) radio.checked = radio.value === value;
      choices.set(row.id, value);
      this.showError(false);
    },
    showError(shown) {
      error.hidden = !shown;
      fieldset.classList.toggle('has-error', shown);
      for (const radio of radios) {
        if (shown) radio.setAttribute('aria-invalid', 'true');
        else radio.removeAttribute('aria-invalid');
      }
    },
    focus() {
      fieldset.scrollIntoView({ block: 'center' });
      radios[0].focus({ preventScroll: true });
    },
  };
}

function renderChoices(ctx, record, merge, localPhotos) {
  const rows = merge.conflicts;
  const { store, outbox } = ctx;
  const { uuid } = record;
  const { server, revision, intent } = record.conflict;
  const choices = new Map();
  const entries = rows.map((row) => choiceRow(row, choices, (id, value) => entries.find((e) => e.id === id).set(value)));
  const summary = h('div', { class: 'summary', tabindex: '-1', role: 'alert', hidden: true });
  const saveButton = h('button', { type: 'submit', class: 'primary wide' }, t('conflict.save'));

  const setAll = (value) => { for (const entry of entries) entry.set(value); summary.hidden = true; };

  async function save() {
    const unchosen = entries.filter((e) => !choices.has(e.id));
    for (const entry of entries) entry.showError(unchosen.includes(entry));
    if (unchosen.length) {
      summary.hidden = false;
      summary.replaceChildren(
        h('h2', {}, t('conflict.choose_first', { count: unchosen.length })),
        h('ul', {}, unchosen.map((entry) => h('li', {},
          h('button', { type: 'button', class: 'link', onclick: () => entry.focus() },
            rows.find((r) => r.id === entry.id).item.text)))));
      summary.focus();
      return;
    }
    saveButton.disabled = true;
    const now = new Date().toISOString();
    await store.resolveConflict(uuid, (r) => {
      r.answers = mergeAnswers(merge.merged, rows, choices);
      r.base = structuredClone(server.answers ?? {});
      r.serverRevision = revision;
      r.serverStatus = server.status;
      r.reviewNote = server.review_note || r.reviewNote;
      r.unacknowledged = [];
      r.problem = null;
      r.state = intent === 'submit' ? 'queued' : 'draft';
      r.rev += 1;
      r.updatedAt = now;
    }, intent, photoChanges(localPhotos, server.photos ?? [], record.deletedPhotos));
    outbox.run();
    ctx.refreshStatus();
    ctx.navigate(`#/audit/${uuid}`);
  }

  return [
    h('p', { class: 'notice warning' }, t('conflict.explain')),
    rows.length
      ? h('p', {}, t('conflict.changed_both', { count: rows.length }))
      : h('p', {}, t('conflict.nothing_both')),
    merge.taken.length ? h('p', { class: 'muted' }, t('conflict.taken', { count: merge.taken.length })) : null,
    rows.length ? h('div', { class: 'conflict-shortcuts' },
      h('button', { type: 'button', class: 'secondary', onclick: () => setAll('mine') }, t('conflict.keep_all')),
      h('button', { type: 'button', class: 'secondary', onclick: () => setAll('theirs') }, t('conflict.use_all'))) : null,
    h('form', { novalidate: true, class: 'conflict-form', onsubmit: (e) => { e.preventDefault(); save(); } },
      rows.length ? h('h2', {}, t('conflict.changed_both_title')) : null,
      h('ol', { class: 'conflict-list' }, entries.map((entry) => h('li', {}, entry.fieldset))),
      summary,
      h('p', { class: 'muted' }, intent === 'submit' ? t('conflict.then_submit') : t('conflict.then_save')),
      saveButton),
  ];
}

function renderLocked(ctx, record, localPhotos) {
  const { store } = ctx;
  const { server } = record.conflict;
  // Only what the phone changed since its last send can be lost.
  const rows = unsentChanges(record.checklist, record.base, record.answers, server.answers);
  const unsent = localPhotos.filter((p) => !p.sent);
  const texts = new Map(record.checklist.sections.flatMap((s) => s.items.map((i) => [i.id, i.text])));
  const explainId = uid('dismiss');

  async function dismiss() {
    await store.forgetAudit(record.uuid);
    ctx.refreshStatus();
    ctx.navigate('#/');
  }

  return [
    h('div', { class: 'banner problem', role: 'status' },
      h('strong', {}, `${t('conflict.locked')} `),
      t('conflict.locked_text', { what: LOCKED_WORDS[server.status]?.() ?? t('conflict.locked_other', { status: server.status }) })),
    rows.length ? [
      h('h2', {}, t('conflict.unsent_answers', { count: rows.length })),
      h('table', { class: 'conflict-table' },
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, t('conflict.item')),
          h('th', { scope: 'col' }, t('conflict.on_phone')),
          h('th', { scope: 'col' }, t('conflict.on_server')))),
        h('tbody', {}, rows.map((row) => h('tr', {},
          h('th', { scope: 'row' }, row.item.text),
          h('td', {}, answerLines(row.item, row.mine)),
          h('td', {}, answerLines(row.item, row.theirs)))))),
    ] : h('p', {}, t('conflict.same')),
    unsent.length ? [
      h('h2', {}, t('conflict.unsent_photos', { count: unsent.length })),
      h('ul', {}, unsent.map((p) => h('li', {}, texts.get(p.item) ?? p.item))),
    ] : null,
    h('p', {}, t('conflict.tell_hq')),
    h('p', { class: 'muted', id: explainId }, t('conflict.dismiss_help')),
    h('button', { type: 'button', class: 'secondary wide', 'aria-describedby': explainId, onclick: dismiss }, t('conflict.dismiss')),
  ];
}

export async function renderConflict(container, ctx, uuid) {
  const record = await ctx.store.getAudit(uuid);
  if (!record?.conflict) {
    container.replaceChildren(h('div', { class: 'panel' },
      h('h1', {}, t('conflict.nothing')),
      h('p', {}, record ? t('conflict.nothing_text') : t('conflict.not_here')),
      h('p', {}, h('a', { href: record ? `#/audit/${uuid}` : '#/' }, record ? t('conflict.back_visit') : t('nav.back_to_visits')))));
    return {};
  }
  const { server } = record.conflict;
  const localPhotos = await ctx.store.photosOf(uuid);
  const editable = EDITABLE.has(server.status);
  container.replaceChildren(h('div', { class: 'conflict' },
    h('p', { class: 'back' }, h('a', { href: editable ? `#/audit/${uuid}` : '#/' }, `‹ ${editable ? t('conflict.back_visit') : t('nav.your_visits')}`)),
    h('h1', {}, t('home.badge_conflict')),
    h('p', { class: 'lead' }, `${record.locationName} · ${record.checklistTitle}`),
    editable
      ? renderChoices(ctx, record, threeWay(record.checklist, record.base, record.answers, server.answers), localPhotos)
      : renderLocked(ctx, record, localPhotos)));
  return {};
}

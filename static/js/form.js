// One checklist as an accessible form (CONTRACT.md, "PWA"): every item is a
// <fieldset> whose <legend> is the item's text; hints, "Required" and errors
// are wired with aria-describedby so they never change a control's name.

import { h, uid } from './dom.js';
import { progress } from './conditions.js';
import { formatNumber, t } from './i18n.js';
import { readMoney, readTimeRange } from './facts.js';

const RADIO_TYPES = new Set(['yes_no', 'choice', 'scale', 'nps']);
// Touchpoints that are part of the visit itself; any other (website, phone,
// delivery, follow-up, …) may happen on another day and asks for its date.
const VISIT_TOUCHPOINTS = new Set(['arrival', 'facilities', 'service', 'checkout']);

export function asksForDate(section) {
  return Boolean(section.touchpoint) && !VISIT_TOUCHPOINTS.has(section.touchpoint);
}

/** An error for a typed number against the item's min and max, or null. */
export function numberProblem(item, raw) {
  if (raw.trim() === '') return null;
  const value = Number(raw);
  if (!Number.isFinite(value)) return t('form.not_a_number');
  const unit = item.unit ? ` ${item.unit}` : '';
  if (item.min != null && value < item.min) return t('form.at_least', { limit: `${formatNumber(item.min)}${unit}` });
  if (item.max != null && value > item.max) return t('form.at_most', { limit: `${formatNumber(item.max)}${unit}` });
  return null;
}

function choicesOf(item) {
  if (item.type === 'yes_no') return [[true, t('form.yes')], [false, t('form.no')]];
  if (item.type === 'choice') return item.options.map((o) => [o.value, o.label ?? String(o.value)]);
  const [lo, hi] = item.type === 'nps' ? [0, 10] : [item.min ?? 1, item.max ?? 5];
  const values = [];
  for (let v = Math.ceil(lo); v <= hi; v += 1) values.push([v, String(v)]);
  return values;
}

function needsPhotos(item) {
  return item.type === 'photo' || item.photo === 'optional' || item.photo === 'required';
}

export class AuditForm {
  /**
   * checklist, answers (item id → answer), photos (array of photo records),
   * readOnly, touchpointDates (section id → day), dateLimits {min, max},
   * dayProblem(day) → message | null, and callbacks: onAnswer(itemId,
   * answer | undefined), onAddPhotos(itemId, files), onRemovePhoto(photo),
   * photoSrc(photo), onTouchpointDate(sectionId, day | null); itemNotes
   * (item id → head office's note on a returned visit, shown on its item).
   */
  constructor({
    checklist, answers, photos, readOnly, onAnswer, onAddPhotos, onRemovePhoto, photoSrc,
    touchpointDates = {}, dateLimits = {}, dayProblem = () => null, onTouchpointDate = () => {},
    itemNotes = {},
  }) {
    this.itemNotes = itemNotes ?? {};
    this.checklist = checklist;
    // Text facts compared digit by digit are phone numbers (the rules themselves are never shown).
    this.phoneFacts = new Set((checklist.consistency ?? [])
      .filter((rule) => rule.compare === 'digits').flatMap((rule) => rule.facts));
    this.answers = answers;
    this.photos = photos;
    this.readOnly = readOnly;
    this.touchpointDates = touchpointDates;
    this.dateLimits = dateLimits;
    this.dayProblem = dayProblem;
    this.gapsShown = false;
    this.callbacks = { onAnswer, onAddPhotos, onRemovePhoto, photoSrc, onTouchpointDate };
    this.items = new Map(); // item id → {item, fieldset, ...controls}
    this.sections = new Map(); // section id → {element, progress, navCount}
    this.nav = this.renderNav();
    this.element = h(
      'div',
      { class: 'checklist' },
      checklist.sections.map((section) => this.renderSection(section)),
    );
    this.element.addEventListener('change', (event) => this.onChange(event));
    this.element.addEventListener('input', (event) => this.onInput(event));
    this.refresh();
  }

  // --- rendering

  renderNav() {
    const list = h('ol', { class: 'section-nav' });
    for (const section of this.checklist.sections) {
      const count = h('span', { class: 'count' });
      const gaps = h('span', { class: 'gaps', hidden: true });
      const button = h(
        'button',
        { type: 'button', class: 'section-link', onclick: () => this.goToSection(section.id) },
        h('span', { class: 'section-link-title' }, section.title),
        count,
        gaps,
      );
      const li = h('li', {}, button);
      this.sections.set(section.id, { navItem: li, navCount: count, navGaps: gaps });
      list.append(li);
    }
    return h('nav', { class: 'sections', 'aria-label': t('form.sections') }, list);
  }

  renderSection(section) {
    const headingId = uid('section');
    const progressLine = h('p', { class: 'section-progress' });
    const element = h(
      'section',
      { class: 'checklist-section', id: `section-${section.id}`, 'aria-labelledby': headingId },
      h('h2', { id: headingId, tabindex: '-1' }, section.title),
      progressLine,
      asksForDate(section) ? this.renderSectionDate(section) : null,
      section.items.map((item) => this.renderItem(item)),
    );
    Object.assign(this.sections.get(section.id), { element, progressLine, headingId });
    return element;
  }

  /** The day of a touchpoint that may not be the visit's (a call days later). */
  renderSectionDate(section) {
    const id = uid('tp-date');
    const error = h('p', { class: 'error', id: `${id}-error`, hidden: true });
    const input = h('input', {
      type: 'date', id, value: this.touchpointDates[section.id] ?? null, disabled: this.readOnly,
      min: this.dateLimits.min, max: this.dateLimits.max, 'aria-describedby': `${id}-help ${id}-error`,
    });
    input.addEventListener('change', () => {
      const day = input.value || null;
      const problem = day ? this.dayProblem(day) : null;
      error.textContent = problem ?? '';
      error.hidden = !problem;
      if (problem) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
      if (!problem) this.callbacks.onTouchpointDate(section.id, day);
    });
    return h('div', { class: 'field touchpoint-date' },
      h('label', { for: id }, t('form.touchpoint_date', { section: section.title })),
      h('p', { class: 'help', id: `${id}-help` }, t('form.touchpoint_help')),
      input, error);
  }

  renderItem(item) {
    const key = uid('item');
    const ids = { badges: `${key}-badges`, help: `${key}-help`, error: `${key}-error`, note: `${key}-note` };
    const hqNote = this.itemNotes[item.id];
    const entry = { item, radios: [], input: null, naBox: null, comment: null };
    const answer = this.answers[item.id];

    const badges = [];
    if (item.required && item.type !== 'photo') badges.push(h('span', { class: 'badge required' }, t('form.required')));
    if (item.type === 'photo' && item.required) badges.push(h('span', { class: 'badge required' }, t('form.photo_required')));
    if (item.photo === 'required') badges.push(h('span', { class: 'badge required' }, t('form.photo_required')));
    const describedBy = [hqNote ? ids.note : null, badges.length ? ids.badges : null,
      item.help ? ids.help : null, ids.error].filter(Boolean).join(' ');

    const controls = [];
    if (RADIO_TYPES.has(item.type)) {
      const choices = choicesOf(item);
      entry.values = choices.map(([value]) => value);
      const name = `${key}-answer`;
      const group = h('div', { class: `options options-${item.type}` });
      choices.forEach(([value, label], index) => {
        const id = `${key}-o${index}`;
        const radio = h('input', {
          type: 'radio', id, name, value: String(index), dataset: { item: item.id },
          checked: answer && !answer.na && answer.value === value,
        });
        entry.radios.push(radio);
        group.append(h('div', { class: 'option' }, radio, h('label', { for: id }, label)));
      });
      controls.push(group);
      if (item.type === 'nps') {
        controls.push(h('p', { class: 'scale-ends', 'aria-hidden': 'true' },
          h('span', {}, t('form.nps_low')), h('span', {}, t('form.nps_high'))));
      }
    } else if (item.type === 'time_range') {
      // Two native time pickers: the phone's own clock wheel, always "HH:MM".
      const given = answer && !answer.na && answer.value ? answer.value : {};
      entry.inputs = ['from', 'to'].map((end) => h('input', {
        type: 'time', id: `${key}-${end}`, step: '60', dataset: { item: item.id },
        value: given[end] ?? null,
      }));
      [entry.input] = entry.inputs;
      controls.push(h('div', { class: 'time-range' },
        h('div', { class: 'time-end' }, h('label', { for: `${key}-from` }, t('form.from')), entry.inputs[0]),
        h('span', { class: 'time-dash', 'aria-hidden': 'true' }, '–'),
        h('div', { class: 'time-end' }, h('label', { for: `${key}-to` }, t('form.to')), entry.inputs[1])));
    } else if (item.type === 'money') {
      const id = `${key}-input`;
      const unitId = `${key}-unit`;
      // Text with the decimal keypad: type=number would drop "12.50"'s zero and refuse "12,50".
      entry.input = h('input', {
        type: 'text', id, inputmode: 'decimal', autocomplete: 'off', dataset: { item: item.id },
        'aria-describedby': unitId,
        value: answer && !answer.na && answer.value ? answer.value.amount : null,
      });
      controls.push(h('div', { class: 'number money' },
        h('label', { for: id, class: 'visually-hidden' }, item.text), entry.input,
        h('span', { class: 'unit', id: unitId }, item.currency)));
    } else if (item.type === 'number' || item.type === 'text') {
      const id = `${key}-input`;
      const unitId = `${key}-unit`;
      const label = h('label', { for: id, class: 'visually-hidden' }, item.text);
      if (item.type === 'number') {
        entry.input = h('input', {
          // Counts get the keypad without a decimal key.
          type: 'number', id, inputmode: item.integer ? 'numeric' : 'decimal',
          step: item.integer ? '1' : 'any', autocomplete: 'off',
          min: item.min, max: item.max, dataset: { item: item.id },
          'aria-describedby': item.unit ? unitId : null,
          value: answer && !answer.na && answer.value != null ? String(answer.value) : null,
        });
        controls.push(h('div', { class: 'number' }, label, entry.input,
          item.unit ? h('span', { class: 'unit', id: unitId }, item.unit) : null));
      } else if (this.phoneFacts.has(item.fact)) {
        // A phone number (a text fact compared by its digits): the phone keypad, one line.
        entry.input = h('input', { type: 'tel', id, autocomplete: 'off', dataset: { item: item.id } });
        entry.input.value = answer && !answer.na && typeof answer.value === 'string' ? answer.value : '';
        controls.push(h('div', { class: 'text' }, label, entry.input));
      } else {
        entry.input = h('textarea', { id, rows: '3', dataset: { item: item.id } });
        entry.input.value = answer && !answer.na && typeof answer.value === 'string' ? answer.value : '';
        controls.push(h('div', { class: 'text' }, label, entry.input));
      }
    }

    if (item.na) {
      const id = `${key}-na`;
      entry.naBox = h('input', { type: 'checkbox', id, dataset: { item: item.id }, checked: Boolean(answer?.na) });
      controls.push(h('div', { class: 'na' }, entry.naBox, h('label', { for: id }, t('form.na'))));
    }

    if (needsPhotos(item)) controls.push(this.renderPhotos(item, entry, key));

    if (item.type !== 'text' && item.type !== 'photo') {
      const id = `${key}-comment`;
      entry.comment = h('textarea', { id, rows: '2', dataset: { item: item.id } });
      entry.comment.value = answer?.comment ?? '';
      controls.push(h('details', { class: 'comment', open: Boolean(answer?.comment) },
        h('summary', {}, t('form.add_comment')),
        h('label', { for: id }, t('form.comment')), entry.comment));
    }

    entry.error = h('p', { class: 'error', id: ids.error, hidden: true });
    entry.fieldset = h(
      'fieldset',
      { class: `item item-${item.type}`, id: `item-${item.id}`, 'aria-describedby': describedBy, disabled: this.readOnly },
      h('legend', {}, item.text),
      hqNote ? h('div', { class: 'hq-note', id: ids.note },
        h('p', { class: 'hq-note-title' }, t('form.hq_note')), h('p', {}, hqNote)) : null,
      badges.length ? h('p', { class: 'badges', id: ids.badges }, badges) : null,
      item.help ? h('p', { class: 'help', id: ids.help }, item.help) : null,
      controls,
      entry.error,
    );
    this.items.set(item.id, entry);
    this.applyNa(entry);
    return entry.fieldset;
  }

  renderPhotos(item, entry, key) {
    entry.thumbs = h('ul', { class: 'thumbs' });
    entry.photoStatus = h('p', { class: 'photo-status', 'aria-live': 'polite' });
    const take = `${key}-take`;
    const choose = `${key}-choose`;
    const onFiles = (event) => {
      const files = Array.from(event.target.files ?? []);
      event.target.value = '';
      if (files.length) this.callbacks.onAddPhotos(item.id, files);
    };
    const actions = this.readOnly ? null : h('div', { class: 'photo-actions' },
      h('input', { type: 'file', id: take, accept: 'image/*', capture: 'environment', class: 'file', onchange: onFiles }),
      h('label', { for: take, class: 'button secondary' }, t('form.take_photo')),
      h('input', { type: 'file', id: choose, accept: 'image/*', multiple: true, class: 'file', onchange: onFiles }),
      h('label', { for: choose, class: 'button secondary' }, t('form.choose_photo')));
    this.renderThumbs(entry);
    return h('div', { class: 'photos' }, entry.thumbs, actions, entry.photoStatus);
  }

  renderThumbs(entry) {
    const mine = this.photos.filter((p) => p.item === entry.item.id);
    entry.thumbs.replaceChildren(...mine.map((photo, index) => h('li', {},
      h('img', { src: this.callbacks.photoSrc(photo), alt: t('form.photo_n', { n: index + 1 }), width: '96', height: '96' }),
      photo.sent ? null : h('span', { class: 'badge pending' }, t('form.not_sent')),
      this.readOnly ? null : h('button', {
        type: 'button', class: 'remove', onclick: () => this.callbacks.onRemovePhoto(photo),
      }, t('form.remove'), h('span', { class: 'visually-hidden' }, ` ${t('form.remove_photo_n', { n: index + 1 })}`)))));
  }

  // --- state

  setPhotos(photos) {
    this.photos = photos;
    for (const entry of this.items.values()) if (entry.thumbs) this.renderThumbs(entry);
    this.refresh();
  }

  setPhotoStatus(itemId, text) {
    const entry = this.items.get(itemId);
    if (entry?.photoStatus) entry.photoStatus.textContent = text;
  }

  readAnswer(entry) {
    const answer = {};
    const comment = entry.comment?.value.trim();
    if (entry.naBox?.checked) {
      answer.na = true;
    } else if (entry.radios.length) {
      const checked = entry.radios.findIndex((r) => r.checked);
      if (checked >= 0) answer.value = entry.values[checked];
    } else if (entry.item.type === 'time_range' || entry.item.type === 'money') {
      const { value } = this.readFact(entry);
      if (value !== undefined) answer.value = value;
    } else if (entry.input) {
      const raw = entry.input.value;
      if (entry.item.type === 'number') {
        if (raw.trim() !== '' && Number.isFinite(Number(raw))) answer.value = Number(raw);
      } else if (raw.trim() !== '') {
        answer.value = raw;
      }
    }
    if (comment) answer.comment = comment;
    return Object.keys(answer).length ? answer : undefined;
  }

  /** A time range or an amount as typed: {value} or {problem} ({} when empty). */
  readFact(entry) {
    if (entry.item.type === 'time_range') return readTimeRange(entry.inputs[0].value, entry.inputs[1].value);
    return readMoney(entry.item, entry.input.value);
  }

  applyNa(entry) {
    const na = Boolean(entry.naBox?.checked);
    for (const radio of entry.radios) radio.disabled = na;
    for (const input of entry.inputs ?? [entry.input]) if (input) input.disabled = na;
    entry.fieldset.classList.toggle('is-na', na);
  }

  onChange(event) {
    const itemId = event.target.dataset?.item;
    if (!itemId) return;
    this.update(itemId);
  }

  onInput(event) {
    const itemId = event.target.dataset?.item;
    if (!itemId || event.target.type === 'radio' || event.target.type === 'checkbox') return;
    this.update(itemId);
  }

  update(itemId) {
    const entry = this.items.get(itemId);
    this.applyNa(entry);
    const answer = this.readAnswer(entry);
    // Said as it is typed; the value is kept out of the answers until it is
    // one the server accepts, so a draft never fails to send over it.
    let problem = null;
    if (!entry.naBox?.checked && entry.input) {
      if (entry.item.type === 'number') problem = numberProblem(entry.item, entry.input.value);
      else if (entry.item.type === 'time_range' || entry.item.type === 'money') {
        problem = this.readFact(entry).problem ?? null;
      }
    }
    if (problem && answer) delete answer.value;
    const kept = answer && Object.keys(answer).length ? answer : undefined;
    if (kept === undefined) delete this.answers[itemId];
    else this.answers[itemId] = kept;
    this.setError(itemId, problem);
    this.refresh();
    this.callbacks.onAnswer(itemId, kept);
  }

  photoCounts() {
    const counts = new Map();
    for (const photo of this.photos) counts.set(photo.item, (counts.get(photo.item) ?? 0) + 1);
    return counts;
  }

  /** show_if, per-section progress; returns the progress (with missing ids). */
  refresh() {
    const state = progress(this.checklist, this.answers, this.photoCounts());
    for (const [id, entry] of this.items) entry.fieldset.hidden = !state.shown.has(id);
    // Counted: the required items shown (see conditions.progress).
    let answered = 0;
    let total = 0;
    for (const section of this.checklist.sections) {
      const s = state.sections.get(section.id);
      const view = this.sections.get(section.id);
      answered += s.requiredDone;
      total += s.required;
      view.element.hidden = s.total === 0;
      view.navItem.hidden = s.total === 0;
      view.progressLine.textContent = s.required
        ? t('form.required_answered', { done: s.requiredDone, count: s.required })
        : t('form.nothing_required');
      view.navCount.textContent = s.required ? `${s.requiredDone}/${s.required}` : '';
      const complete = s.needed === 0;
      view.progressLine.classList.toggle('complete', complete);
      view.navItem.classList.toggle('complete', complete);
      const gaps = this.gapsShown && s.needed > 0;
      view.navItem.classList.toggle('has-gaps', gaps);
      view.navGaps.hidden = !gaps;
      view.navGaps.textContent = gaps ? t('form.unanswered', { count: s.needed }) : '';
    }
    this.state = { ...state, answered, total };
    return this.state;
  }

  // --- errors

  /** Mark the sections with unanswered required items in the section list (after a submit). */
  markGaps(shown) {
    this.gapsShown = shown;
    this.refresh();
  }

  setError(itemId, message) {
    const entry = this.items.get(itemId);
    if (!entry) return;
    entry.error.textContent = message ?? '';
    entry.error.hidden = !message;
    entry.fieldset.classList.toggle('has-error', Boolean(message));
    const controls = [...entry.radios, ...(entry.inputs ?? [entry.input])].filter(Boolean);
    for (const control of controls) {
      if (message) control.setAttribute('aria-invalid', 'true');
      else control.removeAttribute('aria-invalid');
    }
  }

  missingMessage(itemId) {
    const item = this.items.get(itemId)?.item;
    if (!item) return t('form.please_answer');
    const answered = this.answers[itemId]?.value !== undefined;
    if (item.type === 'photo' || (answered && item.photo === 'required')) return t('form.please_photo');
    return t('form.please_answer');
  }

  /**
   * Show messages beside the items: server fields ("answers.ITEM": message)
   * and missing ids. Returns [{itemId, text, message}] for the items, plus
   * {field, message} for problems not tied to an item.
   */
  showErrors(fields = {}, missing = []) {
    for (const id of this.items.keys()) this.setError(id, null);
    const list = [];
    const seen = new Set();
    for (const [field, message] of Object.entries(fields)) {
      const itemId = field.startsWith('answers.') ? field.slice('answers.'.length) : null;
      if (itemId && this.items.has(itemId)) {
        this.setError(itemId, message);
        seen.add(itemId);
        list.push({ itemId, text: this.items.get(itemId).item.text, message });
      } else {
        list.push({ field, message });
      }
    }
    for (const itemId of missing) {
      if (seen.has(itemId) || !this.items.has(itemId)) continue;
      const message = this.missingMessage(itemId);
      this.setError(itemId, message);
      list.push({ itemId, text: this.items.get(itemId).item.text, message });
    }
    return list;
  }

  goToItem(itemId) {
    const entry = this.items.get(itemId);
    if (!entry) return;
    entry.fieldset.scrollIntoView({ block: 'center' });
    const target = entry.radios.find((r) => !r.disabled) ?? entry.input ?? entry.naBox;
    target?.focus({ preventScroll: true });
  }

  goToSection(sectionId) {
    const view = this.sections.get(sectionId);
    view.element.scrollIntoView({ block: 'start' });
    view.element.querySelector('h2')?.focus({ preventScroll: true });
  }
}

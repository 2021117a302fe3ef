// The scorecard of a sent visit.

import { api } from '../api.js';
import { h, score, when } from '../dom.js';
import { t } from '../i18n.js';

async function load(ctx, uuid) {
  const kept = ((await ctx.store.getMeta('results')) ?? []).find((r) => r.uuid === uuid);
  try {
    const audit = await api.audit(uuid);
    let sections = kept?.sections;
    let items = kept?.items;
    if (!sections) {
      try {
        const checklist = await api.checklist(audit.checklist, audit.checklist_hash);
        sections = checklist.sections.map((s) => ({ id: s.id, title: s.title }));
        items = Object.fromEntries(checklist.sections.flatMap((s) => s.items.map((i) => [i.id, i.text])));
      } catch {
        sections = null;
      }
    }
    return { ...audit, sections, items };
  } catch (error) {
    if (kept) return kept;
    throw error;
  }
}

// `shown` is the server's text for the score; only results kept from before
// the server sent `display` fall back to formatting the raw value here.
function meterRow(label, value, shown) {
  if (value == null) {
    return h('li', { class: 'meter-row' }, h('span', { class: 'meter-label' }, label),
      h('span', { class: 'muted' }, t('score.not_scored')));
  }
  return h('li', { class: 'meter-row' },
    h('span', { class: 'meter-label' }, label),
    h('meter', { min: '0', max: '100', low: '50', high: '80', optimum: '100', value: String(value ?? 0), 'aria-hidden': 'true' }),
    h('span', { class: 'meter-value' }, shown ?? score(value)));
}

export async function renderScorecard(container, ctx, uuid, justSent) {
  container.replaceChildren(h('p', { class: 'muted' }, t('score.loading')));
  let audit;
  try {
    audit = await load(ctx, uuid);
  } catch (error) {
    if (ctx.handleError(error)) return {};
    container.replaceChildren(h('div', { class: 'panel' }, h('h1', {}, t('score.title')),
      h('p', {}, t('score.unavailable')),
      h('p', {}, h('a', { href: '#/' }, t('nav.back_to_visits')))));
    return {};
  }
  const card = audit.scorecard ?? {};
  const shown = audit.display; // the figures and labels as the report prints them
  const titles = new Map((audit.sections ?? []).map((s) => [s.id, s.title]));
  const itemText = (id) => audit.items?.[id] ?? id;
  const sections = Object.entries(card.sections ?? {});
  const criticals = shown?.critical_failures?.map((c) => c.text)
    ?? (card.critical_failures ?? []).map(itemText);
  const touchpoints = (shown?.touchpoints ?? []).map((tp) => ({
    ...tp, value: card.touchpoints?.[tp.id] ?? null,
  }));

  container.replaceChildren(h('div', { class: 'scorecard' },
    h('p', { class: 'back' }, h('a', { href: '#/' }, `‹ ${t('nav.your_visits')}`)),
    h('h1', {}, justSent ? t('score.thanks') : t('score.title')),
    h('p', { class: 'lead' }, audit.location_name ?? audit.location, ' · ', audit.checklist_title ?? audit.checklist,
      audit.visited_at ? ` · ${when(audit.visited_at)}` : ''),
    audit.status === 'rejected' ? h('div', { class: 'banner problem', role: 'status' },
      h('strong', {}, `${t('score.rejected')} `), audit.review_note || '',
      h('p', {}, t('score.rejected_text'))) : null,
    audit.grade ? h('section', { class: 'grade-card', 'aria-labelledby': 'h-grade' },
      h('h2', { id: 'h-grade' }, t('score.grade')),
      h('p', { class: 'grade-value' }, h('strong', {}, String(audit.grade)), ` ${t('score.of_5')}`),
      audit.grade_note ? h('p', { class: 'grade-note' }, audit.grade_note) : null) : null,
    h('div', { class: 'overall' },
      h('p', { class: 'overall-value' }, shown?.overall ?? score(card.overall)),
      h('p', { class: 'overall-label' }, shown?.band && card.overall != null ? t('score.overall_band', { band: shown.band }) : t('score.overall'))),
    h('dl', { class: 'figures' },
      h('div', {}, h('dt', {}, t('score.service')), h('dd', {}, shown?.service ?? score(card.service))),
      h('div', {}, h('dt', {}, t('score.experience')), h('dd', {}, shown?.experience ?? score(card.experience))),
      h('div', {}, h('dt', {}, t('score.recommend')), h('dd', {}, shown?.nps ?? card.nps ?? '–'))),
    criticals.length ? h('section', { class: 'critical', 'aria-labelledby': 'h-critical' },
      h('h2', { id: 'h-critical' }, t('score.critical')),
      h('ul', {}, criticals.map((text) => h('li', {}, text)))) : null,
    touchpoints.length ? h('section', { 'aria-labelledby': 'h-touchpoints' },
      h('h2', { id: 'h-touchpoints' }, t('score.touchpoints')),
      h('ul', { class: 'meters' }, touchpoints.map((tp) => meterRow(tp.label, tp.value, tp.score)))) : null,
    sections.length ? h('section', { 'aria-labelledby': 'h-sections' },
      h('h2', { id: 'h-sections' }, t('form.sections')),
      h('ul', { class: 'meters' }, sections.map(([id, s]) => meterRow(
        shown?.sections?.[id]?.label ?? titles.get(id) ?? id, s.score, shown?.sections?.[id]?.score)))) : null,
    h('p', {}, h('a', { href: '#/', class: 'button secondary' }, t('nav.back_to_visits')))));
  container.querySelector('h1').focus?.();
  return {};
}
